"""Fixtures for the web tests. See docs/testing.md.

The first section is the test infrastructure (Django settings for the tests, the real server and
the real browser, from fixtures_server.py); the web app's own fixtures go below it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# ============================================================================================
# Test infrastructure: keep this section as it is; add the app's fixtures below it.
# ============================================================================================
#
# Django is configured here, once per test process and before a test module imports it
# (pytest_configure below; not in an xdist controller, which runs no tests and whose environment
# the workers inherit). The settings module reads its environment at import, so it gets a test
# environment: a private temporary OPSPOR_HOME, OPSPOR_DEBUG=0, OPSPOR_HTTPS=0, a test secret key
# and the database from OPSPOR_DB*. Then os.environ is put back as it was, so that subprocesses
# (run_opspor, the servers) get only what they are given, except that two variables stay set:
# OPSPOR_HOME (the private home) and OPSPOR_PSEUDONYM_KEY (if unset: a test key), so that
# in-process code never writes to ./var; tests/conftest.py's opspor_home overrides both per test.
# OPSPOR_DB* are consumed: with OPSPOR_DB=postgresql the in-process test database (created and
# dropped by pytest-django, one per xdist worker) and every server_factory server (a new database
# each) are on that PostgreSQL; a bare `opspor` subprocess gets SQLite in its own home.
# pytest-django sees the configured settings (django_find_project = false in pyproject.toml).
from tests.web import fixtures_server
from tests.web.fixtures_server import (  # noqa: F401  (fixtures and hooks, registered by name)
    browser,
    page,
    pytest_collection_modifyitems,
    pytest_runtest_makereport,
    server,
    server_factory,
)


def _configure_django() -> None:
    import django
    from django.conf import settings

    if settings.configured:
        return
    home = Path(tempfile.mkdtemp(prefix="opspor-web-tests-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    (home / "static").mkdir()  # STATIC_ROOT; WhiteNoise warns when it does not exist
    saved = dict(os.environ)
    fixtures_server.POSTGRES = fixtures_server.Postgres.from_environ(os.environ)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "opspor.web.settings",
        "OPSPOR_HOME": str(home),
        "OPSPOR_DEBUG": "0",
        "OPSPOR_HTTPS": "0",
        "OPSPOR_SECRET_KEY": fixtures_server.TEST_SECRET_KEY,
    })
    os.environ.setdefault("OPSPOR_PSEUDONYM_KEY", fixtures_server.TEST_PSEUDONYM_KEY)
    try:
        django.setup()
    finally:
        kept = {name: os.environ[name] for name in ("OPSPOR_HOME", "OPSPOR_PSEUDONYM_KEY")}
        os.environ.clear()
        os.environ.update({k: v for k, v in saved.items() if k not in fixtures_server.DB_VARS})
        os.environ.update(kept)


def pytest_configure(config):
    if getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput"):
        return  # the xdist controller
    _configure_django()


@pytest.fixture(autouse=True, scope="session")
def _django_db_blocked(django_db_blocker):
    """Block in-process database access outside django_db tests, as pytest-django does when it
    configures Django itself (it cannot here when tests/web is collected after its setup)."""
    if django_db_blocker is not None and not django_db_blocker.is_active:
        django_db_blocker.block()


# ============================================================================================
# The web app's fixtures (below this line).
# ============================================================================================

from tests.web import web_kit


@pytest.fixture(scope="session")
def lists_home(tmp_path_factory):
    """The hand-made drop loaded and the lists of 2026-03-04 run, once per test process."""
    home = tmp_path_factory.mktemp("lists") / "home"
    env = {**os.environ, "OPSPOR_HOME": str(home), "OPSPOR_PSEUDONYM_KEY": "test-pseudonym-key"}
    web_kit.load_and_run_lists(home, env)
    return home


@pytest.fixture
def published(lists_home, monkeypatch, db):
    """The lists of 2026-03-04 published into the test database; returns the ListRun."""
    from opspor.web.accounts.organisations import ensure_reference_organisations
    from opspor.web.worklists.models import ListRun
    from opspor.web.worklists.publish import publish

    monkeypatch.setenv("OPSPOR_HOME", str(lists_home))
    monkeypatch.setenv("OPSPOR_PSEUDONYM_KEY", "test-pseudonym-key")
    ensure_reference_organisations()
    result = publish()
    assert not result.already
    return ListRun.objects.get(run_id=result.run_id)


@pytest.fixture
def users(published):
    """One user per role around the published lists (password web_kit.PASSWORD)."""
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.roles import OrgKind, Role

    med1 = Organisation.objects.get(kind=OrgKind.DEPARTMENT, code="OUH/MED1")
    ger = Organisation.objects.get(kind=OrgKind.DEPARTMENT, code="OUH/Geriatri Æ")
    region = Organisation.objects.get(kind=OrgKind.REGION, code="1083")
    other_region = Organisation.objects.get(kind=OrgKind.REGION, code="1084")
    odense = Organisation.objects.get(kind=OrgKind.MUNICIPALITY, code="461")
    vejle = Organisation.objects.get(kind=OrgKind.MUNICIPALITY, code="630")
    gp = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="012345", name="Lægehuset", region_code="1083")
    mk = web_kit.make_user
    return {
        "med1": mk("med1", Role.SPECIALIST, med1),
        "ger": mk("ger", Role.SPECIALIST, ger),
        "nurse": mk("nurse", Role.NURSE, region, capacity=10),
        "lead": mk("lead", Role.PROGRAMME_LEAD, region),
        "lead_other": mk("lead_other", Role.PROGRAMME_LEAD, other_region),
        "odense": mk("odense", Role.MUNICIPALITY, odense),
        "vejle": mk("vejle", Role.MUNICIPALITY, vejle),
        "gp": mk("gp", Role.MUNICIPALITY, gp),
        "secretariat": mk("secretariat", Role.SECRETARIAT, region),
        "auditor": mk("auditor", Role.AUDITOR, region),
        "admin": mk("admin", Role.ADMIN, region, is_staff=True, is_superuser=True),
    }


@pytest.fixture
def login(client):
    """``login(user)`` logs the Django test client in through the real log-in form."""

    def do(user, password: str = web_kit.PASSWORD):
        client.logout()
        response = client.post("/konto/log-ind/", {"username": user.username, "password": password})
        assert response.status_code == 302, response.content.decode()[:2000]
        return client

    return do


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """In-process tests only: the production hasher (PBKDF2, 10^6 rounds) costs ~0.5 s per
    user and log-in. The real-server tests keep the production settings."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


_AUDIT_INSERT_REFUSED = {
    "sqlite": ["""CREATE TRIGGER test_audit_no_insert BEFORE INSERT ON audit_auditentry
                  BEGIN SELECT RAISE(ABORT, 'audit store refuses (test)'); END"""],
    # audit_refuse_change() is the append-only migration's function: it raises
    "postgresql": ["""CREATE TRIGGER test_audit_no_insert BEFORE INSERT ON audit_auditentry
                      FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"""],
}


@pytest.fixture
def audit_refuses():
    """``audit_refuses()``: from then on the database refuses every new audit entry (a trigger,
    rolled back with the test), to show that a change is not made without its entry."""
    from django.db import connection

    def start():
        with connection.cursor() as cursor:
            for sql in _AUDIT_INSERT_REFUSED[connection.vendor]:
                cursor.execute(sql)

    return start
