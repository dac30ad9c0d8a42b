"""OpenID Connect log-in against a real OpenID provider on loopback (tests/support/oidc.py:
panva's oidc-provider from npm), through the real server over HTTP: a citizen mapped to exactly
one person by the CPR number of the token, a staff member mapped to a role and organisation by
claims, log-out (here and at the provider), a refused signature (the server trusts another
provider's key), a replayed state, and the refusals of the mapping — each audited."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support import oidc
from tests.web import web_kit
from tests.web.web_kit import CPR, NAMES

HIGH = "https://data.gov.dk/concept/core/nsis/loa/High"
UNKNOWN_CPR = "0101011234"  # a valid date, no person of the hand-made drop
ACCOUNTS = {
    "borger-a": {"dk.cpr": CPR["A"][:6] + "-" + CPR["A"][6:], "name": NAMES["A"]},
    "borger-ukendt": {"dk.cpr": UNKNOWN_CPR, "name": "Ukendt Borger"},
    "borger-b": {"dk.cpr": CPR["B"], "name": NAMES["B"]},
    "borger-uden-cpr": {"name": "Uden Cpr"},
    # citizen A again, logged in with a lower level of assurance than the mapping's minimum, with
    # none at all, and with the highest
    "borger-a-lav": {"dk.cpr": CPR["A"], "name": NAMES["A"]},
    "borger-a-uden-acr": {"dk.cpr": CPR["A"], "name": NAMES["A"]},
    "borger-a-hoej": {"dk.cpr": CPR["A"], "name": NAMES["A"]},
    "nina": {"email": "nina@regionsyddanmark.dk", "name": "Nina Hansen",
             "roles": ["opspor-sygeplejerske", "andet-system"], "organisation": "region:1083"},
    "uden-rolle": {"email": "per@regionsyddanmark.dk", "name": "Per Uden", "roles": ["andet-system"],
                   "organisation": "region:1083"},
    "forkert-org": {"email": "lis@regionsyddanmark.dk", "name": "Lis Forkert", "roles": ["opspor-sygeplejerske"],
                    "organisation": "municipality:461"},
}


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    acr = {"borger-a-lav": oidc.LOW, "borger-a-uden-acr": None, "borger-a-hoej": HIGH}
    with oidc.provider(tmp_path_factory.mktemp("idp"), ACCOUNTS, acr=acr) as issuer:
        yield issuer


@pytest.fixture(scope="module")
def site(tmp_path_factory, idp):
    env = {**oidc.door_env("citizen", idp), **oidc.door_env("staff", idp)}
    with web_kit.published_site(tmp_path_factory.mktemp("site") / "home", env=env) as server:
        yield server


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only, never a proxy
    return session


def log_in(site, door: str, login: str):
    session = browser()
    response = oidc.walk(session, f"{site.url}/konto/oidc/{door}/", login=login)
    return session, response


def audit_entries(site, what: str) -> list[dict]:
    code = ("import json; from opspor.web.audit.models import AuditEntry; "
            f"print(json.dumps(list(AuditEntry.objects.filter(what={what!r}).order_by('id')"
            ".values('username', 'role', 'person_key', 'detail'))))")
    done = site.run_opspor("manage", "shell", "-c", code, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def shell(site, code: str) -> str:
    return site.run_opspor("manage", "shell", "-c", code, check=True).stdout.strip().splitlines()[-1]


def test_the_log_in_page_offers_both_doors(site):
    status, _headers, body = site.get("/konto/log-ind/")
    assert status == 200
    assert 'href="/konto/oidc/citizen/"' in body and 'href="/konto/oidc/staff/"' in body
    assert "MitID (for borgere)" in body


def test_a_citizen_is_mapped_to_exactly_one_person_by_cpr(site):
    session, page = log_in(site, "citizen", "borger-a")
    assert page.status_code == 200 and page.url == f"{site.url}/borger/", session.visited
    assert NAMES["A"] in page.text
    assert CPR["A"] not in page.url and all(CPR["A"] not in u for u in session.visited if u.startswith(site.url))
    linked = [e for e in audit_entries(site, "signin.citizen") if e["detail"].get("how") != "local"]  # not the demo's
    assert [e["person_key"] for e in linked] == [web_kit_key("A")]
    assert linked[0]["role"] == "citizen"
    # a second log-in finds the same account (by the provider's subject), no new link
    _session2, page2 = log_in(site, "citizen", "borger-a")
    assert page2.url == f"{site.url}/borger/"
    assert len([e for e in audit_entries(site, "signin.citizen") if e["detail"].get("how") != "local"]) == 1
    logins = [e for e in audit_entries(site, "login") if e["detail"].get("door") == "citizen"]
    assert len(logins) >= 2 and all(e["role"] == "citizen" for e in logins)


def web_kit_key(letter: str) -> str:
    from opspor import cpr as cprlib

    return cprlib.pseudonym(CPR[letter], web_kit_pseudonym_key())


def web_kit_pseudonym_key() -> bytes:
    from tests.web.fixtures_server import TEST_PSEUDONYM_KEY

    return TEST_PSEUDONYM_KEY.encode()


def test_a_citizen_reaches_no_other_data_by_url(site):
    session, page = log_in(site, "citizen", "borger-a")
    assert page.url == f"{site.url}/borger/"
    ids = json.loads(shell(site, "import json; from opspor.web.people.models import Person; "
                                 "print(json.dumps({p.cpr: str(p.public_id) for p in Person.objects.all()}))"))
    for cpr, public_id in ids.items():
        response = session.get(f"{site.url}/personer/{public_id}/", allow_redirects=False)
        assert response.status_code == 404, (cpr == CPR["A"], response.status_code)
    for path in ("/lister/", "/aps/min-dag/", "/aps/program/", "/revision/", "/revision/indsigt/",
                 "/meddelelser/", "/overvaagning/", "/admin/", "/aps/forloeb/1/"):
        response = session.get(site.url + path, allow_redirects=False)
        assert response.status_code == 404, (path, response.status_code)
    home = session.get(site.url + "/", allow_redirects=False)
    assert home.status_code == 302 and home.headers["Location"] == "/borger/"


@pytest.mark.parametrize(("login", "reason"), [
    ("borger-ukendt", "no_person"), ("borger-uden-cpr", "no_cpr")])
def test_a_citizen_without_exactly_one_person_is_refused_with_a_clear_page(site, login, reason):
    session, page = log_in(site, "citizen", login)
    assert page.status_code == 403 and f'data-reason="{reason}"' in page.text
    assert "Du blev ikke logget ind" in page.text
    assert session.get(f"{site.url}/borger/", allow_redirects=False).status_code == 302  # to the log-in page
    refusals = [e for e in audit_entries(site, "login.refused") if e["detail"]["reason"] == reason]
    assert refusals and refusals[-1]["detail"]["door"] == "citizen"
    assert UNKNOWN_CPR not in json.dumps(refusals)
    if reason == "no_person":  # the pseudonym of the CPR number, never the number
        from opspor import cpr as cprlib

        assert refusals[-1]["person_key"] == cprlib.pseudonym(UNKNOWN_CPR, web_kit_pseudonym_key())


def test_a_cpr_number_of_several_persons_is_refused(site):
    shell(site, "from opspor.web.people.models import Person; "
                f"Person.objects.create(person_key='duplicate-of-b', cpr={CPR['B']!r}, name='Dublet'); print('ok')")
    _session, page = log_in(site, "citizen", "borger-b")
    assert page.status_code == 403 and 'data-reason="several_persons"' in page.text
    assert [e for e in audit_entries(site, "login.refused") if e["detail"]["reason"] == "several_persons"]


def test_a_staff_member_is_mapped_to_role_and_organisation_by_claims(site):
    session, page = log_in(site, "staff", "nina")
    assert page.status_code == 200, session.visited
    assert page.url.startswith(f"{site.url}/aps/min-dag/") or page.url == f"{site.url}/", page.url
    user = json.loads(shell(site, "import json; from opspor.web.accounts.models import User; "
                                  "u = User.objects.get(username='nina@regionsyddanmark.dk'); "
                                  "print(json.dumps([u.role, u.organisation.kind, u.organisation.code, "
                                  "u.get_full_name(), u.has_usable_password()]))"))
    assert user == ["nurse", "region", "1083", "Nina Hansen", False]
    assert session.get(f"{site.url}/aps/min-dag/").status_code == 200
    assert session.get(f"{site.url}/revision/").status_code == 403  # a nurse, not an auditor
    made = audit_entries(site, "signin.staff")
    assert made[0]["detail"]["role"] == "nurse" and made[0]["detail"]["organisation"] == "region:1083"
    assert made[0]["detail"]["mapping"]


@pytest.mark.parametrize(("login", "reason"), [("uden-rolle", "no_role"), ("forkert-org", "no_organisation")])
def test_staff_claims_without_a_role_or_a_fitting_organisation_are_refused(site, login, reason):
    _session, page = log_in(site, "staff", login)
    assert page.status_code == 403 and f'data-reason="{reason}"' in page.text
    assert json.loads(shell(site, "import json; from opspor.web.accounts.models import User; "
                                  f"print(json.dumps(User.objects.filter(username__startswith={login.split('-')[0][:3]!r}).count()))")) == 0


def test_log_out_ends_the_session_here_and_at_the_provider(site, idp):
    session, page = log_in(site, "citizen", "borger-a")
    assert page.url == f"{site.url}/borger/"
    csrf = session.cookies.get("csrftoken")
    out = session.post(f"{site.url}/konto/log-ud/", headers={"X-CSRFToken": csrf}, allow_redirects=False)
    assert out.status_code == 302 and out.headers["Location"].startswith(f"{idp}/session/end?")
    assert "id_token_hint=" in out.headers["Location"]
    # the provider asks to confirm, then comes back to our log-in page
    confirm = session.get(out.headers["Location"], allow_redirects=False)
    action, fields = oidc._form(confirm.text)
    back = oidc.walk(session, oidc.urljoin(confirm.url, action), method="POST", data={**fields, "logout": "yes"})
    assert back.url == f"{site.url}/konto/log-ind/" and back.status_code == 200
    assert session.get(f"{site.url}/borger/", allow_redirects=False).status_code == 302
    # the provider's session is gone too: a new log-in asks for the log-in again
    again = oidc.walk(session, f"{site.url}/konto/oidc/citizen/")
    assert again.url.startswith(idp) and 'name="login"' in again.text


def test_a_replayed_state_is_refused(site):
    session, _page = log_in(site, "citizen", "borger-a")
    callback = next(u for u in session.visited if u.startswith(f"{site.url}/konto/oidc/retur/?"))
    # the same browser again: its state was used
    again = session.get(callback, allow_redirects=False)
    assert again.status_code == 403 and 'data-reason="state"' in again.text
    # another browser: no log-in of its own was started
    other = browser()
    stolen = other.get(callback, allow_redirects=False)
    assert stolen.status_code == 403 and 'data-reason="state"' in stolen.text
    assert other.get(f"{site.url}/borger/", allow_redirects=False).status_code == 302
    assert len([e for e in audit_entries(site, "login.refused") if e["detail"]["reason"] == "state"]) >= 2


def test_a_token_signed_with_another_key_is_refused(tmp_path, idp, server_factory):
    """The server verifies signatures with a key set of another provider (same key id, another
    key): the real provider's token does not verify, nobody is logged in."""
    with oidc.provider(tmp_path / "other", {}) as other:
        server = server_factory(tmp_path / "home", env=oidc.door_env("citizen", idp, jwks_uri=f"{other}/jwks"))
        session = browser()
        page = oidc.walk(session, f"{server.url}/konto/oidc/citizen/", login="borger-a")
        assert page.status_code == 403 and 'data-reason="signature"' in page.text, session.visited
        assert session.get(f"{server.url}/borger/", allow_redirects=False).status_code == 302
        refusals = audit_entries(server, "login.refused")
        assert [e["detail"]["reason"] for e in refusals] == ["signature"]


