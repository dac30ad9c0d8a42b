"""The Django project starts, migrates, serves and passes Django's deployment checks."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request

import pytest


def test_deploy_checks_pass_with_production_settings(run_opspor):
    result = run_opspor(
        "manage", "check", "--deploy", "--fail-level", "WARNING",
        env={"OPSPOR_SECRET_KEY": "x" * 60 + "production-like-secret", "OPSPOR_DEBUG": "0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_outside_debug(run_opspor):
    result = run_opspor("manage", "check", env={"OPSPOR_SECRET_KEY": "", "OPSPOR_DEBUG": "0"})
    assert result.returncode != 0
    assert "OPSPOR_SECRET_KEY is not set" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_migrated_server_answers_health_check(run_opspor, opspor_home, opspor_bin):
    env = {"OPSPOR_DEBUG": "1", "OPSPOR_HTTPS": "0"}
    assert run_opspor("manage", "migrate", "--noinput", env=env).returncode == 0
    assert (opspor_home / "opspor.sqlite3").exists()
    assert oct((opspor_home / "django-secret.key").stat().st_mode & 0o777) == "0o600"
    port = _free_port()
    server = subprocess.Popen(
        [opspor_bin, "manage", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        body = None
        for _ in range(600):  # up to 60 s: the machine may be busy
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read().decode()
                    headers = response.headers
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, "server did not answer"
        assert '"status": "ok"' in body
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
    finally:
        server.terminate()
        server.wait(timeout=10)
