"""Concurrent invitations in one region never take the same place of the sequence: two
processes (two leads, two nurses, so the nurse row locks do not serialise them) invite at the
same moments against one real database — PostgreSQL in the PostgreSQL pass (the unique index
makes the second inserter wait and fail, the randomiser counts again), SQLite otherwise (writers
serialised by its IMMEDIATE transactions). Then `opspor web trial-verify` checks the result."""

from __future__ import annotations

import ast
import subprocess

import pytest

from tests.web import fixtures_server

SEED = """
import datetime as dt
from opspor.web.accounts.models import Organisation, User
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.aps.models import EligibilityEntry
from opspor.web.people.models import Person
from opspor.web.worklists.models import ListRun
from opspor.web.accounts.organisations import ensure_reference_organisations
from django.utils import timezone
ensure_reference_organisations()
org = Organisation.objects.get(kind=OrgKind.REGION, code="1083")
for name, role in (("lead1", Role.PROGRAMME_LEAD), ("lead2", Role.PROGRAMME_LEAD), ("nurse1", Role.NURSE), ("nurse2", Role.NURSE)):
    User.objects.create_user(username=name, password="not-used-0123456789", role=role, organisation=org, capacity=100)
run = ListRun.objects.create(run_id="r1", as_of=timezone.localdate(), snapshot_id="s")
for i in range(40):
    p = Person.objects.create(person_key=f"conc{i:02d}", cpr="", region_code="1083", municipality_code="461")
    EligibilityEntry.objects.create(run=run, person=p, region_code="1083", municipality_code="461", routes=["diagnosis"])
print("seeded")
"""

INVITE = """
import os, time
from opspor.web.accounts.models import User
from opspor.web.aps import actions
from opspor.web.people.models import Person
lead, nurse = User.objects.get(username=os.environ["LEAD"]), User.objects.get(username=os.environ["NURSE"])
persons = list(Person.objects.filter(person_key__in=os.environ["KEYS"].split(",")).order_by("person_key"))
open(os.path.join(os.environ["READY"], os.environ["LEAD"]), "w").close()
while len(os.listdir(os.environ["READY"])) < 2:  # both processes set up: start together
    time.sleep(0.01)
for p in persons:
    actions.invite_many(lead, [p], nurse)
print("invited", len(persons))
"""


def _trial_file(tmp_path):
    from opspor.web.aps import rules

    path = tmp_path / "programme.yaml"
    path.write_text(rules.CONFIG.read_text(encoding="utf-8").replace("  enabled: false\n", "  enabled: true\n"))
    return path


@pytest.fixture
def database(tmp_path):
    """A fresh, migrated database (its own on the PostgreSQL pass's cluster, dropped after; else
    SQLite in the home) and the environment of `opspor` commands on it, with the trial on."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**fixtures_server.base_env(home), "OPSPOR_APS_PROGRAMME": str(_trial_file(tmp_path)),
           "OPSPOR_RANDOMISATION_KEY": "concurrency-test-key-0123456789abcdef"}
    pg = fixtures_server.POSTGRES
    name = pg.create_database() if pg else None
    if pg:
        env.update(pg.env(name))
    try:
        _run(env, "web", "migrate")
        yield env
    finally:
        if pg:
            pg.drop_database(name)


def _run(env, *args) -> str:
    done = subprocess.run([fixtures_server.OPSPOR, *args], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_concurrent_invitations_take_distinct_places(database, tmp_path):
    assert "seeded" in _run(database, "manage", "shell", "-c", SEED)
    ready = tmp_path / "ready"
    ready.mkdir()
    procs = []
    for lead, nurse, keys in (("lead1", "nurse1", range(0, 40, 2)), ("lead2", "nurse2", range(1, 40, 2))):
        penv = {**database, "LEAD": lead, "NURSE": nurse, "READY": str(ready),
                "KEYS": ",".join(f"conc{i:02d}" for i in keys)}
        procs.append(subprocess.Popen([fixtures_server.OPSPOR, "manage", "shell", "-c", INVITE],
                                      env=penv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0 and "invited 20" in out, out + err
    listing = _run(database, "manage", "shell", "-c",
                   "from opspor.web.trial.models import Allocation as A; "
                   "print([(a.sequence_number, a.allocated_by) for a in A.objects.filter(stratum='1083')"
                   ".order_by('sequence_number')])")
    places = ast.literal_eval(listing.strip().splitlines()[-1])
    assert [n for n, _by in places] == list(range(1, 41)), places
    if database.get("OPSPOR_DB") == "postgresql":  # SQLite lets one writer run on while the other sleeps
        assert {by for n, by in places if n <= 20} == {"user:lead1", "user:lead2"}, places  # they did overlap
    assert "All allocations match" in _run(database, "web", "trial-verify")
