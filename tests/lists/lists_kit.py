"""A hand-made drop whose lists and eligibility are worked out by hand, and helpers to read the
outputs. Run day / as-of date D = Wednesday 2026-03-04, so:

* cut-off C = 2026-03-03 18:00; line and counting window [2025-09-02 18:00, C);
  the presence window: ongoing at C, or ended in [2026-03-02 18:00, C];
  new_today compares with the list of 2026-03-03 (cut-off 2026-03-02 18:00);
* eligibility reference time T = 2026-03-04 00:00; 182 days back: 2025-09-03 00:00;
  365 days back: 2025-03-04 00:00.

Persons (the letter is also the first letter of the contact ids):

A  born 1940-02-01, 86 years. 3 acute, physical, medical contacts at OUH (A1, A2, A3), A3 still
   admitted at OUH/MED1 -> on OUH/MED1's list with every line of the window: A3, A4 (planned:
   not counted), A2, A1. A5 starts after the cut-off (no line), A6 before the window (no line).
   Not on the list of 03-03 (then only A1, A2 counted) -> new today. Eligibility: 3 acute
   admissions in 182 days (A1, A2, A3 open for 16 h at T) -> repeated_admissions; not excluded.
   A's CPR number is written with a dash in the drop.
B  born 1940-03-01. 2 counting contacts at OUH + 1 at SLB, planned stay at OUH/MED1 ongoing ->
   not in the target group, on no list. Eligibility: DE119 (diabetes) -> diagnosis; DF009 as a
   secondary diagnosis -> excluded, dementia.
C  born 1990-05-05, 35 years, assisted living. 3 counting contacts at SLB (C1-C3); a planned
   stay at OUH/MED1 ended 2026-03-03 09:00 (C4), within 24 h of C -> on OUH/MED1's list (at
   another unit than the counted contacts). Also on the list of 03-03 (C4 ongoing then) -> not
   new. C5 (AAF6 home visit) and C6 (telephone) are lines, not counted. Eligibility: 3 acute
   admissions -> repeated_admissions; excluded, assisted_living.
D  born 1950-06-15, 75 years. 3 acute geriatric contacts at OUH, department "Geriatri Æ", D3
   ongoing -> on OUH/"Geriatri Æ"'s list (file name OUH__Geriatri_20_C3_86.csv), not new.
   Eligibility: repeated_admissions and elderly_preventable_or_readmission (D1 has DE86,
   dehydration; D2 started 15 days after D1 ended); not excluded.
E  born 1960-01-10, municipality 630 (Vejle). A planned contact with DI50 in the last year ->
   diagnosis; died 2026-02-01 -> excluded, dead.
F  born 2000-07-07. One planned contact, no route -> not in aps-eligible.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from opspor import cpr
from tests import support

AS_OF = "2026-03-04"

BIRTHS = {
    "A": dt.date(1940, 2, 1),
    "B": dt.date(1940, 3, 1),
    "C": dt.date(1990, 5, 5),
    "D": dt.date(1950, 6, 15),
    "E": dt.date(1960, 1, 10),
    "F": dt.date(2000, 7, 7),
}
CPR = {p: cpr.make(born, 100 + i) for i, (p, born) in enumerate(BIRTHS.items())}
NAMES = {p: f"Testperson {p} Jensen" for p in BIRTHS}

PERSONS = [
    {"cpr": CPR["A"][:6] + "-" + CPR["A"][6:], "municipality_code": "461",
     "phone": "21 22 23 24", "email": "anna@eksempel.dk"},  # the contract's optional contact columns
    {"cpr": CPR["B"], "municipality_code": "461"},
    {"cpr": CPR["C"], "municipality_code": "461", "residence_type": "assisted_living"},
    {"cpr": CPR["D"], "municipality_code": "461"},
    {"cpr": CPR["E"], "municipality_code": "630", "death_date": "2026-02-01"},
    {"cpr": CPR["F"], "municipality_code": "461"},
]


def _person(row: dict) -> dict:
    p = next(k for k, v in CPR.items() if v == row["cpr"].replace("-", ""))
    return {
        "name": NAMES[p], "birth_date": BIRTHS[p].isoformat(), "sex": "F",
        "gp_provider_number": "012345", "residence_type": "own_home", "death_date": "",
    } | row


def _c(cid: str, start: str, end: str = "", **changes) -> dict:
    who = cid[0]
    row = {
        "contact_id": cid, "cpr": CPR[who], "hospital_unit": "OUH", "course_department": "MED1",
        "contact_department": "MED1", "specialty": "medicine", "priority": "acute",
        "contact_type": "physical", "start": start, "end": end, "action_diagnosis": "DR069",
        "secondary_diagnoses": "", "procedures": "", "drg_value": "", "pathway": "",
    }
    if who == "A":
        row["cpr"] = CPR["A"][:6] + "-" + CPR["A"][6:]
    return row | changes


CONTACTS = [
    # A: target at OUH, present at OUH/MED1 (A3 open), new today
    _c("A1", "2025-10-01T10:00:00", "2025-10-03T12:00:00", action_diagnosis="DR060"),
    _c("A2", "2026-01-10T08:00:00", "2026-01-12T09:00:00", contact_department="GER",
       specialty="geriatrics", drg_value="4321"),
    _c("A3", "2026-03-03T08:00:00", "", specialty="acute_medicine", action_diagnosis="DR509"),
    _c("A4", "2026-02-01T09:00:00", "2026-02-01T10:00:00", priority="planned"),
    _c("A5", "2026-03-03T19:00:00", "2026-03-03T20:00:00"),  # after the cut-off
    _c("A6", "2025-06-01T10:00:00", "2025-06-01T11:00:00"),  # before the window
    # B: 2 at OUH + 1 at SLB: not in the target group
    _c("B1", "2025-11-01T10:00:00", "2025-11-01T13:00:00", action_diagnosis="DE119"),
    _c("B2", "2025-12-01T10:00:00", "2025-12-01T13:00:00", secondary_diagnoses="DI10;DF009"),
    _c("B3", "2026-02-01T10:00:00", "2026-02-01T13:00:00", hospital_unit="SLB",
       course_department="SLB-MED", contact_department="SLB-MED"),
    _c("B4", "2026-03-02T10:00:00", "", priority="planned"),
    # C: target at SLB, present at OUH/MED1 through a stay that ended 9 h before the cut-off
    _c("C1", "2025-12-01T08:00:00", "2025-12-03T08:00:00", hospital_unit="SLB",
       course_department="SLB-MED", contact_department="SLB-MED"),
    _c("C2", "2026-01-05T08:00:00", "2026-01-07T08:00:00", hospital_unit="SLB",
       course_department="SLB-MED", contact_department="SLB-AKU"),
    _c("C3", "2026-02-01T08:00:00", "2026-02-03T08:00:00", hospital_unit="SLB",
       course_department="SLB-MED", contact_department="SLB-MED"),
    _c("C4", "2026-03-01T08:00:00", "2026-03-03T09:00:00", priority="planned"),
    _c("C5", "2026-02-15T10:00:00", "2026-02-15T11:00:00", hospital_unit="SLB",
       course_department="SLB-MED", contact_department="SLB-MED", procedures="AAF6"),
    _c("C6", "2026-02-20T10:00:00", "2026-02-20T10:10:00", hospital_unit="SLB",
       course_department="SLB-MED", contact_department="SLB-MED", contact_type="telephone"),
    # D: target at OUH, present at OUH/"Geriatri Æ"
    _c("D1", "2025-12-01T08:00:00", "2025-12-05T08:00:00", specialty="geriatrics",
       contact_department="Geriatri Æ", course_department="Geriatri Æ", action_diagnosis="DE86"),
    _c("D2", "2025-12-20T08:00:00", "2025-12-21T09:00:00", specialty="geriatrics",
       contact_department="Geriatri Æ", course_department="Geriatri Æ"),
    _c("D3", "2026-02-20T08:00:00", "", specialty="geriatrics",
       contact_department="Geriatri Æ", course_department="Geriatri Æ"),
    # E: a heart failure contact in the last year, died before the as-of date
    _c("E1", "2025-05-01T09:00:00", "2025-05-01T10:00:00", priority="planned",
       action_diagnosis="DI50"),
    # F: nothing
    _c("F1", "2025-08-01T09:00:00", "2025-08-01T10:00:00", priority="planned"),
]

# ---------------------------------------------------------------- the expected outputs, by hand

MED1_FILE = "OUH__MED1.csv"
GER_FILE = "OUH__Geriatri_20_C3_86.csv"


def _line(dept: str, cid: str, counted: bool, new: bool) -> dict:
    c = next(c for c in CONTACTS if c["contact_id"] == cid)
    who = cid[0]
    return {
        "department": dept, "hospital_unit": "OUH", "cpr": CPR[who], "name": NAMES[who],
        "contact_id": cid, "action_diagnosis": c["action_diagnosis"],
        "course_department": c["course_department"], "contact_department": c["contact_department"],
        "contact_start": c["start"], "contact_end": c["end"],
        "counted": "true" if counted else "false", "new_today": "true" if new else "false",
    }


EXPECTED_LISTS = {
    MED1_FILE: [
        # A is new today: first; newest contact first
        _line("MED1", "A3", True, True),
        _line("MED1", "A4", False, True),
        _line("MED1", "A2", True, True),
        _line("MED1", "A1", True, True),
        _line("MED1", "C4", False, False),
        _line("MED1", "C6", False, False),
        _line("MED1", "C5", False, False),
        _line("MED1", "C3", True, False),
        _line("MED1", "C2", True, False),
        _line("MED1", "C1", True, False),
    ],
    GER_FILE: [
        _line("Geriatri Æ", "D3", True, False),
        _line("Geriatri Æ", "D2", True, False),
        _line("Geriatri Æ", "D1", True, False),
    ],
}


def _elig(who: str, municipality: str, routes: str, excluded: bool, reasons: str) -> dict:
    return {"cpr": CPR[who], "region_code": "1083", "municipality_code": municipality,
            "routes": routes, "excluded": "true" if excluded else "false",
            "exclusion_reasons": reasons}


# sorted by municipality, then CPR number
EXPECTED_ELIGIBILITY = sorted(
    [
        _elig("A", "461", "repeated_admissions", False, ""),
        _elig("B", "461", "diagnosis", True, "dementia"),
        _elig("C", "461", "repeated_admissions", True, "assisted_living"),
        _elig("D", "461", "repeated_admissions;elderly_preventable_or_readmission", False, ""),
        _elig("E", "630", "diagnosis", True, "dead"),
    ],
    key=lambda r: (r["municipality_code"], r["cpr"]),
)

LIST_HEADER = ("department,hospital_unit,cpr,name,contact_id,action_diagnosis,course_department,"
               "contact_department,contact_start,contact_end,counted,new_today")
ELIGIBILITY_HEADER = "cpr,region_code,municipality_code,routes,excluded,exclusion_reasons"


def write_drop(folder: Path) -> Path:
    return support.write_drop(folder, [_person(r) for r in PERSONS], CONTACTS)


def read_csv(path: Path) -> tuple[str, list[dict]]:
    text = path.read_text(encoding="utf-8")
    header = text.split("\n", 1)[0]
    with open(path, newline="", encoding="utf-8") as f:
        return header, list(csv.DictReader(f))
