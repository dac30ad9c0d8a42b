"""From the web app to the analysis: `opspor web trial-export` writes the pseudonymised
participant and WHO-5 tables of every randomised person (refusers included, in the arm they
were randomised to), `opspor monitor effect` runs the intention-to-treat analysis on them with
the snapshot's outcomes, and `opspor web trial-verify` re-derives the allocations from the key
and names a tampered one."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os

import pytest

from opspor import cpr
from opspor.web.audit.models import AuditEntry
from opspor.web.trial.models import Allocation
from tests.support import write_drop
from tests.support.clock import local_today
from tests.web import factories
from tests.web.factories import *  # the fixture as_user
from tests.web.trial.trial_kit import build_trial_world, cases_of, invite

pytestmark = pytest.mark.django_db

REGION_OF = {"461": "1083", "330": "1085"}


def _write_drop(folder, n_per_region: int = 30):
    """Persons in Odense and Holbæk; acute admissions from tomorrow on (the randomisation is today)."""
    start = local_today() + dt.timedelta(days=1)
    persons, contacts = [], []
    for r, muni in enumerate(("461", "330")):
        for i in range(n_per_region):
            number = cpr.make(dt.date(1945 + i % 20, 1 + i % 12, 1 + i % 28), 300 + r * 100 + i)
            persons.append({"cpr": number, "name": f"Trial Testperson {r}-{i}", "sex": "FM"[i % 2],
                            "birth_date": f"{1945 + i % 20}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                            "municipality_code": muni, "gp_provider_number": "012345", "residence_type": "own_home"})
            for k in range((i * 7 + r) % 4):
                begin = dt.datetime.combine(start + dt.timedelta(days=11 + 97 * k + i), dt.time(8))
                contacts.append({"contact_id": f"T{r}-{i}-{k}", "cpr": number, "hospital_unit": "OUH",
                                 "course_department": "MED", "contact_department": "MED", "specialty": "medicine",
                                 "priority": "acute", "contact_type": "physical", "start": begin.isoformat(),
                                 "end": (begin + dt.timedelta(hours=20 + 24 * (i % 3))).isoformat(),
                                 "action_diagnosis": "DJ441"})
    # the data run to a year and a month after the randomisation
    contacts.append({**contacts[0], "contact_id": "END", "priority": "planned",
                     "start": f"{start + dt.timedelta(days=400)}T08:00:00", "end": f"{start + dt.timedelta(days=400)}T09:00:00"})
    return write_drop(folder, persons, contacts)


def _cli(*args):
    from typer.testing import CliRunner

    from opspor.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def _web_persons(w):
    """The snapshot's persons in the web app (as `opspor web publish` would copy them), eligible."""
    from opspor.store import SnapshotStore
    from opspor.web.people.models import Person

    with SnapshotStore().connect(None) as con:
        rows = con.execute("SELECT p.person_key, p.municipality_code, i.cpr FROM persons p "
                           "JOIN identity i USING (person_key) ORDER BY p.person_key").fetchall()
    out = {"1083": [], "1085": []}
    for key, muni, number in rows:
        p = Person.objects.create(person_key=key, cpr=number, name=f"Web {key[:6]}", region_code=REGION_OF[muni],
                                  municipality_code=muni, birth_date=dt.date(1950, 1, 1))
        factories.make_entry(w.run, p, acute=3)
        out[REGION_OF[muni]].append(p)
    return out


