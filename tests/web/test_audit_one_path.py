"""One path for every change (issue 12, item 6): each change of state, also by the system's own
commands, goes through an action that writes its audit entry in the same transaction. The proof
of "same transaction": when the database refuses the audit entry (a trigger made by the test),
the change is not there either."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from opspor.web.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

_REFUSE = {
    "sqlite": ["""CREATE TRIGGER test_audit_no_insert BEFORE INSERT ON audit_auditentry
                  BEGIN SELECT RAISE(ABORT, 'audit store refuses (test)'); END"""],
    # audit_refuse_change() is the append-only migration's function: it raises
    "postgresql": ["""CREATE TRIGGER test_audit_no_insert BEFORE INSERT ON audit_auditentry
                      FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"""],
}


@pytest.fixture
def audit_refuses():
    """From now on the database refuses every new audit entry (rolled back with the test)."""

    def start():
        with connection.cursor() as cursor:
            for sql in _REFUSE[connection.vendor]:
                cursor.execute(sql)

    return start


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


def test_nothing_new_audited_for_a_refused_code(users, login):
    client = login(users["med1"])
    client.get("/konto/to-faktor/opsaet/")
    before = AuditEntry.objects.count()
    assert "ikke godkendt" in client.post("/konto/to-faktor/opsaet/", {"token": "000000"}).content.decode()
    assert AuditEntry.objects.count() == before
