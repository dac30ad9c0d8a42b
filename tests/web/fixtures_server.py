"""Test infrastructure for the web app: a real server in a subprocess, and a real browser.

Imported by ``tests/web/conftest.py``; the fixtures are documented in ``docs/testing.md``.

- ``start_server(home, env)``: a context manager that migrates a fresh database for ``home``
  (SQLite in ``home``, or a new PostgreSQL database when the suite runs with
  ``OPSPOR_DB=postgresql``), starts ``SERVER_COMMAND`` on a free port of 127.0.0.1, waits for
  ``/healthz`` and yields a :class:`Server`; on exit it stops the process group and drops the
  database. Use it to build fixtures of any scope.
- ``server_factory`` (function scope): ``server_factory(home, env=None) -> Server``; every server
  it started is stopped after the test.
- ``server`` (function scope): one server on ``tmp_path / "home"``.
- ``browser`` (session scope): Playwright's Chromium, Debian's ``chromium`` binary.
- ``page`` (function scope): a new context (da-DK, 1280x900) and page; on failure a screenshot
  and the page's HTML are saved in the test's tmp dir.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

OPSPOR = str(Path(sys.executable).with_name("opspor"))
HOST = "127.0.0.1"

# The command that serves the app. Placeholders: {python} {opspor} {host} {port}.
# When `opspor web serve` exists, swap this for e.g. ("{opspor}", "web", "serve", "--bind", "{host}:{port}").
SERVER_COMMAND: tuple[str, ...] = ("{opspor}", "web", "serve", "--host", "{host}", "--port", "{port}")
# `opspor` commands run once against a new home before the server starts.
PREPARE_COMMANDS: tuple[tuple[str, ...], ...] = (("manage", "migrate", "--noinput"),)

STARTUP_TIMEOUT = 60.0
TEST_SECRET_KEY = "opspor-tests-only-secret-key-not-for-production-0123456789abcdef"
TEST_PSEUDONYM_KEY = "test-pseudonym-key"
DB_VARS = ("OPSPOR_DB", "OPSPOR_DB_NAME", "OPSPOR_DB_USER", "OPSPOR_DB_PASSWORD", "OPSPOR_DB_HOST", "OPSPOR_DB_PORT")


# --------------------------------------------------------------------------- the database

@dataclass(frozen=True)
class Postgres:
    """Where the PostgreSQL pass's cluster is (from OPSPOR_DB_* when OPSPOR_DB=postgresql)."""

    host: str
    port: str
    user: str
    password: str
    name: str

    @classmethod
    def from_environ(cls, environ: dict[str, str] | os._Environ) -> Postgres | None:
        if environ.get("OPSPOR_DB", "sqlite") != "postgresql":
            return None
        return cls(
            host=environ.get("OPSPOR_DB_HOST", ""), port=environ.get("OPSPOR_DB_PORT", ""),
            user=environ.get("OPSPOR_DB_USER", ""), password=environ.get("OPSPOR_DB_PASSWORD", ""),
            name=environ.get("OPSPOR_DB_NAME", "opspor"),
        )

    def env(self, name: str) -> dict[str, str]:
        return {
            "OPSPOR_DB": "postgresql", "OPSPOR_DB_NAME": name, "OPSPOR_DB_USER": self.user,
            "OPSPOR_DB_PASSWORD": self.password, "OPSPOR_DB_HOST": self.host, "OPSPOR_DB_PORT": self.port,
        }

    def admin(self):
        import psycopg

        last: Exception | None = None
        for dbname in ("postgres", self.name):  # like Django: the maintenance db, else the main one
            try:
                return psycopg.connect(
                    host=self.host or None, port=self.port or None, user=self.user or None,
                    password=self.password or None, dbname=dbname, autocommit=True, connect_timeout=10,
                )
            except psycopg.OperationalError as exc:
                last = exc
        raise RuntimeError(f"cannot connect to PostgreSQL at {self.host}:{self.port} as {self.user!r}: {last}")

    @staticmethod
    def new_name() -> str:
        """A database name of its own for this xdist worker (nothing is created)."""
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return f"opspor_srv_{worker}_{uuid.uuid4().hex[:10]}"

    def create_database(self) -> str:
        """A new, empty database; its name."""
        name = self.new_name()
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def exists(self, name: str) -> bool:
        with self.admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None

    def copy_database(self, template: str, name: str) -> None:
        """CREATE DATABASE name TEMPLATE template, retried while another worker's copy holds it."""
        import psycopg

        for attempt in range(20):
            try:
                with self.admin() as conn:
                    conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 19:
                    raise
                time.sleep(0.5)


# Set by conftest.py before Django is imported: the PostgreSQL pass's cluster, or None for SQLite.
POSTGRES: Postgres | None = None


# --------------------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def base_env(home: Path) -> dict[str, str]:
    """The environment of a test server and its `opspor` commands (before the caller's ``env``)."""
    env = {k: v for k, v in os.environ.items() if k not in DB_VARS}
    env.update({
        "OPSPOR_HOME": str(home),
        "OPSPOR_DEBUG": "0",
        "OPSPOR_HTTPS": "0",
        "OPSPOR_SECRET_KEY": TEST_SECRET_KEY,
        "OPSPOR_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        "OPSPOR_ALLOWED_HOSTS": f"{HOST},localhost",
        "DJANGO_SETTINGS_MODULE": "opspor.web.settings",
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",
    })
    return env


