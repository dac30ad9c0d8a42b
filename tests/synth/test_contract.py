"""Every column and value of the drop is valid per the data contract.

The checks are written here from the contract's text, not taken from the generator.
"""

from __future__ import annotations

import datetime as dt
import re

from opspor import contract
from opspor import reference as ref
from opspor.cpr import birth_date as cpr_birth_date

from .conftest import END, START

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
CPR = re.compile(r"^\d{6}-?\d{4}$")
DIAGNOSIS = re.compile(r"^D[A-Z]\d{1,2}[0-9A-Z]{0,4}$")
PROCEDURE = re.compile(r"^[A-Z]{2,5}\d{0,3}[0-9A-Z]{0,2}$")
NUMBER = re.compile(r"^\d+(\.\d+)?$")
EXTRACT = dt.datetime.combine(END + dt.timedelta(days=1), dt.time())


def date(v: str) -> dt.date:
    assert DATE.match(v), v
    return dt.date.fromisoformat(v)


def ts(v: str) -> dt.datetime:
    assert TIMESTAMP.match(v), v
    return dt.datetime.fromisoformat(v)


def test_columns_are_exactly_the_contract(drop):
    assert drop.header["persons"] == [c.name for c in contract.PERSONS.columns]
    assert drop.header["contacts"] == [c.name for c in contract.CONTACTS.columns]


def test_persons_values(drop):
    munis = ref.municipality_by_code()
    seen = set()
    gps = {}
    for row in drop.persons:
        for col in contract.PERSONS.required:
            assert row[col], (col, row)
        cpr = row["cpr"]
        assert CPR.match(cpr) and cpr not in seen
        seen.add(cpr)
        born = date(row["birth_date"])
        assert cpr_birth_date(cpr) == born, row  # the CPR encodes the birth date
        assert row["sex"] in contract.SEX
        assert (int(cpr[-1]) % 2 == 1) == (row["sex"] == "M"), row  # odd last digit = male
        assert row["municipality_code"] in munis
        assert row["name"].strip() == row["name"] and " " in row["name"]
        gp = row["gp_provider_number"]
        if gp:
            assert re.match(r"^\d{6}$", gp)
            gps.setdefault(gp, set()).add(row["municipality_code"])
        assert row["residence_type"] in contract.RESIDENCE_TYPES + ("",)
        if row["death_date"]:
            assert born <= date(row["death_date"]) <= END
        assert born <= START
    assert all(len(m) == 1 for m in gps.values())  # a practice lies in one municipality
    n = len(drop.persons)
    assert 0.005 < sum(not p["gp_provider_number"] for p in drop.persons) / n < 0.02
    assert 0.01 < sum(not p["residence_type"] for p in drop.persons) / n < 0.03


def test_contacts_values(drop):
    persons = {p["cpr"]: p for p in drop.persons}
    units = ref.hospital_unit_codes()
    ids = set()
    for row in drop.contacts:
        for col in contract.CONTACTS.required:
            assert row[col], (col, row)
        assert row["contact_id"] not in ids
        ids.add(row["contact_id"])
        assert row["cpr"] in persons
        assert row["hospital_unit"] in units
        assert row["specialty"] in contract.SPECIALTIES
        assert row["priority"] in contract.PRIORITIES
        assert row["contact_type"] in contract.CONTACT_TYPES
        assert row["pathway"] in contract.PATHWAYS + ("",)
        start = ts(row["start"])
        assert START <= start.date() <= END
        if row["end"]:
            assert start <= ts(row["end"]) <= EXTRACT
        assert DIAGNOSIS.match(row["action_diagnosis"]), row
        if row["secondary_diagnoses"]:
            codes = row["secondary_diagnoses"].split(";")
            assert all(DIAGNOSIS.match(c) for c in codes), row
            assert len(set(codes)) == len(codes)
        if row["procedures"]:
            assert all(PROCEDURE.match(c) for c in row["procedures"].split(";")), row
        if row["drg_value"]:
            assert NUMBER.match(row["drg_value"]), row
        for col in ("course_department", "contact_department", "action_diagnosis"):
            assert row[col] == row[col].strip() and row[col].upper() == row[col]


def test_specialty_is_that_of_the_contact_department(drop):
    specialty = {d.code: d.specialty for d in ref.departments()}
    unit_of = {d.code: d.hospital_unit for d in ref.departments()}
    for row in drop.contacts:
        assert specialty[row["contact_department"]] == row["specialty"]
        assert unit_of[row["contact_department"]] == row["hospital_unit"]
        assert unit_of[row["course_department"]] == row["hospital_unit"]


def test_no_contact_after_death_or_after_the_period(drop):
    death = {p["cpr"]: date(p["death_date"]) for p in drop.persons if p["death_date"]}
    ongoing = 0
    for row in drop.contacts:
        start = ts(row["start"])
        assert start.date() <= END
        if row["cpr"] in death:
            d = death[row["cpr"]]
            assert start.date() <= d, row
            assert row["end"] and ts(row["end"]).date() <= d, row  # nothing runs on after death
        if not row["end"]:
            ongoing += 1
            assert row["cpr"] not in death
    assert ongoing > 0  # contacts still running at --end have an empty end


def test_nothing_runs_past_the_time_of_death(drop):
    """Per person, the latest contact end is the time of death when they died in hospital, and no
    contact of the person starts after it."""
    death = {p["cpr"]: date(p["death_date"]) for p in drop.persons if p["death_date"]}
    last_end: dict[str, dt.datetime] = {}
    starts: dict[str, list[dt.datetime]] = {}
    for row in drop.contacts:
        if row["cpr"] in death:
            last_end[row["cpr"]] = max(last_end.get(row["cpr"], dt.datetime.min), ts(row["end"]))
            starts.setdefault(row["cpr"], []).append(ts(row["start"]))
    died_in_hospital = [cpr for cpr, end in last_end.items() if end.date() == death[cpr]]
    assert len(died_in_hospital) > 10  # the rule below is checked on many persons, not on none
    for cpr in died_in_hospital:  # the stay ends at death: no contact starts at or after it
        assert all(s < last_end[cpr] for s in starts[cpr]), cpr


def test_some_die_in_hospital(drop):
    death = {p["cpr"]: date(p["death_date"]) for p in drop.persons if p["death_date"]}
    in_hospital = {
        row["cpr"]
        for row in drop.contacts
        if row["cpr"] in death and row["end"] and ts(row["end"]).date() == death[row["cpr"]]
        and ts(row["end"]) - ts(row["start"]) >= dt.timedelta(hours=12)
    }
    assert 0.15 * len(death) < len(in_hospital) < 0.7 * len(death)
