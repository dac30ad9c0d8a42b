"""The administrator's changes of users and organisations in the Django admin are audited in the
same transaction, like every other change (issue 12, item 6)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from opspor.web.accounts.models import Organisation, User
from opspor.web.audit.models import AuditEntry
from tests.web import web_kit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(users, login):
    """The administrator, logged in with password and second factor."""
    client = web_kit.log_in_with_second_factor(login, users["admin"])
    assert client.get("/admin/").status_code == 200
    return client


def _entries(event: str):
    return list(AuditEntry.objects.filter(what=event, username="admin"))


def test_adding_changing_and_deleting_in_the_admin_is_audited(admin_client, users):
    form = {"name": "Testkommune", "kind": "municipality", "code": "999", "region_code": "1083"}
    assert admin_client.post("/admin/accounts/organisation/add/", form).status_code == 302
    org = Organisation.objects.get(code="999", kind="municipality")
    [added] = _entries("admin.add")
    assert added.detail["model"] == "accounts.Organisation" and added.detail["object"] == org.pk
    assert admin_client.post(f"/admin/accounts/organisation/{org.pk}/change/", {**form, "name": "Ny kommune"}).status_code == 302
    [changed] = _entries("admin.change")
    assert changed.action == "change" and changed.detail["change"] == [{"changed": {"fields": ["Name"]}}]
    victim = users["vejle"]
    password = {"password1": "et-nyt-og-langt-kodeord-2026", "password2": "et-nyt-og-langt-kodeord-2026"}
    assert admin_client.post(f"/admin/accounts/user/{victim.pk}/password/", password).status_code == 302
    assert any(e.detail["object"] == victim.pk for e in _entries("admin.change"))
    assert admin_client.post(f"/admin/accounts/organisation/{org.pk}/delete/", {"post": "yes"}).status_code == 302
    [deleted] = _entries("admin.delete")
    assert deleted.detail["name"] == "Ny kommune" and not Organisation.objects.filter(pk=org.pk).exists()


def test_an_admin_change_is_not_made_without_its_entry(admin_client, users, audit_refuses):
    victim = users["vejle"]
    audit_refuses()
    password = {"password1": "et-nyt-og-langt-kodeord-2026", "password2": "et-nyt-og-langt-kodeord-2026"}
    with pytest.raises(DatabaseError, match="audit"):
        admin_client.post(f"/admin/accounts/user/{victim.pk}/password/", password)
    victim.refresh_from_db()
    assert not victim.check_password(password["password1"])
    form = {"name": "Testkommune", "kind": "municipality", "code": "999", "region_code": "1083"}
    with pytest.raises(DatabaseError, match="audit"):
        admin_client.post("/admin/accounts/organisation/add/", form)
    assert not Organisation.objects.filter(code="999").exists()
    assert User.objects.filter(pk=victim.pk).exists()
