"""The programme lead sees no identity without a logged reason, whatever URL is tried: person
URLs take a random public id only (not the primary key, the CPR number or the pseudonym); the
person page, the case page, the pool and its exports show a CPR number and a name only after a
reveal, which holds for the rest of the day in the same log-in session; an excluded person answers
404 exactly like one who does not exist."""

from __future__ import annotations

import io
import re
import uuid

import openpyxl
import pytest

from opspor.web.audit.models import AuditEntry
from opspor.web.people.scope import REVEALS_SESSION_KEY
from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import make_case

pytestmark = pytest.mark.django_db


def _identity_in(html: str, person) -> bool:
    return any(part in html for part in (person.name, person.cpr, person.cpr_display))


def _page(response, public_id) -> str:
    """The page without its per-response CSRF token and with the id asked for as ``ID``."""
    html = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+"', "", response.content.decode())
    return html.replace(str(public_id), "ID")


def _reveal(client, person, reason="Forbereder invitationsbrevet", next_url="/aps/program/"):
    return client.post(f"/aps/program/vis/{person.public_id}/", {"reason": reason, "next": next_url})


def test_person_urls_take_only_the_random_public_id(world, as_user):
    nina = as_user(world.users["nina"])
    p1 = world.persons["p1"]
    make_case(p1, world.users["nina"], world.users["pia"], "invited")
    assert nina.get(f"/personer/{p1.public_id}/").status_code == 200
    for other_form in (p1.pk, p1.cpr, p1.cpr_display, p1.person_key, p1.short_key, str(p1.public_id).upper()[:8]):
        assert nina.get(f"/personer/{other_form}/").status_code == 404, other_form
    assert p1.public_id.version == 4  # random, not derived from the key or the order of rows
    assert world.persons["p2"].public_id.int - p1.public_id.int not in (1, -1)


def test_the_lead_sees_no_identity_on_the_person_page_until_a_reveal(world, as_user):
    pia = as_user(world.users["pia"])
    p1 = world.persons["p1"]
    response = pia.get(f"/personer/{p1.public_id}/")
    html = response.content.decode()
    assert response.status_code == 200 and not _identity_in(html, p1) and p1.short_key in html
    assert f"/aps/program/vis/{p1.public_id}/" in html  # the way to a reveal, with a reason
    read = AuditEntry.objects.filter(what="person", person_key=p1.person_key).latest("id")
    assert read.detail["identity"] is False
    # a reveal without a reason shows nothing and is not remembered
    assert pia.post(f"/aps/program/vis/{p1.public_id}/", {"reason": ""}).status_code == 400
    assert not _identity_in(pia.get(f"/personer/{p1.public_id}/").content.decode(), p1)
    # with a reason: shown, audited with the reason, and the person page shows it too
    assert _reveal(pia, p1).status_code == 200
    assert AuditEntry.objects.get(what="aps.reveal").why == "Forbereder invitationsbrevet"
    html = pia.get(f"/personer/{p1.public_id}/").content.decode()
    assert p1.name in html and p1.cpr_display in html
    # only for that person
    assert not _identity_in(pia.get(f"/personer/{world.persons['p2'].public_id}/").content.decode(),
                            world.persons["p2"])


def test_the_case_page_shows_no_identity_to_the_lead_without_a_reveal(world, as_user):
    p1 = world.persons["p1"]
    case = make_case(p1, world.users["nina"], world.users["pia"], "invited")
    pia = as_user(world.users["pia"])
    html = pia.get(f"/aps/forloeb/{case.pk}/").content.decode()
    assert not _identity_in(html, p1) and p1.short_key in html and f"/personer/{p1.public_id}/" in html
    assert 'data-testid="person-messages"' not in html  # the policy does not grant the lead the messages
    _reveal(pia, p1, next_url=f"/aps/forloeb/{case.pk}/")
    html = pia.get(f"/aps/forloeb/{case.pk}/").content.decode()
    assert p1.name in html and p1.cpr_display in html
    # the nurse of the case sees the person she calls
    assert p1.name in as_user(world.users["nina"]).get(f"/aps/forloeb/{case.pk}/").content.decode()