@dataclass
class Server:
    """A running test server. ``url`` has no trailing slash."""

    url: str
    home: Path
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def run_opspor(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300,
                   check: bool = False, input: str | None = None) -> subprocess.CompletedProcess:
        """Run the installed ``opspor`` command with this server's environment (home, database)."""
        result = subprocess.run(
            [OPSPOR, *map(str, args)], check=False, env={**self.env, **(env or {})}, capture_output=True,
            text=True, timeout=timeout, input=input,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"opspor {' '.join(map(str, args))} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def get(self, path: str, timeout: float = 30) -> tuple[int, dict[str, str], str]:
        """GET ``path`` without following redirects: (status, headers, body)."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.url + path, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def log(self) -> str:
        """The server's stdout and stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """SIGTERM to the process group (the command and e.g. its gunicorn); SIGKILL after 15 s."""
        if self.process is None:
            return
        group = self.process.pid
        if group_alive(group):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while group_alive(group) and time.monotonic() < deadline:
                time.sleep(0.1)
            if group_alive(group):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def group_alive(group: int) -> bool:
    """Is any process of the group still running (zombies aside)?"""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            return True
    return False


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(server: Server, deadline: float) -> str | None:
    """None when /healthz answers 200; else why not."""
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return f"exited with status {server.process.returncode}"
        try:
            status, _, body = server.get("/healthz", timeout=5)
            if status == 200:
                return None
            last = f"HTTP {status}: {body[:500]}"
        except (OSError, urllib.error.URLError) as exc:
            last = str(exc)
        time.sleep(0.2)
    return f"no 200 from /healthz within {STARTUP_TIMEOUT:.0f} s (last: {last})"


# --------------------------------------------------------------------------- migrated once

# Migrating a new database costs ~12 s of CPU and every live-server fixture needs one; the suite
# migrates once per set of migrations (and settings) and copies the result: the SQLite file, or a
# PostgreSQL database made with CREATE DATABASE ... TEMPLATE. Built under a file lock shared by the
# xdist workers, renamed into place when whole.
TEMPLATES = Path(tempfile.gettempdir()) / f"opspor-test-templates-{os.getuid()}"
SQLITE_FILE = "opspor.sqlite3"


@functools.cache
def _source_digest() -> str:
    """Of every file of the installed package: migrations, and what post_migrate handlers read."""
    import django

    import opspor

    digest = hashlib.sha256(f"django {django.__version__}\n".encode())
    root = Path(opspor.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _template_key(env: dict[str, str]) -> str:
    digest = hashlib.sha256(_source_digest().encode())
    for name in sorted(k for k in env if k.startswith("OPSPOR_") and k not in ("OPSPOR_HOME", "OPSPOR_DB_NAME")):
        digest.update(f"{name}={env[name]}\n".encode())
    digest.update(repr(PREPARE_COMMANDS).encode())
    return digest.hexdigest()[:20]


@contextlib.contextmanager
def _locked(key: str) -> Iterator[None]:
    TEMPLATES.mkdir(mode=0o700, exist_ok=True)
    with open(TEMPLATES / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _prepare(server: Server, database: str | None) -> None:
    """Give ``server`` a migrated database: a copy of the template, made first if need be."""
    if database is None and "OPSPOR_DB_NAME" in server.env:  # a database file of the caller's: as it is
        for args in PREPARE_COMMANDS:
            server.run_opspor(*args, check=True)
        return
    key = _template_key(server.env)
    with _locked(key):
        if database is None:
            template = TEMPLATES / key
            if not template.is_dir():
                build = TEMPLATES / f"{key}.build-{uuid.uuid4().hex[:8]}"
                build.mkdir(mode=0o700)
                for args in PREPARE_COMMANDS:
                    server.run_opspor(*args, env={"OPSPOR_HOME": str(build)}, check=True)
                build.rename(template)
        else:
            template = f"opspor_tmpl_{key}"
            if not POSTGRES.exists(template):
                build = f"opspor_build_{uuid.uuid4().hex[:10]}"
                with POSTGRES.admin() as conn:
                    conn.execute(f'CREATE DATABASE "{build}"')
                for args in PREPARE_COMMANDS:
                    server.run_opspor(*args, env={"OPSPOR_DB_NAME": build}, check=True)
                with POSTGRES.admin() as conn:
                    conn.execute(f'ALTER DATABASE "{build}" RENAME TO "{template}"')
    if database is None:
        for source in template.glob(f"{SQLITE_FILE}*"):
            target = server.home / source.name
            shutil.copyfile(source, target)
            os.chmod(target, source.stat().st_mode & 0o777)
    else:
        POSTGRES.copy_database(template, database)  # named by start_server, made here


@contextlib.contextmanager
def start_server(home: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Prepare ``home``, start ``SERVER_COMMAND`` on a free port, yield the Server; stop it after."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    full_env = base_env(home)
    database = None
    if POSTGRES is not None and (env or {}).get("OPSPOR_DB", "postgresql") == "postgresql":
        database = POSTGRES.new_name()  # created by _prepare as a copy of the migrated template
        full_env.update(POSTGRES.env(database))
    full_env.update(env or {})
    server = None
    try:
        server = Server(url="", home=home, env=full_env, log_path=home / "server.log")
        _prepare(server, database)
        for attempt in range(3):  # the free port can be taken before the server binds it
            port = free_port()
            server.url = f"http://{HOST}:{port}"
            command = [part.format(python=sys.executable, opspor=OPSPOR, host=HOST, port=port)
                       for part in SERVER_COMMAND]
            with open(server.log_path, "ab") as log:
                server.process = subprocess.Popen(
                    command, env=full_env, cwd=home, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )
            problem = _wait_healthy(server, time.monotonic() + STARTUP_TIMEOUT)
            if problem is None:
                break
            server.stop()
            if not (problem.startswith("exited") and "in use" in server.log() and attempt < 2):
                pytest.fail(
                    f"test server did not start ({problem}): {' '.join(command)}\n"
                    f"--- server log ({server.log_path})\n{_tail(server.log())}",
                    pytrace=False,
                )
        yield server
    finally:
        if server is not None:
            server.stop()
        if database is not None:
            POSTGRES.drop_database(database)


@pytest.fixture
def server_factory() -> Iterator:
    """``server_factory(home: Path, env: dict | None = None) -> Server``; all stopped after the test."""
    with contextlib.ExitStack() as stack:

        def factory(home: Path, env: dict[str, str] | None = None) -> Server:
            return stack.enter_context(start_server(home, env))

        yield factory


@pytest.fixture
def server(server_factory, tmp_path) -> Server:
    """A server on a fresh home (``tmp_path / "home"``) and a fresh database."""
    return server_factory(tmp_path / "home")


# --------------------------------------------------------------------------- the browser

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--lang=da-DK",
]
_phase_reports = pytest.StashKey[dict]()


def chromium_path() -> str | None:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


def no_browser(message: str) -> None:
    if os.environ.get("OPSPOR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message} (OPSPOR_REQUIRE_BROWSER=1; install it with scripts/system-deps.sh)", pytrace=False)
    pytest.skip(f"{message}; set OPSPOR_REQUIRE_BROWSER=1 to make this a failure")


@contextlib.contextmanager
def _loop_hidden_from_tests(loop) -> Iterator[None]:
    """While Playwright's sync API is alive, the tests' own code sees no running event loop.

    The sync API keeps its event loop "running" in the main thread (its dispatcher greenlet runs
    it). Django would then see an async context: its ORM refuses to run (SynchronousOnlyOperation)
    and asgiref gives it a second, context-local set of database connections, outside the test's
    transaction and never closed. DJANGO_ALLOW_ASYNC_UNSAFE would silence only the first, and would
    reach every subprocess (`manage check --deploy` rejects it). So asyncio.get_running_loop()
    answers "none" for Playwright's loop when asked from the main greenlet (the test's code);
    Playwright's own greenlet still sees its loop.
    """
    import asyncio
    import asyncio.events

    import django.utils.asyncio as dj_asyncio
    import greenlet

    real = asyncio.get_running_loop
    main = greenlet.getcurrent()

    def get_running_loop():
        running = real()
        if running is loop and greenlet.getcurrent() is main:
            raise RuntimeError("no running event loop")
        return running

    modules = (asyncio, asyncio.events, dj_asyncio)
    saved = [module.get_running_loop for module in modules]
    for module in modules:
        module.get_running_loop = get_running_loop
    try:
        yield
    finally:
        for module, original in zip(modules, saved):
            module.get_running_loop = original


@pytest.fixture(scope="session")
def browser():
    """Playwright's sync Browser on Debian's chromium; one per test process."""
    executable = chromium_path()
    if executable is None:
        no_browser("chromium is not installed (Debian: apt-get install chromium)")
    import asyncio

    from playwright.sync_api import Error, sync_playwright

    playwright = sync_playwright().start()
    try:
        with _loop_hidden_from_tests(asyncio.get_running_loop()):
            try:
                chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            except Error as exc:
                no_browser(f"chromium ({executable}) did not start: {exc}")
            yield chromium
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser, request, tmp_path):
    """A fresh context (locale da-DK, 1280x900) and page; screenshot + HTML saved on failure."""
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    reports = request.node.stash.get(_phase_reports, {})
    if any(report.failed for report in reports.values()):
        with contextlib.suppress(Exception):
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            (tmp_path / "failure.html").write_text(page.content())
            print(f"browser failure artefacts: {tmp_path / 'failure.png'} {tmp_path / 'failure.html'} "
                  f"(url {page.url})")
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so that ``page`` knows if the test failed."""
    report = yield
    item.stash.setdefault(_phase_reports, {})[report.when] = report
    return report


def pytest_collection_modifyitems(items):
    """Mark the tests that use the browser: `pytest -m browser` runs only them."""
    for item in items:
        if {"browser", "page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
