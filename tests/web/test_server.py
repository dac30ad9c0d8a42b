"""The web test infrastructure works: a real server on a fresh database (SQLite, or PostgreSQL in
the suite's PostgreSQL pass), pytest-django's in-process test database, and a real browser."""

from __future__ import annotations

import json
import socket

import pytest

from tests.web import fixtures_server
from tests.web.fixtures_server import start_server

BACKEND = "postgresql" if fixtures_server.POSTGRES is not None else "sqlite"

DB_REPORT = (
    "from django.db import connection\n"
    "from django.db.migrations.recorder import MigrationRecorder\n"
    "from django.contrib.sessions.models import Session\n"
    "print(json.dumps({'vendor': connection.vendor, 'name': str(connection.settings_dict['NAME']),"
    " 'migrations': MigrationRecorder.Migration.objects.count(), 'sessions': Session.objects.count()}))\n"
)
NEW_SESSION = (
    "from django.contrib.sessions.backends.db import SessionStore\n"
    "s = SessionStore(); s['marker'] = 1; s.create(); print(s.session_key)\n"
)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for the tests that only read (start_server serves fixtures of any scope)."""
    with start_server(tmp_path_factory.mktemp("shared") / "home") as server:
        yield server


def db_report(server, before: str = "") -> dict:
    result = server.run_opspor("manage", "shell", "-c", "import json\n" + before + DB_REPORT, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_server_answers_health_check(server):
    status, headers, body = server.get("/healthz")
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    assert headers["X-Frame-Options"] == "DENY"
    assert server.url.startswith("http://127.0.0.1:")
    assert server.env["OPSPOR_HOME"] == str(server.home)


def test_server_database_is_migrated_and_of_this_pass(shared_server):
    server = shared_server
    report = db_report(server)
    assert report["vendor"] == BACKEND
    assert report["migrations"] > 0
    if BACKEND == "sqlite":
        assert report["name"] == str(server.home / "opspor.sqlite3")
    else:
        assert report["name"].startswith("opspor_srv_")


def test_servers_have_their_own_homes_and_databases(server_factory, tmp_path):
    a = server_factory(tmp_path / "a")
    b = server_factory(tmp_path / "b", env={"OPSPOR_LOG_LEVEL": "WARNING"})
    assert a.url != b.url
    assert b.env["OPSPOR_LOG_LEVEL"] == "WARNING"
    report_a, report_b = db_report(a, before=NEW_SESSION), db_report(b)
    assert report_a["name"] != report_b["name"]
    assert (report_a["sessions"], report_b["sessions"]) == (1, 0)


def test_stopped_server_leaves_nothing_running(tmp_path):
    with start_server(tmp_path / "home") as server:
        port = int(server.url.rsplit(":", 1)[1])
        name = server.env.get("OPSPOR_DB_NAME")
        assert server.get("/healthz")[0] == 200
    assert server.process.poll() is not None
    assert not fixtures_server.group_alive(server.process.pid), "a process of the server is left"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the port still answers"
    if BACKEND == "postgresql":
        with fixtures_server.POSTGRES.admin() as conn:
            rows = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall()
        assert rows == [], f"database {name} was not dropped"


@pytest.mark.django_db
def test_in_process_test_database_is_of_this_pass(client):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection

    assert connection.vendor == BACKEND
    if BACKEND == "postgresql":
        assert connection.settings_dict["NAME"].startswith("test_")
    SessionStore().create()
    assert Session.objects.count() == 1
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_in_process_database_is_blocked_without_django_db_mark():
    from django.db import connection

    with pytest.raises(RuntimeError, match="Database access not allowed"):
        connection.ensure_connection()


@pytest.mark.parametrize("required", ["1", "0"])
def test_missing_browser_fails_only_when_required(monkeypatch, required):
    monkeypatch.setenv("OPSPOR_REQUIRE_BROWSER", required)
    outcome = pytest.fail.Exception if required == "1" else pytest.skip.Exception
    with pytest.raises(outcome, match="chromium"):
        fixtures_server.no_browser("chromium is not installed")


def test_browser_shows_health_check(page, shared_server):
    response = page.goto(shared_server.url + "/healthz")
    assert response is not None and response.status == 200
    assert json.loads(page.locator("body").inner_text())["status"] == "ok"
    assert page.evaluate("navigator.language") == "da-DK"


def test_browser_renders_the_entry_page(page, shared_server):
    """Whatever "/" is (today: a redirect to the log-in page), it renders without server errors
    and its style sheets load."""
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(shared_server.url + "/")
    page.wait_for_load_state("load")
    errors = [(r.status, r.url) for r in responses if r.status >= 500]
    assert not errors, errors
    broken_styles = [(r.status, r.url) for r in responses
                     if r.request.resource_type == "stylesheet" and r.status != 200]
    assert not broken_styles, broken_styles
    assert page.locator("body").inner_text().strip(), "empty page"


@pytest.mark.django_db
def test_in_process_orm_works_beside_the_browser(page, shared_server):
    """Playwright's sync API keeps an event loop running; Django must still see a sync test and
    use the test's connection, inside the test's transaction."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection

    page.goto(shared_server.url + "/healthz")
    SessionStore().create()
    assert Session.objects.count() == 1
    assert connection.in_atomic_block
