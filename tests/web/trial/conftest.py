"""Fixtures of the trial tests: the programme file with the trial switched on (the shipped file,
parsed by ``aps.rules.load``), a fixed randomisation key, and a world with enough eligible
persons for blocks. See trial_kit.py."""

from __future__ import annotations

import pytest

from tests.web.trial.trial_kit import build_trial_world

KEY = "trial-test-randomisation-key-0123456789abcdef"


@pytest.fixture
def trial_on(tmp_path, monkeypatch):
    from opspor.web.aps import rules

    text = rules.CONFIG.read_text(encoding="utf-8")
    assert "  enabled: false\n" in text
    path = tmp_path / "programme.yaml"
    path.write_text(text.replace("  enabled: false\n", "  enabled: true\n"), encoding="utf-8")
    monkeypatch.setattr(rules, "TRIAL", rules.load(path)["trial"])
    monkeypatch.setenv("OPSPOR_RANDOMISATION_KEY", KEY)
    return rules.TRIAL


@pytest.fixture
def tworld(db):
    return build_trial_world()
