"""The audit's events are a closed list (issue 12, items 5 and 6): nothing is audited that did not
happen, no caller invents an event, and the auditor reads every event and role in Danish."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import transaction

import opspor.web
from opspor.web.audit import actions as audit
from opspor.web.audit.models import AuditEntry
from opspor.web.people.models import Person
from tests.web import web_kit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("tail", ["eksport.json", "eksport.csv%00", "eksport.c%00sv", "eksport.CSV"])
def test_export_in_a_format_not_offered_is_404_and_audits_nothing(users, login, published, tail):
    client = login(users["med1"])
    before = AuditEntry.objects.count()
    assert client.get(f"/lister/{published.pk}/{tail}").status_code == 404
    assert AuditEntry.objects.count() == before


def test_export_of_the_programme_pool_and_caseload_in_a_format_not_offered_audits_nothing(users, login, published):
    for user, url in ((users["lead"], "/aps/program/eksport.json"), (users["nurse"], "/aps/forloeb/eksport.pdf")):
        client = login(user)
        before = AuditEntry.objects.count()
        assert client.get(url).status_code == 404
        assert AuditEntry.objects.count() == before


def test_a_made_export_is_audited_with_its_event(users, login, published):
    client = login(users["med1"])
    assert client.get(f"/lister/{published.pk}/eksport.xlsx").status_code == 200
    entries = AuditEntry.objects.filter(username="med1", action="export")
    assert set(entries.values_list("what", flat=True)) == {"worklist.xlsx"}
    assert entries.count() == published.entries.filter(department=users["med1"].organisation) \
        .values("person").distinct().count()


def test_record_refuses_an_event_outside_the_list(users):
    with transaction.atomic(), pytest.raises(TypeError, match="not an Event member"):
        audit.record(users["med1"], "worklist.json", action=audit.READ, why="x")
    with transaction.atomic(), pytest.raises(TypeError, match="not an Event member"):
        audit.record(users["med1"], "worklist", action=audit.READ, why="x")  # a free string, even a known one
    assert not AuditEntry.objects.filter(username="med1").exclude(what="login").exists()


ENV = {"OPSPOR_SECRET_KEY": "audit-events-test-secret-key-0123456789-abcdefghijklmnop", "OPSPOR_HTTPS": "0"}
RECORD_A_CHANGE = ("from django.db import transaction\n"
                   "from opspor.web.audit import actions as a\n"
                   "def change():\n"
                   "    a.record(a.system('opspor test'), a.Event.SCREENING, action=a.CHANGE, why='x')\n"
                   "{}\n"
                   "from opspor.web.audit.models import AuditEntry\n"
                   "print('entries', AuditEntry.objects.filter(what='screening').count())\n")


def test_a_change_is_recorded_only_inside_its_transaction(run_opspor):
    """In a real process (the tests themselves run inside a transaction): outside an atomic
    block ``record`` refuses a change and writes nothing; inside one it writes it."""
    assert run_opspor("web", "migrate", env=ENV).returncode == 0
    outside = run_opspor("manage", "shell", "-c", RECORD_A_CHANGE.format("change()"), env=ENV)
    assert outside.returncode != 0 and "inside the transaction.atomic() of the change" in outside.stderr
    inside = run_opspor("manage", "shell", "-c", RECORD_A_CHANGE.format("with transaction.atomic(): change()"),
                        env=ENV)
    assert inside.returncode == 0 and "entries 1" in inside.stdout, inside.stderr


def _record_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "record" and (not isinstance(func, ast.Attribute) or getattr(func.value, "id", "") == "audit"):
                yield node


def test_no_caller_passes_a_free_string_as_the_event():
    """Every ``audit.record`` call in the web app names an ``Event`` member (never a literal,
    an f-string or the old ``what=`` keyword)."""
    web = Path(opspor.web.__file__).parent
    found, bad = 0, []
    for path in sorted(web.rglob("*.py")):
        for call in _record_calls(ast.parse(path.read_text(encoding="utf-8"))):
            found += 1
            where = f"{path.relative_to(web)}:{call.lineno}"
            if any(k.arg == "what" for k in call.keywords) or len(call.args) < 2:
                bad.append(f"{where}: no event argument")
                continue
            if any(isinstance(n, ast.JoinedStr) or (isinstance(n, ast.Constant) and isinstance(n.value, str))
                   for n in ast.walk(call.args[1])):
                bad.append(f"{where}: {ast.unparse(call.args[1])}")
    assert found > 25
    assert bad == []


def test_the_auditor_reads_events_and_roles_in_danish(users, login, published):
    a = Person.objects.get(person_key=web_kit.key_of("A"))
    med1 = login(users["med1"])
    med1.get("/lister/")
    med1.get(f"/lister/{published.pk}/eksport.csv")
    med1.get(f"/personer/{a.public_id}/")
    html = login(users["auditor"]).post("/revision/", {"username": "med1", "reason": "stikprøve"}).content.decode()
    assert "Afdelingens liste eksporteret (CSV)" in html and "Personside" in html
    assert "Speciallæge (afdeling)" in html
    for code in ("worklist", "worklist.csv", "person", "specialist", "login"):
        assert f"<td>{code}</td>" not in html
    assert "<td>Log-ind</td>" in html


def test_every_event_has_a_danish_label():
    from django.utils import translation

    with translation.override("da"):
        untranslated = [e.value for e in audit.Event if str(e.label) == str(_english(e))]
    assert untranslated == []


def _english(event) -> str:
    from django.utils import translation

    with translation.override("en"):
        return str(event.label)
