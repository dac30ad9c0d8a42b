"""The audit log: auditors search it by person and user, make a person's access report, and
nobody can change or delete an entry (not through the application, not in the database)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from opspor.web.audit.models import AppendOnlyError, AuditEntry
from opspor.web.people.models import Person
from tests.web import web_kit
from tests.web.web_kit import CPR

pytestmark = pytest.mark.django_db


def _reads_by_specialists(users, login):
    a = Person.objects.get(person_key=web_kit.key_of("A"))
    login(users["med1"]).get("/lister/")
    login(users["med1"]).get(f"/personer/{a.public_id}/")
    login(users["ger"]).get("/lister/")
    return a


def test_auditor_finds_reads_by_person_and_by_user(users, login, published):
    a = _reads_by_specialists(users, login)
    client = login(users["auditor"])
    response = client.post("/revision/", {"cpr": f"{CPR['A'][:6]}-{CPR['A'][6:]}", "reason": "sag 2026-17"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Afdelingens arbejdsliste" in html and "Personside" in html and "Med1" in html
    assert ">ger<" not in html and "(ger)" not in html  # ger never saw A
    assert CPR["A"] not in html  # the CPR typed is not echoed in the results
    search = AuditEntry.objects.get(username="auditor", what="audit.search")
    assert search.person_key == a.person_key and search.why == "sag 2026-17"
    html = client.post("/revision/", {"username": "ger", "reason": "stikprøve"}).content.decode()
    assert "(ger)" in html and web_kit.key_of("D")[:8] in html


def test_access_report_lists_who_looked_at_a_person(users, login, published):
    _reads_by_specialists(users, login)
    client = login(users["auditor"])
    html = client.post("/revision/indsigt/", {"cpr": CPR["A"], "reason": "borgerens anmodning"}).content.decode()
    assert "Indsigtsrapport" in html and "Med1" in html and "Afdelingens arbejdsliste" in html
    html = client.post("/revision/indsigt/", {"cpr": CPR["F"], "reason": "borgerens anmodning"}).content.decode()
    assert "Ingen har set personens oplysninger" in html


def test_bad_cpr_and_missing_reason_get_clear_errors(users, login, published):
    client = login(users["auditor"])
    html = client.post("/revision/", {"cpr": "3213991234", "reason": ""}).content.decode()
    assert "DDMMÅÅ-SSSS" in html and "Dette felt er påkrævet" in html
    assert not AuditEntry.objects.filter(username="auditor", what__startswith="audit.").exists()


def test_only_auditors_reach_the_audit_pages(users, login, published):
    for name in ("med1", "nurse", "lead", "odense", "secretariat", "admin"):
        client = login(users[name])
        assert client.get("/revision/").status_code in (302, 403), name


def test_entries_cannot_be_changed_or_deleted(users, login, published):
    login(users["med1"]).get("/lister/")
    entry = AuditEntry.objects.filter(what="worklist").first()
    entry.why = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(why="changed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    for sql in ("UPDATE audit_auditentry SET why = 'changed'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.filter(what="worklist").exclude(why="changed").count() == 2
