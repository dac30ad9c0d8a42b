"""Fixtures for the data-alert tests: the hand-made drop (alerts_kit) loaded once per module with
the real ``opspor ingest`` (installed command, child process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.alerts import alerts_kit
from tests.alerts.alerts_kit import Opspor


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Opspor:
    base = tmp_path_factory.mktemp("alerts")
    drop = alerts_kit.write_drop(base / "drop")
    run = Opspor(base / "home")
    run.subprocess("ingest", drop)
    run.base = base
    return run


@pytest.fixture
def config_file(tmp_path):
    """Write an alert configuration: the shipped one with ``changes`` applied to its text."""

    def make(text: str | None = None, **test_changes) -> Path:
        from opspor.alerts.settings import CONFIG_FILE

        body = CONFIG_FILE.read_text(encoding="utf-8") if text is None else text
        for key, value in test_changes.items():
            lines = body.splitlines()
            lines = [line[:len(line) - len(line.lstrip())] + f"{key}: {value}"
                     if line.strip().startswith(f"{key}:") else line for line in lines]
            body = "\n".join(lines) + "\n"
        path = tmp_path / "alerts.yaml"
        path.write_text(body, encoding="utf-8")
        return path

    return make
