"""The situations the rules care about arise in the documented test population
(20,000 persons, 2023-01-01 - 2025-12-31, seed 7): repeated acute contacts, preventable
admissions, readmissions, every contact type and pathway, excluded activity, skew."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

from opspor import contract

from .conftest import END, N_PERSONS, START

MEDICAL = {"medicine", "acute_medicine", "geriatrics"}
TWELVE_HOURS = dt.timedelta(hours=12)
EXTRACT = dt.datetime.combine(END + dt.timedelta(days=1), dt.time())
PREVENTABLE = re.compile(r"^(DE86|DK590|DJ1[0-8]|DJ2[0-2]|DN30|DN390|DA0[89]|DS\d|DD5[0-3]|DZ7[45]|DL89)")
YEARS = ((END - START).days + 1) / 365.25


def ts(v: str) -> dt.datetime:
    return dt.datetime.fromisoformat(v)


def duration(row) -> dt.timedelta:
    return (ts(row["end"]) if row["end"] else EXTRACT) - ts(row["start"])


def acute_admissions(drop):
    return [r for r in drop.contacts if r["priority"] == "acute" and duration(r) >= TWELVE_HOURS]


def age_at(person, when: dt.date) -> int:
    b = dt.date.fromisoformat(person["birth_date"])
    return when.year - b.year - ((when.month, when.day) < (b.month, b.day))


def counting(row) -> bool:
    """An acute physical medical contact that the repeated-admissions package counts."""
    return (
        row["priority"] == "acute"
        and row["contact_type"] == "physical"
        and row["specialty"] in MEDICAL
        and not row["pathway"]
        and row["drg_value"] != "0"
        and not re.search(r"AAF[67]", row["procedures"])
    )


def three_within(starts: list[dt.datetime]) -> bool:
    starts = sorted(starts)
    return any(starts[i + 2] - starts[i] < dt.timedelta(days=182) for i in range(len(starts) - 2))


def test_repeated_acute_contacts_at_one_unit_and_spread_over_units(drop):
    by_person_unit = defaultdict(list)
    by_person = defaultdict(list)
    for r in drop.contacts:
        if counting(r):
            by_person_unit[(r["cpr"], r["hospital_unit"])].append(ts(r["start"]))
            by_person[r["cpr"]].append((ts(r["start"]), r["hospital_unit"]))
    same_unit = {cpr for (cpr, _), s in by_person_unit.items() if three_within(s)}
    spread = set()
    for cpr, items in by_person.items():
        items.sort()
        for i in range(len(items) - 2):
            window = items[i : i + 3]
            if window[2][0] - window[0][0] < dt.timedelta(days=182) and len({u for _, u in window}) > 1:
                spread.add(cpr)
    assert len(same_unit) >= 50, len(same_unit)
    assert len(spread - same_unit) >= 10, len(spread - same_unit)


def test_admission_rates_and_readmissions(drop):
    adm = acute_admissions(drop)
    rate = len(adm) / N_PERSONS / YEARS * 100
    assert 7 <= rate <= 12, rate  # per 100 persons per year
    persons = {p["cpr"]: p for p in drop.persons}
    old = [r for r in adm if age_at(persons[r["cpr"]], ts(r["start"]).date()) >= 65]
    old_rate = len(old) / sum(age_at(p, START) >= 65 for p in drop.persons) / YEARS * 100
    assert old_rate > 2 * rate  # much higher for the old
    by_person = defaultdict(list)
    for r in adm:
        by_person[r["cpr"]].append((ts(r["start"]), ts(r["end"]) if r["end"] else EXTRACT))
    readmissions = 0
    for stays in by_person.values():
        stays.sort()
        readmissions += sum(
            1 for a, b in zip(stays, stays[1:]) if b[0] > a[1] and b[0] - a[1] <= dt.timedelta(days=30)
        )
    assert 0.05 < readmissions / len(adm) < 0.25, readmissions / len(adm)


def test_preventable_admissions_among_the_elderly(drop):
    persons = {p["cpr"]: p for p in drop.persons}
    prev = [
        r for r in acute_admissions(drop)
        if PREVENTABLE.match(r["action_diagnosis"]) and age_at(persons[r["cpr"]], ts(r["start"]).date()) >= 65
    ]
    elderly = sum(age_at(p, START) >= 65 for p in drop.persons)
    per_1000 = len(prev) / elderly / YEARS * 1000
    assert 25 < per_1000 < 120, per_1000  # Region Syddanmark 2018: 60.1 per 1,000 elderly
    assert len({r["action_diagnosis"][:3] for r in prev}) >= 8


def test_every_contact_type_pathway_and_specialty(drop):
    types = Counter((r["priority"], r["contact_type"]) for r in drop.contacts)
    for t in contract.CONTACT_TYPES:
        assert types[("planned", t)] > 0, t
    for t in ("physical", "telephone", "video", "home_visit"):
        assert types[("acute", t)] > 0, t
    pathways = Counter((r["pathway"], r["priority"]) for r in drop.contacts)
    for p in contract.PATHWAYS:
        assert sum(v for (q, _), v in pathways.items() if q == p) > 0, p
    assert pathways[("cancer", "acute")] > 0  # some cancer contacts are acute
    assert {r["specialty"] for r in drop.contacts} == set(contract.SPECIALTIES)
    assert any(r["course_department"] != r["contact_department"] for r in drop.contacts)
    hospice = [r for r in drop.contacts if r["pathway"] == "hospice"]
    deaths = {p["cpr"]: p["death_date"] for p in drop.persons if p["death_date"]}
    assert all(r["cpr"] in deaths for r in hospice)


def test_excluded_activity_is_present(drop):
    procs = Counter((r["contact_type"], code) for r in drop.contacts for code in r["procedures"].split(";") if code)
    for code in ("AAF6", "AAF7"):
        assert procs[("home_visit", code)] > 0
        assert procs[("physical", code)] > 0  # physical contacts carrying a home-visit code
    drg = Counter("zero" if r["drg_value"] == "0" else "empty" if not r["drg_value"] else "value" for r in drop.contacts)
    n = len(drop.contacts)
    assert 0.015 < drg["zero"] / n < 0.05 and 0.005 < drg["empty"] / n < 0.02
    companions = [r for r in drop.contacts if r["pathway"] == "companion"]
    assert companions and all(r["action_diagnosis"] == "DZ763" for r in companions)
    radiology = [r for r in drop.contacts if r["pathway"] == "radiology_for_practice"]
    assert radiology and all(r["priority"] == "planned" for r in radiology)
    births = [r for r in drop.contacts if r["pathway"] == "birth"]
    assert births and all(r["specialty"] == "obstetrics" for r in births)


def test_eligibility_codes_appear_as_action_and_secondary_diagnoses(drop):
    action = Counter(r["action_diagnosis"][:4] for r in drop.contacts)
    secondary = Counter(c[:4] for r in drop.contacts for c in r["secondary_diagnoses"].split(";") if c)
    for prefix in ("DJ44", "DE11", "DE10", "DI50", "DI11", "DJ45", "DJ84", "DM06", "DF10", "DF20", "DC78"):
        assert action[prefix] + secondary[prefix] > 0, prefix
    for prefix in ("DF00", "DF10", "DF20", "DC78", "DC79", "DJ44", "DE11"):
        assert secondary[prefix] > 0, prefix  # chronic and exclusion conditions as secondary codes
    assert sum(1 for p in drop.persons if p["residence_type"] == "assisted_living") > 0


def test_population_structure(drop):
    old = [p for p in drop.persons if age_at(p, START) >= 85]
    assert sum(p["sex"] == "F" for p in old) > 0.55 * len(old)  # more women at old ages
    nursing = sum(p["residence_type"] == "nursing_home" for p in old) / len(old)
    assert 0.08 < nursing < 0.25, nursing
    children = sum(age_at(p, START) < 18 for p in drop.persons) / len(drop.persons)
    assert 0.17 < children < 0.23
    deaths = sum(bool(p["death_date"]) for p in drop.persons) / len(drop.persons) / YEARS
    assert 0.006 < deaths < 0.016, deaths


def test_bed_days_are_concentrated(drop):
    bed_days = Counter()
    for r in drop.contacts:
        d = duration(r)
        if d >= TWELVE_HOURS:
            bed_days[r["cpr"]] += d.total_seconds() / 86400
    values = sorted(bed_days.values(), reverse=True) + [0.0] * (len(drop.persons) - len(bed_days))
    top = sum(values[: len(values) // 100]) / sum(values)
    assert 0.2 <= top <= 0.45, top
