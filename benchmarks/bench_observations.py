"""Benchmark the reading and storing of home measurements (FHIR R4 Observations, NDJSON).

    .venv/bin/python benchmarks/bench_observations.py --observations 200000 --persons 2000

Writes an NDJSON file of synthetic Observations (the seven kinds of the shipped catalogue, blood
pressure with components, persons named by their public id), then in this one process:

* json.loads:       parsing every line with the standard library, nothing checked (the floor);
* fhir.resources:   ``Observation.model_validate_json`` of every line of a sample (the full
                    pydantic model, what ``opspor fhir import`` uses today; nothing stored);
* fast, read:       ``observations.read_lines``: msgspec structs + the catalogue's checks;
* fast, into store: ``opspor telemonitoring import``'s path, read + ``actions.store`` into a new
                    SQLite web database (persons and their enrolments resolved, identifiers
                    checked, every planned measurement triaged by its protocol — weight gain
                    against the stored weights — alarms raised, bulk insert, audit, one
                    transaction) — the figure of the target (20,000/s on 2 cores);
* again (resend):   the same file once more: every observation found already stored.

Prints wall and CPU seconds and observations per second of each (by wall time, and by CPU time of
this process: on a shared machine the wall figure includes waiting for the other processes). Files go to
``benchmarks/out/observations/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import time
import uuid
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "observations"

KINDS = {  # kind: (LOINC, UCUM, low, high)
    "spo2": ("59408-5", "%", 85, 99), "pulse": ("8867-4", "/min", 50, 110), "weight": ("29463-7", "kg", 55, 110),
    "temperature": ("8310-5", "Cel", 36, 39), "fev1": ("20150-9", "L", 0.8, 3.5),
}


def observation(i: int, person: str, rng: random.Random, start: dt.datetime) -> dict:
    when = (start + dt.timedelta(minutes=i)).isoformat()
    ob = {"resourceType": "Observation", "id": f"o{i}", "meta": {"profile": ["http://example.org/phd"]},
          "identifier": [{"system": "urn:bench:device-hub", "value": f"obs-{i}"}], "status": "final",
          "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                    "code": "vital-signs"}]}],
          "subject": {"identifier": {"system": "https://opspor.dk/fhir/sid/person-public-id", "value": person}},
          "effectiveDateTime": when, "device": {"display": "hub-17"}}
    pick = i % 7
    if pick < 5:
        kind = list(KINDS)[pick]
        code, unit, low, high = KINDS[kind]
        ob["code"] = {"coding": [{"system": "http://loinc.org", "code": code}]}
        ob["valueQuantity"] = {"value": round(rng.uniform(low, high), 1), "unit": unit,
                               "system": "http://unitsofmeasure.org", "code": unit}
    elif pick == 5:
        ob["code"] = {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}
        ob["component"] = [
            {"code": {"coding": [{"system": "http://loinc.org", "code": c}]},
             "valueQuantity": {"value": v, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}
            for c, v in (("8480-6", rng.randint(100, 170)), ("8462-4", rng.randint(60, 100)))]
    else:
        ob["code"] = {"coding": [{"system": "urn:oid:1.2.208.184.100.8", "code": "MCS88137"}]}
        ob["valueInteger"] = rng.randint(0, 40)
    return ob


def enrol_all(persons) -> None:
    """Every bench patient enrolled (set-up, not timed): even ones COPD, odd ones heart failure,
    the protocol's plan, so the store triages every measurement of a planned kind."""
    from django.utils import timezone

    from opspor.telemonitoring import protocols
    from opspor.web.accounts.models import Organisation, User
    from opspor.web.accounts.organisations import ensure_reference_organisations
    from opspor.web.telemonitoring.models import Enrolment, PlanItem

    ensure_reference_organisations()
    region = Organisation.objects.get(kind="region", code="1083")
    nurse = User.objects.create_user(username="bench-nurse", password="x" * 20, role="nurse", organisation=region)
    proto = protocols.shipped()
    names = list(proto.conditions)
    now = timezone.now() - dt.timedelta(days=800)
    enrolments = Enrolment.objects.bulk_create([Enrolment(
        person=p, condition=names[i % 2], source="direct", organisation=region, region_code="1083", enrolled_by=nurse,
        enrolled_at=now, equipment="bench", usability_checked_at=now, usability_note="bench",
        protocol_version=proto.version) for i, p in enumerate(persons)])
    PlanItem.objects.bulk_create([PlanItem(enrolment=e, kind=k, every_days=v.every_days,
                                           missing_after_days=v.missing_after_days)
                                  for e in enrolments for k, v in proto.conditions[e.condition].plan.items()])


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def show(label: str, n: int, wall: float, cpu: float) -> None:
    print(f"{label:<18} {n:>9,} obs {wall:7.2f} s wall {cpu:7.2f} s CPU {n / wall:10,.0f} obs/s (wall) "
          f"{n / cpu:10,.0f} obs/s (CPU)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--persons", type=int, default=2_000)
    parser.add_argument("--pydantic-sample", type=int, default=20_000, help="lines validated by fhir.resources")
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "home").mkdir(parents=True)
    os.environ.update({"OPSPOR_HOME": str(OUT / "home"), "OPSPOR_SECRET_KEY": "bench-" + "x" * 50,
                       "OPSPOR_PSEUDONYM_KEY": "benchmark-key", "DJANGO_SETTINGS_MODULE": "opspor.web.settings"})
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from opspor.web.people.models import Person

    persons = [Person(person_key=f"bench{i:06d}", cpr=f"0101{i:06d}"[:10], public_id=uuid.uuid4())
               for i in range(args.persons)]
    Person.objects.bulk_create(persons)
    ids = [str(p.public_id) for p in persons]
    enrol_all(persons)
    rng = random.Random(1)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    path = OUT / "observations.ndjson"
    with open(path, "w") as f:
        for i in range(args.observations):
            f.write(json.dumps(observation(i, ids[i % len(ids)], rng, start)) + "\n")
    lines = path.read_bytes().splitlines()
    n = len(lines)
    print(f"{n:,} observations of {args.persons:,} persons, {path.stat().st_size / 1e6:,.1f} MB NDJSON")

    _, *t = timed(lambda: [json.loads(line) for line in lines])
    show("json.loads", n, *t)

    from fhir.resources.R4B.observation import Observation as FhirObservation

    sample = lines[:args.pydantic_sample]
    _, *t = timed(lambda: [FhirObservation.model_validate_json(line) for line in sample])
    show("fhir.resources", len(sample), *t)

    from opspor.telemonitoring import kinds, observations
    from opspor.web.telemonitoring import actions
    from opspor.web.telemonitoring.models import Measurement, Source

    catalogue = kinds.shipped()
    _, *t = timed(lambda: [r for chunk in observations.read_lines(catalogue, lines) for r in chunk])
    show("fast, read", n, *t)

    def into_store():
        with open(path, "rb") as f:
            return actions.store(actions.IMPORTER, observations.read_lines(catalogue, f), source=Source.FILE,
                                 sender=path.name, catalogue_version=catalogue.version)

    summary, *t = timed(into_store)
    assert summary.stored == n == Measurement.objects.count(), summary
    show("fast, into store", n, *t)
    print(f"{'':<18} {summary.alarms:,} alarms; triaged: "
          f"{Measurement.objects.exclude(colour='').count():,} of {n:,} (the rest outside the patients' plans)")
    summary, *t = timed(into_store)
    assert summary.duplicates == n and Measurement.objects.count() == n, summary
    show("again (resend)", n, *t)


if __name__ == "__main__":
    main()
