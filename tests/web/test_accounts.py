"""Log-in, throttling and the second factor, through the real log-in pages."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.web import web_kit

pytestmark = pytest.mark.django_db


def test_pages_need_a_log_in(client, published):
    for url in ("/", "/lister/", "/revision/", "/aps/min-dag/", "/personer/00000000-0000-4000-8000-000000000001/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/konto/log-ind/"), url
    assert client.get("/healthz").status_code == 200


def test_each_role_lands_on_its_own_page(users, login):
    expected = {"med1": "/lister/", "nurse": "/aps/min-dag/", "lead": "/aps/program/",
                "odense": "/borgere/", "secretariat": "/overblik/", "auditor": "/revision/"}
    for name, url in expected.items():
        assert login(users[name]).get("/").url == url, name


def test_log_in_locks_the_address_after_ten_failures(users, client):
    """Locking an address; the user name's softer delay: tests/web/test_headers_logs.py."""
    for n in range(10):
        client.post("/konto/log-ind/", {"username": f"guess{n}", "password": "wrong"})
    response = client.post("/konto/log-ind/", {"username": "med1", "password": web_kit.PASSWORD})
    assert response.status_code == 429
    assert "For mange mislykkede log-ind" in response.content.decode()


def _token(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The device's code now (or ``steps_ahead`` time steps later: a used code is not accepted
    twice, and the device accepts the next step's code within its tolerance)."""
    t0 = device.t0 - steps_ahead * device.step
    return f"{totp(device.bin_key, step=device.step, t0=t0, digits=device.digits):06d}"


def test_administrator_must_set_up_a_second_factor(users, login, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp delays the next try after a wrong code
    client = login(users["admin"])
    assert client.get("/admin/").url == "/konto/to-faktor/opsaet/"
    page = client.get("/konto/to-faktor/opsaet/").content.decode()
    assert "data:image/svg+xml;base64," in page
    device = TOTPDevice.objects.get(user=users["admin"], confirmed=False)
    assert "ikke godkendt" in client.post("/konto/to-faktor/opsaet/", {"token": "000000"}).content.decode()
    response = client.post("/konto/to-faktor/opsaet/", {"token": _token(device)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    # next time: password, then the code
    client = login(users["admin"])
    assert client.get("/admin/").url.startswith("/konto/to-faktor/?next=/admin/")
    device.refresh_from_db()
    response = client.post("/konto/to-faktor/?next=/admin/", {"token": _token(device, 1), "next": "/admin/"})
    assert response.url == "/admin/"


def test_other_users_may_choose_a_second_factor(users, login):
    client = login(users["med1"])
    assert client.get("/lister/").status_code == 200  # not forced
    client.get("/konto/to-faktor/opsaet/")
    device = TOTPDevice.objects.get(user=users["med1"])
    client.post("/konto/to-faktor/opsaet/", {"token": _token(device)})
    client = login(users["med1"])
    assert client.get("/lister/").url.startswith("/konto/to-faktor/")


def test_english_is_available(users, login):
    client = login(users["med1"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/lister/"})
    html = client.get("/lister/").content.decode()
    assert "Patients with repeated acute contacts" in html and 'lang="en"' in html
