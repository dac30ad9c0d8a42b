"""Builders of FHIR R4 Observations for the telemonitoring tests (plain dicts, as devices send)."""

from __future__ import annotations

import datetime as dt
import json

from opspor.fhir.contract.systems import CPR_SYSTEM, PERSON_PUBLIC_ID_SYSTEM

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
MEDCOM = "urn:oid:1.2.208.184.100.8"
HUB = "urn:test:device-hub"
SIMPLE = {  # kind: (system, code, UCUM unit)
    "spo2": (LOINC, "59408-5", "%"), "pulse": (LOINC, "8867-4", "/min"), "weight": (LOINC, "29463-7", "kg"),
    "temperature": (LOINC, "8310-5", "Cel"), "fev1": (LOINC, "20150-9", "L"),
}


def subject(public_id: str | None = None, cpr: str | None = None) -> dict:
    if cpr:
        return {"identifier": {"system": CPR_SYSTEM, "value": cpr}}
    return {"identifier": {"system": PERSON_PUBLIC_ID_SYSTEM, "value": str(public_id)}}


def when(day: dt.date | str = "2025-03-01", hour: int = 8) -> str:
    return f"{day}T{hour:02d}:30:00+01:00"


def obs(kind: str, value, ident: str, who: dict, at: str | None = None, status: str = "final", **extra) -> dict:
    """One Observation of ``kind`` (spo2, pulse, weight, temperature, fev1, cat, blood_pressure:
    ``value`` a (systolic, diastolic) pair)."""
    ob = {"resourceType": "Observation", "identifier": [{"system": HUB, "value": ident}], "status": status,
          "subject": who, "effectiveDateTime": at or when()}
    if kind in SIMPLE:
        system, code, unit = SIMPLE[kind]
        ob["code"] = {"coding": [{"system": system, "code": code}]}
        ob["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    elif kind == "cat":
        ob["code"] = {"coding": [{"system": MEDCOM, "code": "MCS88137"}]}
        ob["valueInteger"] = value
    elif kind == "blood_pressure":
        ob["code"] = {"coding": [{"system": LOINC, "code": "85354-9"}]}
        ob["component"] = [
            {"code": {"coding": [{"system": LOINC, "code": c}]},
             "valueQuantity": {"value": v, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}
            for c, v in (("8480-6", value[0]), ("8462-4", value[1]))]
    else:
        raise ValueError(kind)
    ob.update(extra)
    return ob


def bundle(*observations: dict) -> dict:
    return {"resourceType": "Bundle", "type": "batch", "entry": [{"resource": o} for o in observations]}


def body(doc: dict) -> bytes:
    return json.dumps(doc).encode()


def ndjson(*observations: dict) -> str:
    return "".join(json.dumps(o) + "\n" for o in observations)
