"""A hand-made drop whose indicators for 2024 are worked out by hand, and helpers.

Periods: the year 2024 (P0 = 2024-01-01 00:00), and months for one check. The population of a
period is fixed at P0: born by P0, alive at P0 (death date on or after P0), age in completed
years at P0, and for a condition a diagnosis in [P0 - 1826 days, P0) = [2019-01-01, 2024-01-01).
All persons live in Odense (461, Region Syddanmark 1083) except P5 (Vejle, 630, also 1083).
Every contact is acute, physical, surgical (not counting for the repeated-contacts rule, which
asks for medical specialties), without pathway, unless it says otherwise.

Persons (age at 2024-01-01):
P1  1950-03-15, 73   a: acute DJ189 (pneumonia, preventable) 2024-02-01 10:00-15:00 (5 h)
                     b: acute DN390 (UTI, preventable) 2024-03-01 08:00 - 03-02 08:00 (24 h)
                     c: acute DN390 2024-04-01 08:00-11:00 (3 h)
                     d: planned DE86 2024-10-01 - 10-02 (24 h)
                     e: acute DR069 2024-03-20 08:00 - 03-21 08:00 (24 h)
P2  1959-06-01, 64   acute DS720 (preventable) 2024-08-01 - 08-02 (24 h): 64 at P0, not 65+
P3  1940-01-01       died 2023-12-31: in no 2024 population; an acute DN390 stay in 2023
P4  1944-01-01, 80   (birthday on P0: 80) acute DS720 2024-05-01 08:00 - 05-03 08:00 (48 h);
                     died 2024-06-30 (alive at P0; in the population of 2024 and of 2024-01..06)
P5  1955-05-05, 68   Vejle (630); no contacts
P6  1970-01-01, 54   type 2 diabetes: planned contact 2022-05-01 with secondary DE119
                     f: acute DR069 2024-02-01 08:00 - 02-02 08:00 (24 h), DRG 30000
                     g: acute DR069 2024-03-01 08:00-18:00 (10 h), DRG 2500
                     h: acute DR069 2024-09-01 08:00-20:00 (exactly 12 h), DRG empty
                     psychiatric planned contact 2024-04-10 (1 h), DRG 1000
P7  1980-01-01, 43   DE119 first recorded on an acute admission 2024-06-01 - 06-02 (24 h)
P8  1975-01-01, 48   type 1 diabetes DE109 (planned, 2023-05-01); the data's last moment:
                     a planned contact 2024-12-31 12:00-13:00
P9  1960-01-01, 63   COPD DJ441 on 2018-12-31 23:59 (one minute before the look-back)
                     j: acute DR069 2024-11-01 08:00 - 11-02 08:00 (24 h)
                     k: acute DR069 2024-12-02 08:00 - 12-03 08:00, exactly 30 days after j
P10 1966-02-02, 57   COPD DJ449 as a secondary diagnosis on 2019-01-01 00:00 (first moment in)
                     i: acute DJ441 2024-01-10 - 01-15 (5 days), DRG 50000
P11 1990-01-01, 34   acute admission 2024-07-01 - 07-05, died 2024-07-05 (in hospital)
P12 1985-01-01, 39   medical acute contacts at OUH 2023-12-01, 2024-02-01, 2024-05-01
P13 1985-02-01, 38   medical acute contacts 2024-01-01 and 2024-03-01 at OUH, 2024-04-01 at SLB
P14 1985-03-01, 38   medical acute contacts at OUH 2024-01-01 10:00, 2024-03-01,
                     2024-07-01 10:00 (exactly 182 days after the first)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from opspor import cpr
from tests import support

BIRTHS = {
    "P1": dt.date(1950, 3, 15), "P2": dt.date(1959, 6, 1), "P3": dt.date(1940, 1, 1),
    "P4": dt.date(1944, 1, 1), "P5": dt.date(1955, 5, 5), "P6": dt.date(1970, 1, 1),
    "P7": dt.date(1980, 1, 1), "P8": dt.date(1975, 1, 1), "P9": dt.date(1960, 1, 1),
    "P10": dt.date(1966, 2, 2), "P11": dt.date(1990, 1, 1), "P12": dt.date(1985, 1, 1),
    "P13": dt.date(1985, 2, 1), "P14": dt.date(1985, 3, 1),
}
CPR = {p: cpr.make(born, 200 + i) for i, (p, born) in enumerate(BIRTHS.items())}
NAMES = {p: f"Monitor Testperson {p}" for p in BIRTHS}
DEATHS = {"P3": "2023-12-31", "P4": "2024-06-30", "P11": "2024-07-05"}
MUNICIPALITY = {"P5": "630"}


def _c(cid: str, who: str, start: str, end: str, **changes) -> dict:
    row = {
        "contact_id": cid, "cpr": CPR[who], "hospital_unit": "OUH", "course_department": "KIR",
        "contact_department": "KIR", "specialty": "surgery", "priority": "acute",
        "contact_type": "physical", "start": start, "end": end, "action_diagnosis": "DR069",
        "secondary_diagnoses": "", "procedures": "", "drg_value": "", "pathway": "",
    }
    return row | changes


MED = {"specialty": "medicine", "course_department": "MED", "contact_department": "MED"}

CONTACTS = [
    _c("P1a", "P1", "2024-02-01T10:00:00", "2024-02-01T15:00:00", action_diagnosis="DJ189"),
    _c("P1b", "P1", "2024-03-01T08:00:00", "2024-03-02T08:00:00", action_diagnosis="DN390"),
    _c("P1c", "P1", "2024-04-01T08:00:00", "2024-04-01T11:00:00", action_diagnosis="DN390"),
    _c("P1d", "P1", "2024-10-01T08:00:00", "2024-10-02T08:00:00", action_diagnosis="DE86",
       priority="planned"),
    _c("P1e", "P1", "2024-03-20T08:00:00", "2024-03-21T08:00:00"),
    _c("P2a", "P2", "2024-08-01T08:00:00", "2024-08-02T08:00:00", action_diagnosis="DS720"),
    _c("P3a", "P3", "2023-06-01T08:00:00", "2023-06-02T08:00:00", action_diagnosis="DN390"),
    _c("P4a", "P4", "2024-05-01T08:00:00", "2024-05-03T08:00:00", action_diagnosis="DS720"),
    _c("P6x", "P6", "2022-05-01T09:00:00", "2022-05-01T10:00:00", priority="planned",
       action_diagnosis="DZ017", secondary_diagnoses="DI10;DE119"),
    _c("P6f", "P6", "2024-02-01T08:00:00", "2024-02-02T08:00:00", drg_value="30000"),
    _c("P6g", "P6", "2024-03-01T08:00:00", "2024-03-01T18:00:00", drg_value="2500"),
    _c("P6h", "P6", "2024-09-01T08:00:00", "2024-09-01T20:00:00"),
    _c("P6p", "P6", "2024-04-10T09:00:00", "2024-04-10T10:00:00", priority="planned",
       specialty="psychiatry", course_department="PSY", contact_department="PSY",
       action_diagnosis="DF329", drg_value="1000"),
    _c("P7a", "P7", "2024-06-01T08:00:00", "2024-06-02T08:00:00", action_diagnosis="DE119"),
    _c("P8x", "P8", "2023-05-01T09:00:00", "2023-05-01T10:00:00", priority="planned",
       action_diagnosis="DE109"),
    _c("P8z", "P8", "2024-12-31T12:00:00", "2024-12-31T13:00:00", priority="planned"),
    _c("P9x", "P9", "2018-12-31T23:59:00", "2019-01-01T00:30:00", priority="planned",
       action_diagnosis="DJ441"),
    _c("P9j", "P9", "2024-11-01T08:00:00", "2024-11-02T08:00:00"),
    _c("P9k", "P9", "2024-12-02T08:00:00", "2024-12-03T08:00:00"),
    _c("P10x", "P10", "2019-01-01T00:00:00", "2019-01-01T01:00:00", priority="planned",
       action_diagnosis="DZ017", secondary_diagnoses="DJ449"),
    _c("P10i", "P10", "2024-01-10T08:00:00", "2024-01-15T08:00:00", action_diagnosis="DJ441",
       drg_value="50000"),
    _c("P11a", "P11", "2024-07-01T08:00:00", "2024-07-05T08:00:00"),
    _c("P12a", "P12", "2023-12-01T10:00:00", "2023-12-01T14:00:00", **MED),
    _c("P12b", "P12", "2024-02-01T10:00:00", "2024-02-01T14:00:00", **MED),
    _c("P12c", "P12", "2024-05-01T10:00:00", "2024-05-01T14:00:00", **MED),
    _c("P13a", "P13", "2024-01-01T10:00:00", "2024-01-01T14:00:00", **MED),
    _c("P13b", "P13", "2024-03-01T10:00:00", "2024-03-01T14:00:00", **MED),
    _c("P13c", "P13", "2024-04-01T10:00:00", "2024-04-01T14:00:00", hospital_unit="SLB",
       course_department="SLB-MED", contact_department="SLB-MED", specialty="medicine"),
    _c("P14a", "P14", "2024-01-01T10:00:00", "2024-01-01T14:00:00", **MED),
    _c("P14b", "P14", "2024-03-01T10:00:00", "2024-03-01T14:00:00", **MED),
    _c("P14c", "P14", "2024-07-01T10:00:00", "2024-07-01T14:00:00", **MED),
]


def write_drop(folder: Path) -> Path:
    persons = [
        {"cpr": CPR[p], "name": NAMES[p], "birth_date": born.isoformat(), "sex": "F",
         "municipality_code": MUNICIPALITY.get(p, "461"), "gp_provider_number": "012345",
         "residence_type": "own_home", "death_date": DEATHS.get(p, "")}
        for p, born in BIRTHS.items()
    ]
    return support.write_drop(folder, persons, CONTACTS)


def cell(rows: list[dict], indicator: str, version: str, unit: str, period: str) -> dict:
    found = [r for r in rows if r["indicator_id"] == indicator and r["indicator_version"] == version
             and r["unit_code"] == unit and r["period"] == period]
    assert len(found) == 1, (indicator, version, unit, period, len(found))
    return found[0]


def num(row: dict, column: str) -> float | None:
    return None if row[column] == "" else float(row[column])


def assert_no_person(*texts: str) -> None:
    """No CPR number (nor anything shaped like one) and no name of the drop in any text."""
    support.assert_no_cpr(*texts, cprs=CPR.values(), names=NAMES.values())


KEY = "monitor-test-pseudonym-key"


class Opspor(support.Opspor):
    """``opspor ...`` with OPSPOR_HOME = ``home`` (in-process, or ``.subprocess``); no output may
    hold a CPR number or a name of the drop."""

    def __init__(self, home: Path):
        super().__init__(home, KEY, cprs=CPR.values(), names=NAMES.values())
