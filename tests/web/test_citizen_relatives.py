"""Relatives by the citizen's consent, through HTTP on the real database: the citizen grants a
relative parts of their page until a day and takes it back; the relative (their own account)
sees only those parts while the grant is in force; every read by the relative is in the
citizen's access report; grant and revocation are audited; mistakes change nothing."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.test import Client
from django.utils import timezone

from opspor import cpr as cprlib
from opspor.web.accounts.models import User
from opspor.web.accounts.roles import Role
from opspor.web.aps.models import CaseMessage, Goal, Plan
from opspor.web.audit.models import AuditEntry
from opspor.web.signin import actions as signin
from opspor.web.signin.models import RelativeAccount, RelativeGrant
from tests.web import web_kit
from tests.web.factories import *  # the fixture world
from tests.web.factories import make_case

pytestmark = pytest.mark.django_db

RELATIVE_CPR = "1212851234"  # a valid date; nobody of the world


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def client_of(user, settings) -> Client:
    client = Client()
    assert client.post("/konto/log-ind/", {"username": user.username, "password": web_kit.PASSWORD}).status_code == 302
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def family(world, settings):
    w = world
    p1 = w.persons["p1"]
    case = make_case(p1, w.users["nina"], w.users["pia"], "active", started_at=timezone.now())
    Goal.objects.create(case=case, text="Gå en tur hver dag")
    Plan.objects.create(case=case, text="Ring til lægen ved åndenød", written_by=w.users["nina"])
    CaseMessage.objects.create(case=case, from_citizen=True, sender=w.users["nina"], text="hemmelig besked")
    citizen = signin.link_local_citizen(p1, "borger-p1", web_kit.PASSWORD)
    relative = User.objects.create_user("paaroerende-1", password=web_kit.PASSWORD, role=Role.RELATIVE)
    RelativeAccount.objects.create(user=relative, relative_key=signin.relative_key(RELATIVE_CPR))
    return w, p1, client_of(citizen, settings), client_of(relative, settings), citizen


def grant(client, **changes):
    data = {"name": "Bo Hansen", "cpr": "121285-1234", "parts": ["course", "plan"],
            "until": (timezone.localdate() + dt.timedelta(days=10)).isoformat(), **changes}
    return client.post("/borger/paaroerende/", data)


def test_a_relative_sees_only_what_was_granted_until_it_is_taken_back(family):
    _w, p1, citizen, relative, _user = family
    assert text(relative.get("/borger/")).count("until and including") == 0
    assert grant(citizen).status_code == 302
    g = RelativeGrant.objects.get()
    assert (g.person, g.parts, g.relative_name) == (p1, ["course", "plan"], "Bo Hansen")
    assert RELATIVE_CPR not in str(list(RelativeGrant.objects.values())) and RELATIVE_CPR not in str(
        list(AuditEntry.objects.values()))
    assert g.relative_key == cprlib.pseudonym(RELATIVE_CPR, __import__("opspor.store.key", fromlist=["x"]).pseudonym_key())
    # the relative: the list, then the page with the granted parts only
    home = text(relative.get("/borger/"))
    assert p1.name in home and f"/borger/adgang/{g.public_id}/" in home
    page = text(relative.get(f"/borger/adgang/{g.public_id}/"))
    assert "You are taking part in Aktiv Patientstøtte" in page and "Ring til lægen ved åndenød" in page
    assert "Gå en tur hver dag" in page
    assert "hemmelig besked" not in page and "Next call" not in page and "Send message" not in page
    assert p1.cpr not in page
    # the citizen sees the relative's read in "who has looked at my data"
    report = text(citizen.get("/borger/indsigt/"))
    assert "Relative's view of the citizen's page" in report and "Relative" in report
    # taken back: gone at once
    assert citizen.post(f"/borger/paaroerende/{g.public_id}/tilbagekald/").status_code == 302
    assert relative.get(f"/borger/adgang/{g.public_id}/").status_code == 404
    assert "Nobody has given you access" in text(relative.get("/borger/"))
    events = list(AuditEntry.objects.filter(what__startswith="citizen.relative").order_by("id")
                  .values_list("what", "username", "person_key"))
    assert events == [("citizen.relative.grant", "borger-p1", p1.person_key),
                      ("citizen.relative.read", "paaroerende-1", p1.person_key),
                      ("citizen.relative.revoke", "borger-p1", p1.person_key)]


def test_a_grant_past_its_last_day_gives_nothing(family):
    _w, _p1, citizen, relative, _user = family
    grant(citizen)
    g = RelativeGrant.objects.get()
    relative_url = f"/borger/adgang/{g.public_id}/"
    assert relative.get(relative_url).status_code == 200
    RelativeGrant.objects.filter(pk=g.pk).update(until=timezone.localdate() - dt.timedelta(days=1))
    assert relative.get(relative_url).status_code == 404


@pytest.mark.parametrize(("changes", "error"), [
    ({"parts": []}, "This field is required."),
    ({"until": "2020-01-01"}, "Choose a day from today on."),
    ({"cpr": "3113851234"}, "Type the CPR number as DDMMYY-SSSS"),
])
def test_a_grant_with_a_mistake_changes_nothing(family, changes, error):
    _w, _p1, citizen, _relative, _user = family
    response = grant(citizen, **changes)
    assert response.status_code == 400 and error in text(response)
    assert not RelativeGrant.objects.exists() and not AuditEntry.objects.filter(what="citizen.relative.grant").exists()


def test_own_cpr_and_a_second_grant_are_refused(family):
    _w, p1, citizen, _relative, _user = family
    assert "That is your own CPR number" in text(grant(citizen, cpr=p1.cpr))
    assert grant(citizen).status_code == 302
    assert "already has access" in text(grant(citizen))
    assert RelativeGrant.objects.count() == 1


def test_nobody_else_reaches_a_grant_or_the_relatives_page(family, settings):
    w, _p1, citizen, relative, _user = family
    grant(citizen)
    g = RelativeGrant.objects.get()
    # the relative: no staff page, no person page, not the citizen's own pages
    for path in ("/borger/indsigt/", "/borger/paaroerende/"):
        assert relative.get(path).status_code == 403, path
    for person in w.persons.values():
        assert relative.get(f"/personer/{person.public_id}/").status_code == 404
    assert relative.post(f"/borger/paaroerende/{g.public_id}/tilbagekald/").status_code == 403
    # another relative (another CPR number) does not get the grant by its URL
    other = User.objects.create_user("paaroerende-2", password=web_kit.PASSWORD, role=Role.RELATIVE)
    RelativeAccount.objects.create(user=other, relative_key=signin.relative_key("0101801234"))
    assert client_of(other, settings).get(f"/borger/adgang/{g.public_id}/").status_code == 404
    # another citizen cannot take back this citizen's grant
    p2_citizen = signin.link_local_citizen(w.persons["p2"], "borger-p2", web_kit.PASSWORD)
    assert client_of(p2_citizen, settings).post(f"/borger/paaroerende/{g.public_id}/tilbagekald/").status_code == 404
    assert RelativeGrant.objects.get().revoked_at is None
    # the nurse has no business on these pages
    assert client_of(w.users["nina"], settings).get("/borger/paaroerende/").status_code == 403
