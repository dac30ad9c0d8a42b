"""Files under $OPSPOR_HOME hold CPR numbers and names: every command and the web server create
them readable by their owner only, and a wider mode found at start-up is warned about."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest


SERVER_ENV = {"OPSPOR_HTTPS": "0", "OPSPOR_DEBUG": "0", "OPSPOR_DB": "sqlite",
              "OPSPOR_SECRET_KEY": "opspor-tests-only-secret-key-not-for-production-0123456789abcdef"}


@pytest.fixture
def loose_umask():
    """The usual login umask (022), so a command that does not set its own creates 0644 files."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def readable_by_others(root: Path) -> list[str]:
    """What `find ROOT -perm /go+rwx` lists."""
    return [f"{p} {stat.S_IMODE(p.lstat().st_mode):04o}" for p in [root, *root.rglob("*")]
            if p.lstat().st_mode & (stat.S_IRWXG | stat.S_IRWXO) and not p.is_symlink()]


def test_files_made_by_synth_ingest_lists_and_migrate_are_the_owners_only(run_opspor, opspor_home, loose_umask):
    drop = opspor_home / "drop"
    for args in (
        ("synth", "--persons", "300", "--start", "2024-01-01", "--end", "2024-12-31", "--seed", "1",
         "--out", drop, "--workers", "1"),
        ("ingest", drop),
        ("lists", "run"),
        ("manage", "migrate", "--noinput"),
    ):
        result = run_opspor(*args, env=SERVER_ENV)
        assert result.returncode == 0, result.stdout + result.stderr
    assert (opspor_home / "opspor.sqlite3").exists()
    assert list((opspor_home / "store" / "snapshots").glob("*.duckdb"))
    assert readable_by_others(opspor_home) == []
    snapshot = next((opspor_home / "store" / "snapshots").glob("*.duckdb"))
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o400


def test_a_wider_mode_found_at_start_up_is_named_with_the_fix(run_opspor, opspor_home):
    opspor_home.mkdir(mode=0o700)
    database = opspor_home / "opspor.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    result = run_opspor("snapshots", "list")
    assert result.returncode == 0, result.stderr
    assert f"{database} (mode 0644)" in result.stderr
    assert f"chmod -R go-rwx {opspor_home}" in result.stderr
    database.chmod(0o600)
    assert "chmod" not in run_opspor("snapshots", "list").stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _umask_of(pid: int) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return line.split()[1]
    raise AssertionError("no Umask line in /proc/PID/status")


def test_the_web_server_runs_with_the_private_umask(opspor_bin, opspor_home, loose_umask):
    """`opspor web serve` execs gunicorn: its master and workers keep the umask 0077."""
    env = {**os.environ, **SERVER_ENV}
    server = subprocess.Popen([opspor_bin, "web", "serve", "--port", str(_free_port()), "--workers", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and not workers:
            time.sleep(0.5)
            assert server.poll() is None, "the server stopped"
            children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
            workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
        assert "gunicorn" in Path(f"/proc/{server.pid}/cmdline").read_text()
        assert _umask_of(server.pid) == "0077"
        assert workers and all(_umask_of(pid) == "0077" for pid in workers)
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)


def test_gunicorn_started_directly_on_the_wsgi_module_writes_private_files(opspor_home, loose_umask):
    """A deployment that runs `gunicorn opspor.web.wsgi:application` itself (a systemd unit without
    UMask=) still gets the private umask in the workers that serve requests."""
    env = {**os.environ, **SERVER_ENV, "OPSPOR_HOME": str(opspor_home)}
    port = _free_port()
    gunicorn = Path(os.sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                               "opspor.web.wsgi:application"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "no answer from the server in 60 s"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
                    conn.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    if conn.recv(64):
                        break
            except OSError:
                time.sleep(0.3)
        workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert workers and all(_umask_of(int(pid)) == "0077" for pid in workers)
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