def test_excluded_persons_answer_404_to_the_lead_like_missing_ones(world, as_user):
    pia = as_user(world.users["pia"])
    nobody = uuid.uuid4()
    missing = pia.get(f"/personer/{nobody}/")
    assert missing.status_code == 404
    for name in ("p5", "p6"):  # excluded (dementia) on the newest run; eligible only on an older run
        person = world.persons[name]
        response = pia.get(f"/personer/{person.public_id}/")
        assert response.status_code == 404 and _page(response, person.public_id) == _page(missing, nobody), name
        assert _reveal(pia, person).status_code == 404, name
    assert "dementia" not in pia.get("/aps/program/").content.decode()


def test_the_pool_and_its_exports_show_no_identity_and_no_row_ids(world, as_user):
    pia = as_user(world.users["pia"])
    p1 = world.persons["p1"]
    make_case(p1, world.users["nina"], world.users["pia"], "active")
    _reveal(pia, world.persons["p2"])  # a reveal does not reach the exports
    html = pia.get("/aps/program/").content.decode()
    for name in ("p1", "p3", "p4"):
        person = world.persons[name]
        assert not _identity_in(html, person) and person.short_key in html, name
        assert f'name="persons" value="{person.pk}"' not in html and f'id="row-{person.pk}"' not in html, name
    exports = [pia.get("/aps/program/eksport.csv").content.decode("utf-8-sig")]
    sheet = openpyxl.load_workbook(io.BytesIO(pia.get("/aps/program/eksport.xlsx").content)).active
    exports.append(" ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None))
    for text in exports:
        for person in world.persons.values():
            assert not _identity_in(text, person), person.short_key
        assert p1.short_key in text


def test_a_reveal_holds_for_the_day_in_the_same_session_only(world, as_user):
    p1 = world.persons["p1"]
    pia = as_user(world.users["pia"])
    _reveal(pia, p1)
    assert p1.name in pia.get("/aps/program/").content.decode()  # the pool shows it inline for the day
    # a new log-in (another session) starts without reveals
    other = as_user(world.users["pia"])
    assert not _identity_in(other.get(f"/personer/{p1.public_id}/").content.decode(), p1)
    # yesterday's reveal is no longer valid
    session = pia.session
    session[REVEALS_SESSION_KEY] = {str(p1.public_id): "2000-01-01"}
    session.save()
    assert not _identity_in(pia.get(f"/personer/{p1.public_id}/").content.decode(), p1)



INSERT_OLD_ROWS = """
from django.db import connection
with connection.cursor() as c:
    c.executemany("INSERT INTO people_person (person_key, cpr, name, sex, municipality_code, region_code, "
                  "gp_provider_number, residence_type, snapshot_id) VALUES (%s, '0101011234', '', '', '', '', '', '', '')",
                  [(f"k{i:05d}",) for i in range(2500)])
"""
COUNT_IDS = ("from opspor.web.people.models import Person; ids = list(Person.objects.values_list('public_id', flat=True)); "
             "print(len(ids), len(set(ids)), sorted({i.version for i in ids}))")


def test_the_migration_gives_every_existing_person_its_own_public_id(server):
    """On the server's own database (SQLite, or PostgreSQL in CI): rows made before the public
    id (more than one batch of the data migration) each get a distinct random one."""
    server.run_opspor("manage", "migrate", "people", "0002_residence_choices", check=True)
    server.run_opspor("manage", "shell", "-c", INSERT_OLD_ROWS, check=True)
    server.run_opspor("manage", "migrate", check=True)
    out = server.run_opspor("manage", "shell", "-c", COUNT_IDS, check=True).stdout.strip().splitlines()[-1]
    assert out == "2500 2500 [4]"