@pytest.mark.parametrize(("login", "acr"), [("borger-a-lav", oidc.LOW), ("borger-a-uden-acr", "")])
def test_a_citizen_log_in_below_the_level_of_assurance_is_refused(site, login, acr):
    session, page = log_in(site, "citizen", login)
    assert page.status_code == 403 and 'data-reason="assurance"' in page.text
    assert "lavere sikringsniveau" in page.text and "MitID-appen" in page.text
    assert session.get(f"{site.url}/borger/", allow_redirects=False).status_code == 302  # not logged in
    # opspor asked the broker for the accepted levels only
    asked = next(u for u in session.visited if "/auth?" in u or "acr_values=" in u)
    assert "acr_values=https%3A%2F%2Fdata.gov.dk%2Fconcept%2Fcore%2Fnsis%2Floa%2FSubstantial" in asked
    assert "Low" not in asked.split("acr_values=")[1].split("&")[0]
    refusal = [e for e in audit_entries(site, "login.refused") if e["detail"]["reason"] == "assurance"][-1]
    assert refusal["detail"]["door"] == "citizen" and refusal["detail"]["acr"] == acr
    assert refusal["detail"]["minimum"].endswith("/Substantial")
    assert refusal["person_key"] == web_kit_key("A") and CPR["A"] not in json.dumps(refusal)


def test_a_citizen_log_in_at_the_highest_level_is_let_in(site):
    session, page = log_in(site, "citizen", "borger-a-hoej")
    assert page.status_code == 200 and page.url == f"{site.url}/borger/", session.visited
