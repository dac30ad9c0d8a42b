"""One path for every change (issue 12, item 6): each change of state, also by the system's own
commands, goes through an action that writes its audit entry in the same transaction. The proof
of "same transaction": when the database refuses the audit entry (``audit_refuses``, a trigger
made by the test, conftest.py), the change is not there either."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import DatabaseError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import opspor.web
from opspor.web.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

def _token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_totp_enrolment_is_audited_in_its_transaction(users, login, audit_refuses):
    client = login(users["med1"])
    client.get("/konto/to-faktor/opsaet/")
    device = TOTPDevice.objects.get(user=users["med1"])
    audit_refuses()
    with pytest.raises(DatabaseError, match="audit"):
        client.post("/konto/to-faktor/opsaet/", {"token": _token(device)})
    device.refresh_from_db()
    assert not device.confirmed  # no entry, no enrolment


def test_totp_enrolment_writes_its_entry(users, login):
    client = login(users["med1"])
    client.get("/konto/to-faktor/opsaet/")
    device = TOTPDevice.objects.get(user=users["med1"])
    assert client.post("/konto/to-faktor/opsaet/", {"token": _token(device)}).status_code == 302
    device.refresh_from_db()
    entry = AuditEntry.objects.get(what="second_factor")
    assert device.confirmed and (entry.username, entry.action, entry.role) == ("med1", "change", "specialist")


def test_the_key_made_by_the_set_up_page_is_audited_once_in_its_transaction(users, login, audit_refuses):
    client = login(users["med1"])
    assert client.get("/konto/to-faktor/opsaet/").status_code == 200
    assert client.get("/konto/to-faktor/opsaet/").status_code == 200  # the same key again
    [entry] = AuditEntry.objects.filter(what="second_factor.key")
    assert (entry.username, entry.action) == ("med1", "change")
    assert TOTPDevice.objects.filter(user=users["med1"], confirmed=False).count() == 1
    other = login(users["ger"])
    audit_refuses()
    with pytest.raises(DatabaseError, match="audit"):
        other.get("/konto/to-faktor/opsaet/")
    assert not TOTPDevice.objects.exclude(user=users["med1"]).exists()  # no entry, no key


def test_nothing_new_audited_for_a_refused_code(users, login):
    client = login(users["med1"])
    client.get("/konto/to-faktor/opsaet/")
    before = AuditEntry.objects.count()
    assert "ikke godkendt" in client.post("/konto/to-faktor/opsaet/", {"token": "000000"}).content.decode()
    assert AuditEntry.objects.count() == before


def _cli(*args) -> tuple[int, str]:
    """The real command line, in-process (so it uses this test's database)."""
    from typer.testing import CliRunner

    from opspor.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture
def lists_ready(lists_home, monkeypatch, db):
    """The stored lists run of 2026-03-04, not yet published."""
    from opspor.web.accounts.organisations import ensure_reference_organisations

    monkeypatch.setenv("OPSPOR_HOME", str(lists_home))
    monkeypatch.setenv("OPSPOR_PSEUDONYM_KEY", "test-pseudonym-key")
    ensure_reference_organisations()


def test_publishing_a_lists_run_is_audited_by_the_command(lists_ready):
    from opspor.web.aps.models import EligibilityEntry
    from opspor.web.worklists.models import ListRun

    code, out = _cli("web", "publish")
    assert code == 0, out
    run = ListRun.objects.get()
    published = AuditEntry.objects.get(what="lists.publish")
    pool = AuditEntry.objects.get(what="aps.eligibility")
    for entry in (published, pool):
        assert (entry.username, entry.role, entry.user_id, entry.action) == ("opspor web publish", "system", None, "change")
        assert entry.detail["run"] == run.run_id and entry.person_key == ""
    assert published.detail["entries"] == run.entries.count()
    assert pool.detail["eligible"] == EligibilityEntry.objects.count()
    assert _cli("web", "publish")[0] == 0  # again: nothing changes, nothing is audited
    assert AuditEntry.objects.filter(what__in=["lists.publish", "aps.eligibility"]).count() == 2


def test_a_lists_run_is_not_published_without_its_audit_entry(lists_ready, audit_refuses):
    from opspor.web.aps.models import EligibilityEntry
    from opspor.web.people.models import Person
    from opspor.web.worklists.models import ListEntry, ListRun

    audit_refuses()
    with pytest.raises(DatabaseError, match="audit"):
        _cli("web", "publish")
    assert not ListRun.objects.exists() and not ListEntry.objects.exists()
    assert not EligibilityEntry.objects.exists() and not Person.objects.exists()


def test_importing_the_task_register_is_audited_by_the_command(db):
    from opspor.web.monitoring.models import MonitoringTask

    code, out = _cli("monitor", "import-register")
    assert code == 0, out
    entry = AuditEntry.objects.get(what="monitoring.register")
    assert (entry.username, entry.role, entry.action) == ("opspor monitor import-register", "system", "change")
    assert entry.detail["created"] == MonitoringTask.objects.count() > 0
    assert _cli("monitor", "import-register")[0] == 0  # nothing new: no entry
    assert AuditEntry.objects.filter(what="monitoring.register").count() == 1


def test_the_task_register_is_not_imported_without_its_audit_entry(db, audit_refuses):
    from opspor.web.monitoring.models import FollowUpGroup, MonitoringTask

    audit_refuses()
    code, out = _cli("monitor", "import-register")
    assert code == 1 and "internal error" in out and "audit" in out
    assert not MonitoringTask.objects.exists() and not FollowUpGroup.objects.exists()


def test_publishing_indicators_is_audited_in_its_transaction(lists_ready, audit_refuses):
    from opspor.web.monitoring.models import Publication

    audit_refuses()
    code, out = _cli("monitor", "publish")
    assert code == 1 and "internal error" in out and "audit" in out
    assert not Publication.objects.exists()


def test_publishing_indicators_is_audited_by_the_command(lists_ready):
    from opspor.web.monitoring.models import Publication

    code, out = _cli("monitor", "publish")
    assert code == 0, out
    entry = AuditEntry.objects.get(what="monitoring.publish")
    assert (entry.username, entry.role) == ("opspor monitor publish", "system")
    assert entry.detail["publication"] == Publication.objects.get().pk and entry.detail["values"] > 0


def _state_sets(tree: ast.AST):
    """Tuples, lists and sets written of exactly the states consented, active and ended."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and node.elts:
            names = {e.value if isinstance(e, ast.Constant) else getattr(e, "attr", "").lower() for e in node.elts}
            if names == {"consented", "active", "ended"}:
                yield node


def test_the_included_case_states_are_written_once():
    """"Included in the programme" lives on ``CaseQuerySet`` only (it was written four times)."""
    web = Path(opspor.web.__file__).parent
    places = [f"{path.relative_to(web)}:{node.lineno}" for path in sorted(web.rglob("*.py"))
              for node in _state_sets(ast.parse(path.read_text(encoding="utf-8")))]
    assert len(places) == 1 and places[0].startswith("aps/models.py:"), places
    from opspor.web.aps.models import Case, CaseQuerySet

    assert set(CaseQuerySet.INCLUDED) <= set(Case.State.values)


@pytest.fixture
def home(tmp_path, monkeypatch, db):
    monkeypatch.setenv("OPSPOR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_adding_the_reference_organisations_is_audited_by_the_command(home):
    from opspor.web.accounts.models import Organisation

    Organisation.objects.all().delete()
    code, out = _cli("web", "migrate")
    assert code == 0, out
    entry = AuditEntry.objects.get(what="organisations.reference")
    assert (entry.username, entry.role, entry.action) == ("opspor web migrate", "system", "change")
    assert entry.detail["added"] == Organisation.objects.count() > 100
    assert _cli("web", "migrate")[0] == 0  # again: nothing added, nothing audited
    assert AuditEntry.objects.filter(what="organisations.reference").count() == 1


def test_the_reference_organisations_are_not_added_without_their_audit_entry(home, audit_refuses):
    from opspor.web.accounts.models import Organisation

    Organisation.objects.all().delete()
    audit_refuses()
    with pytest.raises(DatabaseError, match="audit"):
        _cli("web", "migrate")
    assert not Organisation.objects.exists()


def test_making_the_demo_users_is_audited_by_the_command(home):
    from opspor.web.accounts.models import User

    code, out = _cli("web", "demo-users")
    assert code == 0, out
    entry = AuditEntry.objects.get(what="demo_users")
    assert (entry.username, entry.role, entry.action) == ("opspor web demo-users", "system", "change")
    assert sorted(entry.detail["users"]) == sorted(User.objects.values_list("username", flat=True))
    assert _cli("web", "demo-users")[0] == 0  # the same log-ins again: nothing changed, nothing audited
    assert AuditEntry.objects.filter(what="demo_users").count() == 1
