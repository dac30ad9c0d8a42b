"""Home measurements as FHIR R4 Observations, read and validated fast.

The fast path: ``msgspec`` decodes the JSON straight into small typed structs that hold only the
elements opspor uses (unknown elements are skipped without being built), and targeted checks
against the measurement catalogue (``kinds``) follow: status, identifier, code, subject,
effective time, value or components, UCUM unit and plausible range. The full ``fhir.resources``
model (pydantic) validates every element of the resource and is about 10x slower
(docs/benchmarks.md, ``benchmarks/bench_observations.py``); what it checks beyond this reader
(narrative, extensions, references' targets) opspor does not use.

Every problem is an :class:`ObservationError` naming where (NDJSON line, Bundle entry), the
element in FHIRPath form (``Observation.valueQuantity.code``), what is wrong and the fix. A
reading is a :class:`Reading`; nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import msgspec

from opspor.fhir.contract.systems import CPR_SYSTEM, PERSON_PUBLIC_ID_SYSTEM
from opspor.telemonitoring.kinds import VALUE, Catalogue, Kind, Part

SUBJECT_SYSTEMS = (PERSON_PUBLIC_ID_SYSTEM, CPR_SYSTEM)
MAX_ERRORS = 100


# --------------------------------------------------------------------------- the FHIR elements read

class Coding(msgspec.Struct):
    system: str | None = None
    code: str | None = None


class CodeableConcept(msgspec.Struct):
    coding: list[Coding] = []


class Identifier(msgspec.Struct):
    system: str | None = None
    value: str | None = None


class Reference(msgspec.Struct):
    reference: str | None = None
    identifier: Identifier | None = None
    display: str | None = None


class Quantity(msgspec.Struct):
    value: float | None = None
    unit: str | None = None
    system: str | None = None
    code: str | None = None


class Component(msgspec.Struct):
    code: CodeableConcept | None = None
    valueQuantity: Quantity | None = None


class Observation(msgspec.Struct, tag_field="resourceType", tag="Observation"):
    identifier: list[Identifier] = []
    status: str | None = None
    code: CodeableConcept | None = None
    subject: Reference | None = None
    effectiveDateTime: dt.datetime | None = None
    valueQuantity: Quantity | None = None
    valueInteger: int | None = None
    component: list[Component] = []
    device: Reference | None = None


class Entry(msgspec.Struct):
    resource: Observation | None = None


class Bundle(msgspec.Struct, tag_field="resourceType", tag="Bundle"):
    type: str | None = None
    entry: list[Entry] = []


_ANY = msgspec.json.Decoder(Observation | Bundle)
_ONE = msgspec.json.Decoder(Observation)


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class ObservationError:
    where: str  # "line 3", "Bundle.entry[2]", "body"
    element: str  # FHIRPath-like
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.element}: {self.problem}. Fix: {self.fix}"

    def as_dict(self) -> dict:
        return {"where": self.where, "element": self.element, "problem": self.problem, "fix": self.fix}


class Reading(msgspec.Struct, frozen=True):
    """One validated measurement. ``value2`` is the second component (diastolic), else None."""

    identifier_system: str
    identifier_value: str
    subject_system: str
    subject_value: str
    kind: str
    value: float
    value2: float | None
    effective: dt.datetime  # aware
    status: str
    device: str
    digest: str  # of the content: the same identifier with another digest is a new version


class Invalid(ValueError):
    """The input cannot be stored: ``errors`` lists every problem found (at most MAX_ERRORS)."""

    def __init__(self, errors: list[ObservationError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""))
        self.errors = errors


# --------------------------------------------------------------------------- checks

def _decode_error(where: str, root: str, exc: msgspec.ValidationError | msgspec.DecodeError) -> ObservationError:
    text = str(exc)
    if not isinstance(exc, msgspec.ValidationError):  # (a ValidationError is a DecodeError too)
        return ObservationError(where, root, f"not valid JSON ({text})", "send one JSON object per resource (UTF-8)")
    problem, _, path = text.partition(" - at `")
    element = root + path.rstrip("`").removeprefix("$")
    if element.endswith(".resourceType") or (not path and "resourceType" in problem):
        element = root + ".resourceType" if not path else element
        fix = 'send "resourceType": "Observation" (or a Bundle of Observations)'
    elif element.endswith("effectiveDateTime"):
        fix = "write the time with its zone, e.g. 2025-03-01T08:30:00+01:00"
    elif "Expected `float" in problem or "Expected `int" in problem:
        fix = "write the value as a JSON number, e.g. 94 (not \"94\")"
    else:
        fix = "correct the element's JSON type (FHIR R4 Observation)"
    return ObservationError(where, element, problem[:200], fix)


def _first_identifier(ids: list[Identifier]) -> Identifier | None:
    for i in ids:
        if i.system and i.value:
            return i
    return None


def _part_value(cat: Catalogue, q: Quantity | None, part: Part, path: str, err) -> float | None:
    if q is None:
        err(path, "missing", f"send the measurement as a Quantity with \"system\": \"{cat.ucum}\", \"code\": \"{part.unit}\"")
        return None
    if q.value is None:
        err(f"{path}.value", "missing", "send the number measured")
        return None
    if q.code is None:
        hint = f" (the unit {q.unit!r} is display text only)" if q.unit else ""
        err(f"{path}.code", f"missing: the UCUM unit code is required{hint}",
            f"add \"system\": \"{cat.ucum}\", \"code\": \"{part.unit}\"")
        return None
    if q.system != cat.ucum:
        err(f"{path}.system", f"{q.system!r} is not UCUM", f"write \"system\": \"{cat.ucum}\"")
        return None
    if q.code != part.unit:
        err(f"{path}.code", f"unit {q.code!r} is not accepted for {part.title_en.lower()}",
            f"send the value in {part.unit!r} (UCUM), converted if needed")
        return None
    return _in_range(q.value, part, f"{path}.value", err)


def _in_range(value: float, part: Part, path: str, err) -> float | None:
    if not (part.low <= value <= part.high):
        err(path, f"{value:g} {part.unit} is outside the plausible range {part.low:g}-{part.high:g}",
            "check the device or the typing; resend the corrected value under the same identifier")
        return None
    if part.integer and value != int(value):
        err(path, f"{value:g} is not a whole number", "send the score as a whole number")
        return None
    return float(value)


def _kind_of(cat: Catalogue, code: CodeableConcept | None) -> Kind | None:
    if code is None:
        return None
    for c in code.coding:
        kind = cat.by_code.get((c.system, c.code))
        if kind is not None:
            return kind
    return None


def _part_of(cc: CodeableConcept | None, part: Part) -> bool:
    return cc is not None and any((c.system, c.code) in part.codes for c in cc.coding)


def check(cat: Catalogue, ob: Observation, where: str, errors: list[ObservationError], now: dt.datetime) -> Reading | None:
    """The reading of ``ob``, or None with its problems appended to ``errors``."""
    n = len(errors)

    def err(element: str, problem: str, fix: str) -> None:
        errors.append(ObservationError(where, f"Observation.{element}", problem, fix))

    status = ob.status
    if status not in cat.statuses:
        err("status", "missing" if status is None else f"{status!r} is not accepted",
            f"send one of {', '.join(cat.statuses)} (a correction: the same identifier, status corrected)")
    ident = _first_identifier(ob.identifier)
    if ident is None:
        err("identifier", "missing: an identifier with system and value is required (it makes a resend harmless)",
            'add "identifier": [{"system": "<your device or system URI>", "value": "<unique id>"}]')
    kind = _kind_of(cat, ob.code)
    if kind is None:
        sent = ", ".join(f"{c.system}|{c.code}" for c in (ob.code.coding if ob.code else ())) or "nothing"
        err("code.coding", f"{sent} is not an accepted measurement (catalogue {cat.version})",
            "code it with one of: " + "; ".join(f"{k.name}: {cat.accepted_codes(k)}" for k in cat.kinds.values()))
    subject = ob.subject.identifier if ob.subject is not None else None
    if subject is None or not subject.value or subject.system not in SUBJECT_SYSTEMS:
        err("subject.identifier", "missing or of an unknown system" if subject is None or not subject.value
            else f"system {subject.system!r} is not accepted",
            f"name the patient by \"system\": \"{PERSON_PUBLIC_ID_SYSTEM}\" (opspor's public id) "
            f"or \"{CPR_SYSTEM}\" (CPR number) with its \"value\"")
    effective = ob.effectiveDateTime
    if effective is None:
        err("effectiveDateTime", "missing", "send when it was measured, e.g. 2025-03-01T08:30:00+01:00")
    elif effective.tzinfo is None:
        err("effectiveDateTime", "no time zone", "write the time with its zone, e.g. 2025-03-01T08:30:00+01:00")
    elif effective - now > cat.future_tolerance:
        err("effectiveDateTime", f"{effective.isoformat()} is in the future", "check the device's clock and resend")
    value = value2 = None
    if kind is not None:
        if kind.has_components:
            values = []
            for part in kind.parts:
                found = [i for i, c in enumerate(ob.component) if _part_of(c.code, part)]
                if not found:
                    err("component", f"no {part.title_en.lower()} component",
                        f"add a component coded {cat.accepted_codes(part)} with a valueQuantity in {part.unit!r}")
                    continue
                i = found[0]
                values.append(_part_value(cat, ob.component[i].valueQuantity, part, f"component[{i}].valueQuantity", err))
            if len(values) == 2:
                value, value2 = values
        else:
            part = kind.parts[0]
            if part.integer and ob.valueInteger is not None:
                value = _in_range(ob.valueInteger, part, "valueInteger", err)
            else:
                value = _part_value(cat, ob.valueQuantity, part, "valueQuantity", err)
    if len(errors) > n:
        return None
    device = ""
    if ob.device is not None:
        device = (ob.device.identifier.value if ob.device.identifier and ob.device.identifier.value
                  else ob.device.display or ob.device.reference or "")[:100]
    effective = effective.astimezone(dt.UTC)
    digest = hashlib.blake2b(
        f"{kind.name}|{value!r}|{value2!r}|{effective.timestamp()!r}|{status}|{subject.system}|{subject.value}".encode(),
        digest_size=10).hexdigest()
    return Reading(ident.system, ident.value, subject.system, subject.value, kind.name, value, value2,
                   effective, status, device, digest)


# --------------------------------------------------------------------------- readers

def _finish(readings: list[Reading], errors: list[ObservationError]) -> list[Reading]:
    if errors:
        raise Invalid(errors[:MAX_ERRORS])
    return readings


def read_body(cat: Catalogue, body: bytes, now: dt.datetime | None = None) -> list[Reading]:
    """The readings of a request body: one Observation or a Bundle of them (batch, transaction
    or collection). All or nothing: any problem raises :class:`Invalid` with every problem."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        doc = _ANY.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        root = "Bundle" if b'"Bundle"' in body[:200] else "Observation"
        raise Invalid([_decode_error("body", root, exc)]) from None
    errors: list[ObservationError] = []
    if isinstance(doc, Observation):
        return _finish([r for r in [check(cat, doc, "body", errors, now)] if r], errors)
    if not doc.entry:
        raise Invalid([ObservationError("body", "Bundle.entry", "empty", "send at least one entry with an Observation")])
    readings = []
    for i, entry in enumerate(doc.entry):
        if entry.resource is None:
            errors.append(ObservationError(f"Bundle.entry[{i}]", "Bundle.entry.resource", "missing",
                                           "put the Observation in entry.resource"))
            continue
        r = check(cat, entry.resource, f"Bundle.entry[{i}]", errors, now)
        if r is not None:
            readings.append(r)
        if len(errors) >= MAX_ERRORS:
            break
    return _finish(readings, errors)


def read_lines(cat: Catalogue, lines: Iterable[bytes], now: dt.datetime | None = None) -> Iterator[list[Reading]]:
    """NDJSON, one Observation per line, in chunks of 5,000 readings (blank lines skipped).
    Problems are collected over the whole input; :class:`Invalid` is raised at the end if any
    (so a caller that writes chunks does so inside one transaction and rolls back)."""
    now = now or dt.datetime.now(dt.UTC)
    errors: list[ObservationError] = []
    chunk: list[Reading] = []
    decode = _ONE.decode
    for no, line in enumerate(lines, 1):
        try:
            ob = decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            if not line.strip():  # a blank line (checked only here: strip() copies every line)
                continue
            errors.append(_decode_error(f"line {no}", "Observation", exc))
        else:
            r = check(cat, ob, f"line {no}", errors, now)
            if r is not None and not errors:
                chunk.append(r)
                if len(chunk) >= 5000:
                    yield chunk
                    chunk = []
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise Invalid(errors)
    if chunk:
        yield chunk
