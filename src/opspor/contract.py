"""The data contract (``shared/docs/data-contract.md``) as data: files, columns, types, values.

Readers, validators and the synthetic generator all take the shape of a drop from here, so the
contract is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass

SEX = ("M", "F")
RESIDENCE_TYPES = ("own_home", "nursing_home", "assisted_living")
SPECIALTIES = (
    "medicine",
    "acute_medicine",
    "geriatrics",
    "surgery",
    "orthopaedics",
    "psychiatry",
    "paediatrics",
    "obstetrics",
    "oncology",
    "other",
)
PRIORITIES = ("acute", "planned")
CONTACT_TYPES = ("physical", "home_visit", "telephone", "video", "email", "telemedicine")
PATHWAYS = ("cancer", "birth", "hospice", "companion", "radiology_for_practice")

# Column kinds. Each kind has one validator in ``opspor.ingest.rules``.
CPR = "cpr"
TEXT = "text"
DATE = "date"
TIMESTAMP = "timestamp"
ENUM = "enum"
MUNICIPALITY = "municipality_code"
HOSPITAL_UNIT = "hospital_unit"
DIAGNOSIS = "diagnosis"  # one SKS diagnosis code, e.g. DJ441
DIAGNOSES = "diagnoses"  # SKS diagnosis codes separated by ';'
PROCEDURES = "procedures"  # SKS procedure codes separated by ';', e.g. AAF6
NUMBER = "number"
PHONE = "phone"  # a Danish phone number (opspor.contact_details)
EMAIL = "email"  # an e-mail address (opspor.contact_details)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool
    values: tuple[str, ...] = ()  # allowed values of an ENUM column
    meaning: str = ""


@dataclass(frozen=True)
class DropFile:
    name: str  # file stem: persons.csv / persons.parquet
    key: str  # the column that identifies a row; a repeated key in a later drop replaces the row
    columns: tuple[Column, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


PERSONS = DropFile(
    "persons",
    "cpr",
    (
        Column("cpr", CPR, True, meaning="CPR number, the person key"),
        Column("name", TEXT, True, meaning="full name"),
        Column("birth_date", DATE, True),
        Column("sex", ENUM, True, SEX),
        Column("municipality_code", MUNICIPALITY, True, meaning="municipality of residence"),
        Column("gp_provider_number", TEXT, False, meaning="the GP practice's ydernummer"),
        Column("residence_type", ENUM, False, RESIDENCE_TYPES),
        Column("death_date", DATE, False),
        Column("phone", PHONE, False, meaning="the person's phone number, Danish, e.g. 20 12 34 56"),
        Column("email", EMAIL, False, meaning="the person's e-mail address"),
    ),
)

CONTACTS = DropFile(
    "contacts",
    "contact_id",
    (
        Column("contact_id", TEXT, True, meaning="unique per contact"),
        Column("cpr", CPR, True, meaning="must exist in persons"),
        Column("hospital_unit", HOSPITAL_UNIT, True, meaning="sygehusenhed code"),
        Column("course_department", TEXT, True, meaning="afdeling forløb"),
        Column("contact_department", TEXT, True, meaning="afdeling kontakt"),
        Column("specialty", ENUM, True, SPECIALTIES),
        Column("priority", ENUM, True, PRIORITIES),
        Column("contact_type", ENUM, True, CONTACT_TYPES),
        Column("start", TIMESTAMP, True),
        Column("end", TIMESTAMP, False, meaning="empty while the contact is ongoing"),
        Column("action_diagnosis", DIAGNOSIS, True),
        Column("secondary_diagnoses", DIAGNOSES, False),
        Column("procedures", PROCEDURES, False),
        Column("drg_value", NUMBER, False, meaning="DKK; 0 = non-tariff; empty = not supplied"),
        Column("pathway", ENUM, False, PATHWAYS),
    ),
)

DROP_FILES = (PERSONS, CONTACTS)
FORMATS = ("csv", "parquet")
