"""Reference data shipped with the product: regions, municipalities, hospital units, departments,
the texts of the SKS diagnosis codes the product and the synthetic data use.

The files live in ``reference/data`` with their sources in ``SOURCES.md``. Everything is read
once and cached; callers get immutable tuples and dicts keyed by code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from opspor.i18n import localized

REFERENCE_VERSION = "2026.1"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    name_en: str

    @property
    def name_da(self) -> str:
        return self.name


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    region_code: str
    population: int


@dataclass(frozen=True)
class HospitalUnit:
    code: str
    name: str
    region_code: str
    sites: tuple[str, ...]
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Department:
    hospital_unit: str
    code: str
    name: str
    specialty: str
    site: str


@dataclass(frozen=True)
class Catchment:
    municipality_code: str
    hospital_unit: str
    share: float


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("data", filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(";") if v)


@cache
def regions() -> tuple[Region, ...]:
    return tuple(Region(**r) for r in _rows("regions.csv"))


@cache
def municipalities() -> tuple[Municipality, ...]:
    return tuple(
        Municipality(r["code"], r["name"], r["region_code"], int(r["population"]))
        for r in _rows("municipalities.csv")
    )


@cache
def hospital_units() -> tuple[HospitalUnit, ...]:
    return tuple(
        HospitalUnit(r["code"], r["name"], r["region_code"], _split(r["sites"]), _split(r["aliases"]))
        for r in _rows("hospital_units.csv")
    )


@cache
def departments() -> tuple[Department, ...]:
    return tuple(Department(**r) for r in _rows("departments.csv"))


@cache
def catchment() -> tuple[Catchment, ...]:
    return tuple(
        Catchment(r["municipality_code"], r["hospital_unit"], float(r["share"]))
        for r in _rows("catchment.csv")
    )


@cache
def municipality_by_code() -> dict[str, Municipality]:
    return {m.code: m for m in municipalities()}


@cache
def region_by_code() -> dict[str, Region]:
    return {r.code: r for r in regions()}


def region_name(code: str, lang: str) -> str:
    """The region's name in ``lang``; the code itself when no region has it."""
    found = region_by_code().get(code)
    return localized(found, "name", lang) if found else code


@cache
def hospital_unit_codes() -> dict[str, str]:
    """Every accepted hospital-unit code or alias, mapped to the unit's canonical code."""
    out: dict[str, str] = {}
    for unit in hospital_units():
        out[unit.code] = unit.code
        for alias in unit.aliases:
            out[alias] = unit.code
    return out


@cache
def department_names() -> dict[str, str]:
    """The catalogue's department names by department code (``departments.csv``)."""
    return {d.code: d.name for d in departments()}


@cache
def diagnosis_texts() -> dict[str, str]:
    """SKS diagnosis code -> its Danish text (``sks_diagnoses.csv``: the codes of the shipped code
    lists, the synthetic generator and the tests; source and date in ``SOURCES.md``)."""
    return {r["code"]: r["text"] for r in _rows("sks_diagnoses.csv")}


def diagnosis_text(code: str | None) -> str | None:
    """The text of ``code`` exactly as written (no guessing from a shorter code), or None."""
    return diagnosis_texts().get(code) if code else None
