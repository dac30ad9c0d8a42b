"""The fast validating path of ``opspor fhir import``: msgspec structs of the elements the mapping reads.

The full ``fhir.resources`` models (pydantic) check every element of a resource and cost about
1 ms each, so a national drop took hours. Here each resource is checked in two cheap steps:

1. its top-level element names against the R4 resource's own (read once from the
   ``fhir.resources`` model, so a misspelt ``birthdate`` is refused as the full model refuses it);
2. ``msgspec.convert`` into small typed structs holding only what ``mapping`` reads (identifiers,
   names, addresses, telecom, codings, references, periods, extensions, status), with FHIR R4's
   primitive formats (id, code, uri, date, dateTime with its required offset, positiveInt,
   non-empty strings) and real calendar dates.

Elements opspor does not read (narrative, contact, meta, ...) are not looked into. When a
resource fails, the full model is run on it for the error report, so the messages are as precise as
before; ``--full-validation`` runs the full model on every resource (the old path).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from typing import Annotated

import msgspec
from msgspec import Meta
from pydantic import ValidationError

# FHIR R4 primitive formats (hl7.org/fhir/R4/datatypes.html); a dateTime with a time needs an offset.
_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_DATE = _YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?"
_TIME = r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_DATETIME = _YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(" + _TIME + r")?)?)?"

Id = Annotated[str, Meta(pattern=r"^[A-Za-z0-9\-\.]{1,64}$")]
Code = Annotated[str, Meta(pattern=r"^[^\s]+( [^\s]+)*$")]
Uri = Annotated[str, Meta(pattern=r"^\S+$")]
String = Annotated[str, Meta(pattern=r"\S")]
Date = Annotated[str, Meta(pattern=f"^{_DATE}$")]
DateTime = Annotated[str, Meta(pattern=f"^{_DATETIME}$")]
PositiveInt = Annotated[int, Meta(ge=1)]
_REGEX = re.compile(r"^Expected `str` matching regex '(.*)'$")
_FORMATS = {f"^{_DATE}$": "date format (YYYY, YYYY-MM or YYYY-MM-DD)",
            f"^{_DATETIME}$": "dateTime format (a time needs an offset, e.g. 2025-03-01T10:00:00+01:00)",
            r"^[A-Za-z0-9\-\.]{1,64}$": "id format (1-64 of A-Z a-z 0-9 - .)",
            r"^[^\s]+( [^\s]+)*$": "code format (no leading, trailing or double spaces)",
            r"^\S+$": "uri format (no spaces)", r"\S": "string format (not empty)"}


class _Element(msgspec.Struct, omit_defaults=True):
    pass


class Coding(_Element):
    system: Uri | None = None
    code: Code | None = None
    display: String | None = None


class CodeableConcept(_Element):
    coding: list[Coding] | None = None
    text: String | None = None


class Identifier(_Element):
    system: Uri | None = None
    value: String | None = None


class Reference(_Element):
    reference: String | None = None
    identifier: Identifier | None = None
    display: String | None = None


class Period(_Element):
    start: DateTime | None = None
    end: DateTime | None = None


class Money(_Element):
    value: Decimal | None = None
    currency: Code | None = None


class Extension(_Element):
    url: Uri
    valueCode: Code | None = None
    valueString: String | None = None
    valueIdentifier: Identifier | None = None
    valueMoney: Money | None = None
    valueCodeableConcept: CodeableConcept | None = None


class HumanName(_Element):
    use: Code | None = None
    text: String | None = None
    family: String | None = None
    given: list[String] | None = None


class Address(_Element):
    extension: list[Extension] | None = None


class ContactPoint(_Element):
    system: Code | None = None
    value: String | None = None
    use: Code | None = None


class Patient(_Element):
    id: Id | None = None
    extension: list[Extension] | None = None
    identifier: list[Identifier] | None = None
    name: list[HumanName] | None = None
    gender: Code | None = None
    birthDate: Date | None = None
    deceasedBoolean: bool | None = None
    deceasedDateTime: DateTime | None = None
    address: list[Address] | None = None
    telecom: list[ContactPoint] | None = None
    generalPractitioner: list[Reference] | None = None


class Diagnosis(_Element):
    condition: Reference
    rank: PositiveInt | None = None


class EncounterLocation(_Element):
    location: Reference


class Encounter(_Element):
    status: Code
    class_: Coding = msgspec.field(name="class")
    id: Id | None = None
    extension: list[Extension] | None = None
    identifier: list[Identifier] | None = None
    type: list[CodeableConcept] | None = None
    serviceType: CodeableConcept | None = None
    priority: CodeableConcept | None = None
    subject: Reference | None = None
    period: Period | None = None
    diagnosis: list[Diagnosis] | None = None
    location: list[EncounterLocation] | None = None
    serviceProvider: Reference | None = None


class Condition(_Element):
    subject: Reference
    id: Id | None = None
    category: list[CodeableConcept] | None = None
    code: CodeableConcept | None = None
    encounter: Reference | None = None
    verificationStatus: CodeableConcept | None = None


class Procedure(_Element):
    status: Code
    subject: Reference
    id: Id | None = None
    code: CodeableConcept | None = None
    encounter: Reference | None = None
    performedDateTime: DateTime | None = None


STRUCTS = {"Patient": Patient, "Encounter": Encounter, "Condition": Condition, "Procedure": Procedure}
# Full dates whose calendar day is checked beyond the format (30 February has the format of a date).
_CALENDAR = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_DATED = {
    "Patient": (("birthDate",), ("deceasedDateTime",)),
    "Encounter": (("period", "start"), ("period", "end")),
    "Procedure": (("performedDateTime",),),
}


def _format_named(match: re.Match) -> str:
    pattern = match.group(1).replace("\\\\", "\\")  # msgspec quotes the pattern with its backslashes doubled
    return f"not in FHIR's {_FORMATS.get(pattern, 'format')}"


@cache
def element_names(model) -> frozenset[str]:
    """The top-level JSON names an R4 resource may have: the full model's field aliases."""
    return frozenset({"resourceType"} | {f.alias or name for name, f in model.model_fields.items()})


def problem(res: dict, model) -> tuple[str, str] | None:
    """(element, what is wrong) if ``res`` is not a valid resource of ``model``'s type in what opspor
    reads, else None."""
    rtype = res["resourceType"]
    unknown = sorted(set(res) - element_names(model))
    if unknown:
        return f"{rtype}.{unknown[0]}", f"not an element of {rtype}"
    try:
        msgspec.convert(res, STRUCTS[rtype], strict=True)
    except msgspec.ValidationError as error:
        message, _, where = str(error).partition(" - at `$")
        message = _REGEX.sub(_format_named, message)
        return f"{rtype}{where.rstrip('`')}", message
    for path in _DATED.get(rtype, ()):
        value = res
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        match = _CALENDAR.match(value) if isinstance(value, str) else None
        if match:
            try:
                dt.date(*map(int, match.groups()))
            except ValueError:
                return f"{rtype}.{'.'.join(path)}", f"{value!r} is not a calendar date"
    return None


def validate(res: dict, model, *, full: bool = False) -> list[tuple[str, str]]:
    """[(element, what is wrong)] of ``res`` (up to 3), [] if valid. The fast check first (unless
    ``full``); the full model runs on a failure, for its more precise report, or on every resource
    with ``full``."""
    found = None if full else problem(res, model)
    if found is None and not full:
        return []
    try:
        model.model_validate(res)
    except ValidationError as error:
        rtype = res["resourceType"]
        return [(rtype + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]), e["msg"])
                for e in error.errors()[:3]]
    return [found] if found else []
