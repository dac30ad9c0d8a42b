"""The role scope policy (src/opspor/web/people/config/role_scope.yaml) drives the person page:
the municipality sees the minimum it needs to act (that the citizen is included, the
recommendation addressed to it, the contact person) with the legal basis on the page, and a part
the policy does not grant is neither rendered nor read from the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opspor.config_reader import ConfigError
from opspor.web.accounts.roles import Role
from opspor.web.people import policy as scope_policy
from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import make_case

pytestmark = pytest.mark.django_db

DIAGNOSIS = "DJ441"  # an action diagnosis of a hospital contact
NOTE = "Misbrug af alkohol, bor alene"  # the specialist's free-text screening note
TO_MUNICIPALITY = "Hjemmesygepleje to gange om ugen"
TO_GP = "Egen læge: medicingennemgang"
HISTORY = "KOL, 3 akutte indlæggelser"


@pytest.fixture
def citizen(world):
    """p1 (Odense): a consented case with nurse Nina, on a list of Sofie's department with an
    action diagnosis, included at screening with a note, and two concluded MDT conferences (one
    recommendation addressed to the municipality, one to the GP)."""
    from opspor.web.worklists.models import ListEntry, MdtConference, Screening

    person, sofie = world.persons["p1"], world.users["sofie"]
    department = sofie.organisation
    make_case(person, world.users["nina"], world.users["pia"], "consented", answered_at=timezone.now())
    ListEntry.objects.create(run=world.run, department=department, person=person, position=1, contact_id="c1",
                             action_diagnosis=DIAGNOSIS, contact_start=timezone.now() - dt.timedelta(days=2),
                             counted=True, new_today=True)
    screening = Screening.objects.create(person=person, department=department, run=world.run, decision="include",
                                         category="substance", note=NOTE, decided_by=sofie)
    for recommendation, municipality, gp in ((TO_MUNICIPALITY, True, False), (TO_GP, False, True)):
        MdtConference.objects.create(person=person, department=department, screening=screening, status="concluded",
                                     history=HISTORY, recommendation=recommendation, action_by_municipality=municipality,
                                     action_by_gp=gp, opened_by=sofie, concluded_by=sofie, concluded_at=timezone.now())
    return person


def test_the_municipality_sees_the_minimum_to_act_with_its_legal_basis(citizen, world, as_user):
    html = as_user(world.users["odense"]).get(f"/personer/{citizen.public_id}/").content.decode()
    # identity, inclusion, the recommendation addressed to it, the contact person
    assert citizen.name in html and citizen.cpr_display in html
    assert 'data-testid="inclusion"' in html and "Aktiv Patientstøtte" in html
    assert TO_MUNICIPALITY in html
    assert "Nina Sygeplejerske" in html
    # not: hospital contacts with diagnoses, the screening note or category, the MDT history,
    # the recommendation addressed to the GP
    for hidden in (DIAGNOSIS, NOTE, "Substance abuse", HISTORY, TO_GP, "Action diagnosis"):
        assert hidden not in html, hidden
    # the legal basis of each part shown, and the policy version
    basis = html[html.index('data-testid="legal-basis"'):]
    assert "§ 43, stk. 1" in basis and scope_policy.policy().version in basis
    assert "Recommendations addressed to you" in basis and "Hospital contacts" not in basis
    # the list of its citizens: that they are included, not the category (e.g. substance abuse)
    listing = as_user(world.users["odense"]).get("/borgere/").content.decode()
    assert citizen.name in listing and "Substance abuse" not in listing and "Repeated admissions" in listing


def test_the_specialist_keeps_the_clinical_parts(citizen, world, as_user):
    html = as_user(world.users["sofie"]).get(f"/personer/{citizen.public_id}/").content.decode()
    assert DIAGNOSIS in html and NOTE in html and citizen.name in html
    assert "§ 42 a" in html[html.index('data-testid="legal-basis"'):]


def _policy_file(tmp_path, change) -> str:
    import yaml

    data = yaml.safe_load(scope_policy.POLICY_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "role_scope.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_a_part_not_granted_is_neither_rendered_nor_queried(citizen, world, as_user, monkeypatch, tmp_path):
    odense = as_user(world.users["odense"])
    url = f"/personer/{citizen.public_id}/"
    with CaptureQueriesContext(connection) as queries:
        html = odense.get(url).content.decode()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert DIAGNOSIS not in html and "worklists_listentry" not in sql and "worklists_screening" in sql  # inclusion

    # a policy that grants the municipality the hospital contacts and takes identity away
    def widen(data):
        fields = data["roles"]["municipality"]["fields"]
        fields["hospital_contacts"] = {"basis": "Prøvegrundlag § 99"}
        del fields["identity"]
        data["version"] = "test-2"

    monkeypatch.setenv("OPSPOR_ROLE_SCOPE", _policy_file(tmp_path, widen))
    with CaptureQueriesContext(connection) as queries:
        html = odense.get(url).content.decode()
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert DIAGNOSIS in html and "worklists_listentry" in sql and "Prøvegrundlag § 99" in html and "test-2" in html
    assert citizen.name not in html and citizen.cpr_display not in html and citizen.short_key in html
    listing = odense.get("/borgere/").content.decode()
    assert citizen.name not in listing and citizen.cpr_display not in listing and citizen.short_key in listing


def test_the_shipped_policy_covers_every_role_and_the_lead_needs_a_reveal():
    p = scope_policy.load_policy()
    assert p.version and set(p.roles) == set(Role.values)
    assert all(scope.basis for scope in p.roles.values())
    assert set(p.roles["municipality"].grants) == {"identity", "inclusion", "recommendation", "contact_person",
                                                   "messages", "shared_plan"}
    assert p.roles["programme_lead"].needs_reveal("identity") and not p.roles["nurse"].needs_reveal("identity")
    for role in ("secretariat", "auditor", "admin"):
        assert p.roles[role].grants == {}


@pytest.mark.parametrize(("change", "key", "words"), [
    (lambda d: d["roles"]["municipality"]["fields"].update(diagnoses={"basis": "x"}),
     "roles.municipality.fields.diagnoses", "unknown key"),
    (lambda d: d["roles"].pop("auditor"), "roles.auditor", "missing"),
    (lambda d: d["roles"]["nurse"]["fields"]["facts"].update(reveal=True), "roles.nurse.fields.facts.reveal",
     "only `identity`"),
    (lambda d: d["roles"]["nurse"]["fields"]["facts"].update(basis=""), "roles.nurse.fields.facts.basis",
     "legal basis"),
])
def test_a_wrong_policy_is_refused_naming_file_key_and_fix(tmp_path, change, key, words):
    path = _policy_file(tmp_path, change)
    with pytest.raises(ConfigError) as caught:
        scope_policy.load_policy(path)
    assert caught.value.file == path and caught.value.key == key and caught.value.fix
    assert words in str(caught.value)
