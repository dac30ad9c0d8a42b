"""The hand-made drop of tests/lists (lists_kit), loaded with the real ``opspor`` commands and
published into the test database; users of each role around it.

Lists of 2026-03-04: OUH/MED1 has A (new today) and C; OUH/"Geriatri Æ" has D. Eligible and
not excluded: A and D (region 1083); B, C, E are excluded. E lives in municipality 630.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from opspor import cpr as cprlib
from tests.lists import lists_kit

OPSPOR = str(Path(sys.executable).with_name("opspor"))
PASSWORD = "correct-horse-battery-staple-42"
CPR = lists_kit.CPR
NAMES = lists_kit.NAMES
AS_OF = lists_kit.AS_OF


def load_and_run_lists(home: Path, env: dict) -> None:
    drop = lists_kit.write_drop(home.parent / "drop")
    for args in (["ingest", str(drop)], ["lists", "run", "--as-of", AS_OF]):
        done = subprocess.run([OPSPOR, *args], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr


def key_of(letter: str) -> str:
    from opspor.store.key import pseudonym_key

    return cprlib.pseudonym(CPR[letter], pseudonym_key())


def make_user(username: str, role: str, organisation, **extra):
    from opspor.web.accounts.models import User

    user = User.objects.create_user(username=username, password=PASSWORD, role=role,
                                    organisation=organisation, first_name=username.title(), **extra)
    return user


def hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|action|hx-post|hx-get)="([^"]+)"', html)


@contextlib.contextmanager
def published_site(home: Path, *steps: tuple[str, ...], env: dict[str, str] | None = None):
    """A real server (fixtures_server.start_server, with ``env``) with the hand-made lists of
    AS_OF published, then ``steps`` (opspor commands), then the demo users (``server.users``:
    name → entry)."""
    from tests.web.fixtures_server import start_server

    with start_server(home, env) as server:
        drop = lists_kit.write_drop(home.parent / "drop")
        server.run_opspor("ingest", str(drop), check=True)
        server.run_opspor("lists", "run", "--as-of", AS_OF, check=True)
        server.run_opspor("web", "migrate", check=True)
        server.run_opspor("web", "publish", check=True)
        for step in steps:
            server.run_opspor(*step, check=True)
        server.run_opspor("web", "demo-users", check=True)
        server.users = {u["username"]: u for u in json.loads((home / "demo-users.json").read_text())}
        yield server


@contextlib.contextmanager
def citizen_site(tmp_path_factory, accounts: dict):
    """``published_site`` whose citizens log in through the loopback OpenID provider
    (tests/support/oidc.py) with ``accounts`` (login → claims)."""
    from tests.support import oidc

    with oidc.provider(tmp_path_factory.mktemp("idp"), accounts) as issuer, \
            published_site(tmp_path_factory.mktemp("site") / "home", env=oidc.door_env("citizen", issuer)) as server:
        yield server


def log_in(page, site, username: str) -> None:
    """Log in through the real form of a browser page as the demo user ``username``."""
    page.goto(f"{site.url}/konto/log-ind/")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(site.users[username]["password"])
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state("networkidle")


def shot(page, name: str) -> None:
    """Save the page as <name>.png in $OPSPOR_SCREENSHOTS_DIR when it is set (docs/screenshots)."""
    folder = os.environ.get("OPSPOR_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def download_of(page, click) -> object:
    """The Playwright download ``click()`` starts (``page.on``, not ``expect_download``: the
    fixtures hide Playwright's loop from the tests); fails after 10 s without one."""
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    click()
    for _ in range(100):
        if downloads:
            break
        page.wait_for_timeout(100)
    assert downloads, "no download"
    return downloads[0]


def log_in_with_second_factor(login, user):
    """``user`` logged in through the real forms with password and a confirmed TOTP device (the
    administrator's pages ask for the second factor)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = login(user)
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assert client.post("/konto/to-faktor/?next=/admin/", {"token": token, "next": "/admin/"}).status_code == 302
    return client
