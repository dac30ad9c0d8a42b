"""A hand-made drop whose data alerts for March 2024 are worked out by hand, and a runner for the
real ``opspor`` command (in-process through Typer's runner, or the installed command).

Region Syddanmark (1083); ages at 2024-03-01. Every "repeated" person has three medical acute
contacts at OUH (2024-01-10, 02-10, 03-10, 10:00-14:00): the third, in March, makes them a patient
with repeated acute contacts in March. A planned contact on 2023-01-02 starts the data (so the
182-day window before March is covered) and one on 2024-03-31 ends it (March is complete).

unit                       women aged 70 (band 65+)    men aged 30 (band 0-64)
461 Odense,    GP 100001   20, 16 repeated            10, 0 repeated
479 Svendborg, GP 100002   20, 2 repeated             30, 3 repeated
482 Langeland, GP unknown   2, 1 repeated              -
plus in Odense one woman aged 70, dead 2024-02-20, with the same three contacts (not in March's
population: she counts nowhere).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from opspor import cpr
from tests import support

WOMAN = dt.date(1954, 1, 1)  # 70 on 2024-03-01
MAN = dt.date(1994, 1, 1)  # 30
# (municipality, gp, sex, birth, persons, repeated)
GROUPS = [
    ("461", "100001", "F", WOMAN, 20, 16),
    ("461", "100001", "M", MAN, 10, 0),
    ("479", "100002", "F", WOMAN, 20, 2),
    ("479", "100002", "M", MAN, 30, 3),
    ("482", "", "F", WOMAN, 2, 1),
]
REPEATED_DAYS = ("2024-01-10", "2024-02-10", "2024-03-10")

CPRS: list[str] = []
NAMES: list[str] = []


def _contact(cid: str, number: str, day: str, priority: str = "acute") -> dict:
    return {"contact_id": cid, "cpr": number, "hospital_unit": "OUH", "course_department": "MED",
            "contact_department": "MED", "specialty": "medicine", "priority": priority,
            "contact_type": "physical", "start": f"{day}T10:00:00", "end": f"{day}T14:00:00",
            "action_diagnosis": "DR069"}


def write_drop(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    persons, contacts = [], []
    serial = {"F": 0, "M": 1}  # even for women, odd for men
    extra = [("461", "100001", "F", WOMAN, 1, 1, "2024-02-20")]
    for muni, gp, sex, born, n, repeated, *death in [*GROUPS, *extra]:
        for i in range(n):
            number = cpr.make(born, serial[sex])
            serial[sex] += 2
            CPRS.append(number)
            name = f"Alert Testperson {len(CPRS)}"
            NAMES.append(name)
            persons.append({"cpr": number, "name": name, "birth_date": born.isoformat(), "sex": sex,
                            "municipality_code": muni, "gp_provider_number": gp,
                            "residence_type": "own_home", "death_date": death[0] if death else ""})
            if i < repeated:
                days = REPEATED_DAYS[:2] if death else REPEATED_DAYS
                contacts += [_contact(f"C{len(CPRS)}-{k}", number, d) for k, d in enumerate(days)]
    first = persons[0]["cpr"]
    contacts.append(_contact("START", first, "2023-01-02", "planned"))
    contacts.append(_contact("END", first, "2024-03-31", "planned"))
    return support.write_drop(folder, persons, contacts)


KEY = "alerts-test-pseudonym-key"


class Opspor(support.Opspor):
    """``opspor ...`` with OPSPOR_HOME = ``home`` (in-process, or ``.subprocess``); no output may
    hold a CPR number or a name of the drop."""

    def __init__(self, home: Path):
        super().__init__(home, KEY, cprs=CPRS, names=NAMES, columns=250)