@pytest.mark.slow
def test_export_feeds_the_itt_analysis_and_verify_finds_tampering(trial_on, db, as_user, run_opspor, tmp_path):
    ingested = run_opspor("ingest", _write_drop(tmp_path / "drop"))
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    w = build_trial_world()
    persons = _web_persons(w)
    invite(as_user(w.users["pia"]), persons["1083"], w.users["tina"])
    invite(as_user(w.users["lone"]), persons["1085"], w.users["tove"])
    today = local_today().isoformat()
    n_consented = 0
    for region, nurse in (("1083", "tina"), ("1085", "tove")):
        client = as_user(w.users[nurse])
        for i, case in enumerate(cases_of(persons[region])):
            if i % 3 == 2:
                assert client.post(f"/aps/forloeb/{case.pk}/afslag/", {"reason": "not_interested"}).status_code == 302
                continue
            assert client.post(f"/aps/forloeb/{case.pk}/samtykke/", {"confirmed": "1"}).status_code == 302
            n_consented += 1
            for timepoint, base in (("baseline", i % 4), ("6m", (i + (case.allocation.arm == "intervention")) % 6)):
                answers = {f"item_q{q}": str(min(5, max(0, base + q % 2))) for q in range(1, 6)}
                assert client.post(f"/aps/forloeb/{case.pk}/spoergeskema/", {
                    "instrument": "who5", "timepoint": timepoint, "taken_on": today, **answers}).status_code == 302

    out = tmp_path / "export"
    code, text = _cli("web", "trial-export", out)
    assert code == 0 and "60 randomised persons and 80 WHO-5 scores" in text, text
    rows = list(csv.DictReader((out / "trial.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 60 and {r["consent"] for r in rows} == {"consented", "refused"}
    by_key = {a.person.person_key: a for a in Allocation.objects.select_related("person")}
    assert all(by_key[r["person_key"]].arm == r["arm"] and by_key[r["person_key"]].stratum == r["stratum"]
               for r in rows)
    assert all(r["randomised_on"] == today for r in rows)
    files = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    numbers = [p.cpr for p in persons["1083"] + persons["1085"]]
    assert not any(n in files or f"{n[:6]}-{n[6:]}" in files for n in numbers)
    assert "Testperson" not in files and "Web " not in files
    exported = AuditEntry.objects.filter(what="trial.export", action=AuditEntry.Action.EXPORT)
    assert exported.count() == 60 and exported.first().username == "opspor trial export" and exported.first().role == "system"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["participants"] == 60 and sum(manifest["by_arm"].values()) == 60

    estimates = tmp_path / "itt.json"
    result = run_opspor("monitor", "effect", "--trial", out / "trial.csv", "--who5", out / "trial_who5.csv",
                        "--out", estimates)
    assert result.returncode == 0, result.stdout + result.stderr
    est = {(e["outcome"], e["months"]): e for e in json.loads(estimates.read_text())}
    assert set(est) >= {("admissions", m) for m in (3, 6, 12)} | {("bed_days", 6), ("who5", 6)}
    for m in (3, 6, 12):  # everyone randomised is analysed, refusers included (intention to treat)
        assert est[("admissions", m)]["n_intervention"] + est[("admissions", m)]["n_control"] == 60
        assert est[("admissions", m)]["low"] < est[("admissions", m)]["estimate"] < est[("admissions", m)]["high"]
    assert est[("who5", 6)]["n_intervention"] + est[("who5", 6)]["n_control"] == n_consented

    assert _cli("web", "trial-verify") == (0, "All allocations match the sequence derived from the key.\n")
    victim = Allocation.objects.get(stratum="1085", sequence_number=3)
    other = "control" if victim.arm == "intervention" else "intervention"
    Allocation.objects.filter(pk=victim.pk).update(arm=other)
    code, text = _cli("web", "trial-verify")
    assert code == 1 and f"1085 #3: stored {other}, the sequence says {victim.arm}" in " ".join(text.split())
    Allocation.objects.filter(pk=victim.pk).update(arm=victim.arm)
    os.environ["OPSPOR_RANDOMISATION_KEY"] = "another-key-of-at-least-sixteen-bytes"
    try:
        code, text = _cli("web", "trial-verify")
    finally:
        os.environ["OPSPOR_RANDOMISATION_KEY"] = "trial-test-randomisation-key-0123456789abcdef"
    assert code == 1 and "the key and configuration in force give" in " ".join(text.split())
