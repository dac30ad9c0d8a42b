"""The mapping between the data contract and FHIR, both directions, in one place.

Export: ``patient(row)`` and ``contact_resources(row)`` build resource dicts from a drop row (text
values, as the contract writes them). Import: ``patient_row``, ``encounter_row``,
``condition_row`` and ``procedure_row`` read a validated resource dict back into contract values,
raising ``Unmappable`` (element path, problem, fix) where the resource cannot be mapped.

Values FHIR can hold but the contract rejects (an unknown municipality, a gender other than
male/female, ...) are passed on as they are: ``opspor ingest`` judges them per line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import uuid
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure

from opspor.cpr import normalise as normalise_cpr
from opspor.fhir.contract.systems import (  # noqa: F401 (re-exported for readers of the mapping)
    ACT_CODE_SYSTEM,
    ACT_PRIORITY_SYSTEM,
    BASE,
    CONTACT_ID_SYSTEM,
    CONTACT_TYPE_SYSTEM,
    COURSE_DEPARTMENT_EXTENSION,
    CPR_SYSTEM,
    DEPARTMENT_SYSTEM,
    DIAGNOSIS_KIND_SYSTEM,
    DRG_EXTENSION,
    HOSPITAL_UNIT_SYSTEM,
    MUNICIPALITY_EXTENSION,
    MUNICIPALITY_SYSTEM,
    PATHWAY_EXTENSION,
    RESIDENCE_EXTENSION,
    SKS_SYSTEM,
    SPECIALTY_SYSTEM,
    YDERNUMMER_SYSTEM,
)
from opspor.rules import concepts as clinical

MODELS = {"Patient": Patient, "Encounter": Encounter, "Condition": Condition, "Procedure": Procedure}
TIME_ZONE = ZoneInfo("Europe/Copenhagen")

GENDER = {"M": "male", "F": "female"}
SEX = {v: k for k, v in GENDER.items()}
PRIORITY = {"acute": "EM", "planned": "EL"}
PRIORITY_BACK = {"EM": "acute", "EL": "planned"}
CLASS_TO_CONTACT_TYPE = {"HH": "home_visit", "VR": "telemedicine"}  # others: physical
# v3 ActCode class of a contact type: HH for the home visit, VR for every remote contact type (the
# concept remote_contact of rules/config/concepts.yaml); physical contacts are classed below.
CONTACT_TYPE_CLASS = {"home_visit": "HH", **dict.fromkeys(
    clinical.shipped()["remote_contact"].criteria.contact_type, "VR")}
ACTION, SECONDARY = "action", "secondary"
SKIPPED_STATUSES = {"entered-in-error", "cancelled", "not-done"}


class BadValue(ValueError):
    """A drop value that cannot be written as FHIR (export): which column, and why."""

    def __init__(self, column: str, message: str):
        super().__init__(f"{column}: {message}")
        self.column, self.message = column, message


def _converted(row: dict, column: str, convert):
    try:
        return convert(row[column])
    except (ValueError, TypeError, InvalidOperation) as error:
        if row[column] is None:
            raise BadValue(column, "is empty but required") from None
        raise BadValue(column, f"cannot be read ({error})") from None


class Unmappable(Exception):
    """A resource that is valid FHIR but cannot be read as the contract: where, what, fix."""

    def __init__(self, path: str, message: str, fix: str):
        super().__init__(f"{path}: {message}")
        self.path, self.message, self.fix = path, message, fix


# ---------------------------------------------------------------- ids and times


def id_key(secret: bytes) -> bytes:
    """The key for resource ids, derived from the pseudonym key (ids never show a CPR number)."""
    return hmac.new(secret, b"opspor fhir resource id", hashlib.sha256).digest()


def resource_id(key: bytes, kind: str, value: str) -> str:
    """A stable UUID for a person or contact: the same drop and key give the same ids."""
    digest = hmac.new(key, f"{kind}/{value}".encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?"
)


def to_fhir_datetime(value: str) -> str:
    """A contract timestamp (Danish local time, no offset) as a FHIR dateTime with its offset.

    A local time the clock skips in spring keeps its wall-clock text with the winter offset, so
    ``from_fhir_datetime`` gives the same text back.
    """
    local = dt.datetime.fromisoformat(value)
    if local.tzinfo is not None:
        raise ValueError("has a time zone offset; the contract's timestamps are local Danish time")
    offset = TIME_ZONE.utcoffset(local)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + _offset_text(offset)


def from_fhir_datetime(value: str) -> str:
    """A FHIR dateTime as the contract's local Danish timestamp (``2026-03-02T17:45:00``).

    Where the offset is Copenhagen's own for that wall-clock time, the text is kept as it is;
    otherwise the instant is converted to Copenhagen time. A date without time is passed on.
    """
    m = _DATETIME.fullmatch(value)
    if not m:
        return value
    day, hh, mm, ss, zone = m.groups()
    wall = f"{day}T{hh}:{mm}:{ss or '00'}"
    if zone is None:
        return wall
    local = dt.datetime.fromisoformat(wall)
    given = dt.timedelta(0) if zone == "Z" else _parse_offset(zone)
    if TIME_ZONE.utcoffset(local) == given:
        return wall
    instant = local.replace(tzinfo=dt.timezone(given))
    return instant.astimezone(TIME_ZONE).strftime("%Y-%m-%dT%H:%M:%S")


def from_fhir_date(value: str) -> str:
    """A FHIR date or dateTime as a contract date (the Danish local date of a dateTime)."""
    return from_fhir_datetime(value)[:10] if "T" in value else value


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _parse_offset(text: str) -> dt.timedelta:
    sign = -1 if text[0] == "-" else 1
    return sign * dt.timedelta(hours=int(text[1:3]), minutes=int(text[4:6]))


# ---------------------------------------------------------------- export: drop row -> resources


def _codes(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(";") if c.strip()]


def _coding(system: str, code: str) -> dict:
    return {"coding": [{"system": system, "code": code}]}


# Patient.telecom's ContactPoint systems of the contract's contact columns, in the order exported
TELECOM = (("phone", "phone"), ("email", "email"))


def _telecom(res: dict, systems: tuple[str, ...]) -> str | None:
    """The first value of a ContactPoint of ``systems`` that is not marked old."""
    return next((t["value"] for t in res.get("telecom") or ()
                 if t.get("system") in systems and t.get("value") and t.get("use") != "old"), None)


def patient(row: dict, pid: str) -> dict:
    """A persons row as a Patient resource dict (validated by the caller through the model)."""
    res: dict = {"resourceType": "Patient", "id": pid}
    if row.get("residence_type"):
        res["extension"] = [{"url": RESIDENCE_EXTENSION, "valueCode": row["residence_type"]}]
    res["identifier"] = [{"system": CPR_SYSTEM, "value": normalise_cpr(row["cpr"])}]
    if row.get("name"):
        parts = row["name"].split()
        name = {"use": "official", "text": row["name"], "family": parts[-1]}
        if len(parts) > 1:
            name["given"] = parts[:-1]
        res["name"] = [name]
    if row.get("sex"):
        res["gender"] = GENDER.get(row["sex"], row["sex"])  # another value is kept, for ingest to judge
    if row.get("birth_date"):
        res["birthDate"] = row["birth_date"]
    if row.get("death_date"):
        res["deceasedDateTime"] = row["death_date"]
    if row.get("municipality_code"):
        code = row["municipality_code"].zfill(4)  # DK Core writes municipality codes with 4 digits
        res["address"] = [{"use": "home", "extension": [{
            "url": MUNICIPALITY_EXTENSION, "valueCodeableConcept": _coding(MUNICIPALITY_SYSTEM, code)}]}]
    telecom = [{"system": system, "value": row[column]} for system, column in TELECOM if row.get(column)]
    if telecom:
        res["telecom"] = telecom
    if row.get("gp_provider_number"):
        res["generalPractitioner"] = [{
            "type": "Organization",
            "identifier": {"system": YDERNUMMER_SYSTEM, "value": row["gp_provider_number"]},
        }]
    return res


def _encounter_class(row: dict) -> str:
    """v3 ActCode class: HH home visit, VR remote, IMP a physical contact that lasted an admission's
    length (``admission_hours`` of concepts.yaml) or more, else EMER (priority EM, acute) or AMB
    (planned). The contract keeps the contact type itself in Encounter.type."""
    if row["contact_type"] in CONTACT_TYPE_CLASS:
        return CONTACT_TYPE_CLASS[row["contact_type"]]
    if row.get("end"):
        start = _converted(row, "start", dt.datetime.fromisoformat)
        lasted = _converted(row, "end", dt.datetime.fromisoformat) - start
        if lasted >= dt.timedelta(hours=clinical.shipped().admission_hours):
            return "IMP"
    return "EMER" if PRIORITY.get(row.get("priority")) == "EM" else "AMB"


def contact_resources(
    row: dict, eid: str, pid: str, *, local_refs: bool
) -> list[dict]:
    """A contacts row as an Encounter with its Conditions and Procedures.

    ``local_refs``: refer from Condition/Procedure to the Encounter by ``urn:uuid:<id>`` (the
    entry's fullUrl, inside one Bundle) rather than ``Encounter/<id>`` (NDJSON).
    """
    subject = {"reference": f"Patient/{pid}"}
    enc_ref = {"reference": f"urn:uuid:{eid}" if local_refs else f"Encounter/{eid}"}
    extension = [{"url": COURSE_DEPARTMENT_EXTENSION,
                  "valueIdentifier": {"system": DEPARTMENT_SYSTEM, "value": row["course_department"]}}]
    if row.get("drg_value"):
        extension.append({"url": DRG_EXTENSION,
                          "valueMoney": {"value": _converted(row, "drg_value", Decimal), "currency": "DKK"}})
    if row.get("pathway"):
        extension.append({"url": PATHWAY_EXTENSION, "valueCode": row["pathway"]})
    period = {"start": _converted(row, "start", to_fhir_datetime)}
    if row.get("end"):
        period["end"] = _converted(row, "end", to_fhir_datetime)
    diagnoses = [(ACTION, row["action_diagnosis"])] + [(SECONDARY, c) for c in _codes(row.get("secondary_diagnoses"))]
    conditions = [
        (resource_id_from(eid, f"diagnosis/{i}"), kind, code) for i, (kind, code) in enumerate(diagnoses) if code
    ]
    encounter = {
        "resourceType": "Encounter",
        "id": eid,
        "extension": extension,
        "identifier": [{"system": CONTACT_ID_SYSTEM, "value": row["contact_id"]}],
        "status": "finished" if row.get("end") else "in-progress",
        "class": {"system": ACT_CODE_SYSTEM, "code": _encounter_class(row)},
        "type": [_coding(CONTACT_TYPE_SYSTEM, row["contact_type"])],
        "serviceType": _coding(SPECIALTY_SYSTEM, row["specialty"]),
        "priority": _coding(ACT_PRIORITY_SYSTEM, PRIORITY.get(row["priority"], row["priority"])),
        "subject": subject,
        "period": period,
        "diagnosis": [
            {"condition": {"reference": f"urn:uuid:{cid}" if local_refs else f"Condition/{cid}"}, "rank": i + 1}
            for i, (cid, _, _) in enumerate(conditions)
        ],
        "location": [{"location": {"identifier": {"system": DEPARTMENT_SYSTEM, "value": row["contact_department"]}}}],
        "serviceProvider": {"identifier": {"system": HOSPITAL_UNIT_SYSTEM, "value": row["hospital_unit"]}},
    }
    out = [encounter]
    for cid, kind, code in conditions:
        out.append({
            "resourceType": "Condition",
            "id": cid,
            "category": [_coding(DIAGNOSIS_KIND_SYSTEM, kind)],
            "code": _coding(SKS_SYSTEM, code),
            "subject": subject,
            "encounter": enc_ref,
        })
    for i, code in enumerate(_codes(row.get("procedures"))):
        out.append({
            "resourceType": "Procedure",
            "id": resource_id_from(eid, f"procedure/{i}"),
            "status": "completed",
            "code": _coding(SKS_SYSTEM, code),
            "subject": subject,
            "encounter": enc_ref,
            # The contract has no time per procedure: the contact's start stands in for it.
            "performedDateTime": period["start"],
        })
    return out


def resource_id_from(parent: str, part: str) -> str:
    """The id of a resource that belongs to a contact (its diagnoses and procedures)."""
    return str(uuid.uuid5(uuid.UUID(parent), part))


# ---------------------------------------------------------------- import: resource -> contract values


def _with_system(codeable: dict | None, system: str) -> str | None:
    for coding in (codeable or {}).get("coding") or ():
        if coding.get("system") == system:
            return coding.get("code")
    return None


def _required_code(codeable: dict | None, system: str, path: str, what: str) -> str | None:
    """The code with ``system``; a coding with only other systems cannot be mapped."""
    code = _with_system(codeable, system)
    if code is None and (codeable or {}).get("coding"):
        found = ", ".join(sorted({str(c.get("system")) for c in codeable["coding"]}))
        raise Unmappable(path, f"no {what} code with system {system} (found system(s): {found})",
                         f"code the {what} with system {system} (docs/fhir-import.md)")
    return code


def _extension(res: dict, url: str) -> dict | None:
    return next((e for e in res.get("extension") or () if e.get("url") == url), None)


def _identifier(identifiers, system: str) -> list[str]:
    return [i["value"] for i in identifiers or () if i.get("system") == system and i.get("value")]


def _number(value) -> str:
    text = format(Decimal(str(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def patient_row(res: dict) -> dict:
    cprs = sorted(set(_identifier(res.get("identifier"), CPR_SYSTEM)))
    if not cprs:
        raise Unmappable("Patient.identifier", f"no CPR number (an identifier with system {CPR_SYSTEM})",
                         f"give every Patient its CPR number as identifier with system {CPR_SYSTEM}")
    if len(cprs) > 1:
        raise Unmappable("Patient.identifier", "more than one CPR number",
                         "give the Patient exactly one identifier with the CPR system")
    names = res.get("name") or []
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    text = name.get("text") or " ".join([*(name.get("given") or []), name.get("family") or ""]).strip()
    municipality = None
    for i, address in enumerate(res.get("address") or ()):
        ext = _extension(address, MUNICIPALITY_EXTENSION)
        if ext is not None:
            municipality = _required_code(ext.get("valueCodeableConcept"), MUNICIPALITY_SYSTEM,
                                          f"Patient.address[{i}].extension(municipalityCodes)", "municipality")
            if municipality and len(municipality) == 4 and municipality.startswith("0"):
                municipality = municipality[1:]  # DK Core's 4 digits -> the contract's 3
            break
    gps = [gp["identifier"]["value"] for gp in res.get("generalPractitioner") or ()
           if (gp.get("identifier") or {}).get("system") == YDERNUMMER_SYSTEM and gp["identifier"].get("value")]
    residence = _extension(res, RESIDENCE_EXTENSION)
    gender = res.get("gender")
    return {
        "cpr": cprs[0],
        "name": text or None,
        "birth_date": res.get("birthDate"),
        "sex": SEX.get(gender, gender),
        "municipality_code": municipality,
        "gp_provider_number": gps[0] if gps else None,
        "residence_type": residence.get("valueCode") if residence else None,
        "death_date": from_fhir_date(res["deceasedDateTime"]) if res.get("deceasedDateTime") else None,
        "phone": _telecom(res, ("phone", "sms")),
        "email": _telecom(res, ("email",)),
    }


def encounter_row(res: dict, contact_id_system: str) -> tuple[dict, bool]:
    """Contract values of an Encounter, and whether its contact id came from Encounter.id."""
    ids = _identifier(res.get("identifier"), contact_id_system)
    if len(set(ids)) > 1:
        raise Unmappable("Encounter.identifier", f"more than one contact id (system {contact_id_system})",
                         "give the Encounter one identifier with the contact id system")
    from_id = not ids
    if from_id and not res.get("id"):
        raise Unmappable("Encounter.identifier", f"no contact id (identifier with system {contact_id_system}) and no id",
                         f"give the Encounter an identifier with system {contact_id_system}, "
                         "or name your system with --contact-id-system")
    unit = (res.get("serviceProvider") or {}).get("identifier") or {}
    if unit and unit.get("system") != HOSPITAL_UNIT_SYSTEM:
        raise Unmappable("Encounter.serviceProvider.identifier",
                         f"hospital unit identifier has system {unit.get('system')}, not {HOSPITAL_UNIT_SYSTEM}",
                         f"identify the hospital unit by its code (e.g. OUH) with system {HOSPITAL_UNIT_SYSTEM}")
    department = next((
        loc["location"]["identifier"].get("value") for loc in res.get("location") or ()
        if ((loc.get("location") or {}).get("identifier") or {}).get("system") == DEPARTMENT_SYSTEM
    ), None)
    course = _extension(res, COURSE_DEPARTMENT_EXTENSION)
    course_value = ((course.get("valueIdentifier") or {}).get("value") or course.get("valueString")) if course else None
    priority = _required_code(res.get("priority"), ACT_PRIORITY_SYSTEM, "Encounter.priority", "priority")
    contact_type = None
    for concept in res.get("type") or ():
        contact_type = contact_type or _with_system(concept, CONTACT_TYPE_SYSTEM)
    if contact_type is None and res.get("class"):
        contact_type = CLASS_TO_CONTACT_TYPE.get(res["class"].get("code"), "physical")
    drg = _extension(res, DRG_EXTENSION)
    drg_value = None
    if drg is not None:
        money = drg.get("valueMoney") or {}
        if money.get("currency") not in (None, "DKK"):
            raise Unmappable("Encounter.extension(drg-value).valueMoney.currency",
                             f"DRG value in {money.get('currency')}, not DKK", "give the DRG value in DKK")
        drg_value = _number(money["value"]) if money.get("value") is not None else None
    pathway = _extension(res, PATHWAY_EXTENSION)
    period = res.get("period") or {}
    return {
        "contact_id": res["id"] if from_id else ids[0],
        "hospital_unit": unit.get("value"),
        "course_department": course_value,
        "contact_department": department,
        "specialty": _required_code(res.get("serviceType"), SPECIALTY_SYSTEM, "Encounter.serviceType", "specialty"),
        "priority": PRIORITY_BACK.get(priority, priority),
        "contact_type": contact_type,
        "start": from_fhir_datetime(period["start"]) if period.get("start") else None,
        "end": from_fhir_datetime(period["end"]) if period.get("end") else None,
        "drg_value": drg_value,
        "pathway": pathway.get("valueCode") if pathway else None,
    }, from_id


def condition_row(res: dict) -> dict:
    code = _required_code(res.get("code"), SKS_SYSTEM, "Condition.code", "SKS diagnosis")
    if code is None:
        raise Unmappable("Condition.code", f"no SKS code (a coding with system {SKS_SYSTEM})",
                         f"code the diagnosis in SKS with system {SKS_SYSTEM}, e.g. DJ441")
    kind = None
    for concept in res.get("category") or ():
        kind = kind or _with_system(concept, DIAGNOSIS_KIND_SYSTEM)
    if kind not in (None, ACTION, SECONDARY):
        raise Unmappable("Condition.category", f"unknown diagnosis kind {kind!r}",
                         f"use {ACTION!r} or {SECONDARY!r} with system {DIAGNOSIS_KIND_SYSTEM}")
    return {"code": code, "kind": kind}


def procedure_row(res: dict) -> dict:
    code = _required_code(res.get("code"), SKS_SYSTEM, "Procedure.code", "SKS procedure")
    if code is None:
        raise Unmappable("Procedure.code", f"no SKS code (a coding with system {SKS_SYSTEM})",
                         f"code the procedure in SKS with system {SKS_SYSTEM}, e.g. AAF6")
    return {"code": code}


def status_skipped(res: dict) -> bool:
    """Resources recorded in error (or cancelled / not done) are left out of the drop."""
    if res.get("status") in SKIPPED_STATUSES:
        return True
    verification = _with_system(res.get("verificationStatus"),
                                "http://terminology.hl7.org/CodeSystem/condition-ver-status")
    return verification == "entered-in-error"

