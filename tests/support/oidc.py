"""A real OpenID provider on loopback for the log-in tests: panva's oidc-provider (npm), pinned by
``node/package-lock.json`` and installed from it with ``npm ci`` on first use (one process at a
time, under a file lock; ``install`` also brings axe-core, tests/web/a11y.py). ``provider(config)``
starts ``node/oidc_provider.mjs``
and yields its issuer URL; ``walk`` drives a log-in through it over HTTP like a browser would.

Never a mock: tokens are signed by the provider's own key, the flow is the provider's own
authorization code flow with its log-in and consent pages."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest

FOLDER = Path(__file__).with_name("node")
CLIENT_ID, CLIENT_SECRET = "opspor", "opspor-test-client-secret"
# loopback redirect URIs: the provider accepts them on any port (native client, RFC 8252 7.3)
CLIENT = {
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "redirect_uris": ["http://127.0.0.1/konto/oidc/retur/"],
    "post_logout_redirect_uris": ["http://127.0.0.1/konto/log-ind/"],
}


def install() -> None:
    """``npm ci`` in the provider's folder unless its node_modules matches the lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node and npm are needed for the OpenID provider of the log-in tests "
                    "(scripts/system-deps.sh installs them)", pytrace=False)
    lock = FOLDER / "package-lock.json"
    stamp = FOLDER / "node_modules" / ".opspor-lock"
    with open(FOLDER / ".install.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == lock.read_text():
            return
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=FOLDER,
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            pytest.fail(f"npm ci in {FOLDER} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
        stamp.write_text(lock.read_text())


# The level of assurance the provider gives a log-in (the ID token's acr) unless told otherwise:
# what a MitID broker gives after a MitID log-in (signin/config/oidc.yaml asks for it).
SUBSTANTIAL = "https://data.gov.dk/concept/core/nsis/loa/Substantial"
LOW = "https://data.gov.dk/concept/core/nsis/loa/Low"


@contextlib.contextmanager
def provider(tmp: Path, accounts: dict[str, dict], acr: dict[str, str | None] | None = None,
             default_acr: str = SUBSTANTIAL) -> Iterator[str]:
    """A provider with opspor's client and ``accounts`` (login name -> claims), each log-in with
    the level of assurance ``acr[login]`` (None: no acr at all), else ``default_acr``; yields the
    issuer."""
    install()
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "provider.json"
    config.write_text(json.dumps({"clients": [CLIENT], "accounts": accounts, "acr": acr or {},
                                  "default_acr": default_acr}))
    log = open(tmp / "provider.log", "w")  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(["node", str(FOLDER / "oidc_provider.mjs"), str(config)], stdout=subprocess.PIPE,
                               stderr=log, text=True, start_new_session=True)
    try:
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=10)
            pytest.fail(f"the OpenID provider did not start:\n{(tmp / 'provider.log').read_text()}", pytrace=False)
        yield json.loads(line)["issuer"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def door_env(door: str, issuer: str, **extra: str) -> dict[str, str]:
    env = {f"OPSPOR_OIDC_{door.upper()}_ISSUER": issuer,
           f"OPSPOR_OIDC_{door.upper()}_CLIENT_ID": CLIENT_ID,
           f"OPSPOR_OIDC_{door.upper()}_CLIENT_SECRET": CLIENT_SECRET}
    env.update({f"OPSPOR_OIDC_{door.upper()}_{k.upper()}": v for k, v in extra.items()})
    return env


def _form(html: str) -> tuple[str, dict[str, str]] | None:
    """The first form's action and its hidden fields."""
    match = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', html, re.DOTALL)
    if not match:
        return None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(2)))
    return unescape(match.group(1)), {k: unescape(v) for k, v in fields.items()}


def walk(session, url: str, *, login: str = "", method: str = "GET", data: dict | None = None,
         stop_at: str = "", limit: int = 20):
    """Follow redirects by hand from ``url`` (every URL kept in ``session.visited``), filling the
    provider's log-in form with ``login`` (any password) and its consent form, until a page that
    is no redirect and no provider form, or a URL starting with ``stop_at``. Returns the response."""
    session.visited = getattr(session, "visited", [])
    response = session.request(method, url, data=data, allow_redirects=False, timeout=30)
    for _step in range(limit):
        session.visited.append(response.url)
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if stop_at and target.startswith(stop_at):
                return response
            response = session.get(target, allow_redirects=False, timeout=30)
            continue
        form = _form(response.text) if response.status_code == 200 else None
        if form and 'name="login"' in response.text and login:
            action, fields = form
            response = session.post(urljoin(response.url, action),
                                    data={**fields, "login": login, "password": "any"}, allow_redirects=False, timeout=30)
            continue
        if form and form[1].get("prompt") == "consent":
            action, fields = form
            response = session.post(urljoin(response.url, action), data=fields, allow_redirects=False, timeout=30)
            continue
        return response
    raise AssertionError(f"more than {limit} steps: {session.visited}")


def wait_until(check, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)
