"""Headers, logs and log-in (issue 12 item 4): a Content-Security-Policy without inline script,
``Cache-Control: no-store`` on every page, no traceback for an ordinary 403, CPR-shaped paths
masked in the server's log, and log-in throttling behind a shared proxy that locks an address,
never a colleague's user name."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import ipaddress
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.web import web_kit

CSP_SCRIPT = "script-src 'self'"
A_CPR = "0101011234"  # CPR-shaped; nobody's


# --------------------------------------------------------------------------- in process

@pytest.mark.django_db
def test_every_page_has_the_csp_and_no_store(users, login, published):
    from opspor.web.worklists.models import ListEntry

    client = login(users["med1"])
    person = ListEntry.objects.filter(run=published, department__code="OUH/MED1").first().person
    pages = {"/lister/": 200, f"/lister/{published.pk}/eksport.csv": 200, f"/personer/{person.public_id}/": 200,
             "/revision/": 403, "/personer/00000000-0000-4000-8000-000000000001/": 404, "/konto/log-ind/": 302}
    for path, status in pages.items():
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code)
        assert response["Cache-Control"] == "no-store", path
        policy = response["Content-Security-Policy"]
        assert CSP_SCRIPT in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy, path
    client.logout()
    assert client.get("/konto/log-ind/")["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_pages_have_no_inline_script_or_handler(users, login):
    html = login(users["med1"]).get("/lister/").content.decode()
    assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler (blocked by the CSP)"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script (blocked by the CSP)"
    assert "data-submit-on-change" in html and "opspor/opspor.js" in html


PROXY = "10.0.0.1"
ATTACKER, COLLEAGUE = "192.0.2.66", "192.0.2.10"


def _attempt(client, username: str, password: str, via: str):
    """A log-in from ``via`` through the proxy (which appends the address it sees to what the client sent)."""
    return client.post("/konto/log-ind/", {"username": username, "password": password},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.7, {via}")


@pytest.mark.django_db
def test_throttling_behind_a_shared_proxy_locks_the_address_not_the_colleague(users, client, settings):
    settings.LOGIN_TRUSTED_PROXIES = [ipaddress.ip_network(PROXY)]
    settings.LOGIN_USER_DELAY = dt.timedelta(seconds=1)
    # someone behind the hospital's proxy tries the colleague's user name five times
    for _ in range(settings.LOGIN_USER_DELAY_AFTER):
        response = _attempt(client, "med1", "wrong", ATTACKER)
        assert response.status_code == 200 and "korrekt brugernavn og adgangskode" in response.content.decode()
    # the user name now waits between attempts: softly, for everybody
    response = _attempt(client, "med1", web_kit.PASSWORD, COLLEAGUE)
    assert response.status_code == 200
    assert "Vent 1 sekunder" in response.content.decode()
    time.sleep(1.1)
    # the colleague, behind the same proxy, logs in: not locked out
    assert _attempt(client, "med1", web_kit.PASSWORD, COLLEAGUE).status_code == 302
    client.logout()
    # the attacker's address goes on failing with other names and is locked at the limit
    for n in range(settings.AXES_FAILURE_LIMIT - settings.LOGIN_USER_DELAY_AFTER - 1):
        assert _attempt(client, f"guess{n}", "wrong", ATTACKER).status_code == 200
    assert _attempt(client, "guess-last", "wrong", ATTACKER).status_code == 429
    assert _attempt(client, "ger", web_kit.PASSWORD, ATTACKER).status_code == 429
    # a header sent by a client that is not the proxy does not change its address
    spoofed = client.post("/konto/log-ind/", {"username": "ger", "password": web_kit.PASSWORD},
                          REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=COLLEAGUE)
    assert spoofed.status_code == 429
    # everybody else behind the proxy still logs in
    assert _attempt(client, "ger", web_kit.PASSWORD, COLLEAGUE).status_code == 302


# --------------------------------------------------------------------------- the real server

class Browser:
    """Cookies and CSRF over urllib against the real server (no redirects followed)."""

    def __init__(self, server):
        self.server = server
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(self.jar),
                                                  urllib.request.ProxyHandler({}))

    def request(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.server.url + path, data=body, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def log_in(self, username: str, password: str) -> None:
        _status, _headers, html = self.request("/konto/log-ind/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        status, _headers, body = self.request("/konto/log-ind/", {"csrfmiddlewaretoken": token,
                                                                 "username": username, "password": password})
        assert status == 302, body[-2000:]


def test_server_log_masks_cpr_paths_and_has_no_traceback_for_a_403(server):
    server.run_opspor("web", "migrate", check=True)
    server.run_opspor("web", "demo-users", check=True)
    users = {u["username"]: u for u in json.loads((server.home / "demo-users.json").read_text())}
    browser = Browser(server)
    # before log-in: a CPR number is no person id (person URLs take a public id), so a 404, in the log
    assert browser.request(f"/personer/{A_CPR}/")[0] == 404
    browser.log_in("speciallaege", users["speciallaege"]["password"])
    status, headers, _ = browser.request("/lister/")
    assert status == 200
    assert headers["Cache-Control"] == "no-store" and CSP_SCRIPT in headers["Content-Security-Policy"]
    assert browser.request("/revision/")[0] == 403  # an auditor's page
    assert browser.request(f"/personer/{A_CPR}/")[0] == 404
    assert browser.request(f"/personer/{A_CPR[:6]}-{A_CPR[6:]}/")[0] == 404
    deadline = time.monotonic() + 10
    while "/revision/" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server.log()
    assert "Forbidden (Permission denied): /revision/" in log
    assert "Traceback" not in log, log[-3000:]
    assert A_CPR not in log and f"{A_CPR[:6]}-{A_CPR[6:]}" not in log, log[-3000:]
    assert "/personer/**********/" in log  # the lines are there, masked
    assert re.search(r'"GET /personer/\*{10}/" 404', log), log[-3000:]  # gunicorn's access log
