"""The trial section of the programme file: shipped switched off, and every mistake named with
the file, the key and the fix."""

from __future__ import annotations

import pytest

from opspor.web.aps import rules

GOOD = """version: "1"
invitation_reminder_days: 7
support_months: {min: 6, max: 9}
max_capacity: 5
trial:
  enabled: true
  id: aps-2026
  arms: [intervention, control]
  block_sizes: [2, 4, 6]
  stratify_by: region
  strata: ["1083", "1085"]
  control:
    instrument: who5
    timepoints: {baseline: 0, 6m: 6, 12m: 12}
"""


def test_the_shipped_programme_is_not_a_trial_until_switched_on():
    assert rules.TRIAL.enabled is False and rules.TRIAL.id == "aps-2026"
    assert rules.TRIAL.strata == ("1081", "1082", "1083", "1084", "1085")


def test_a_good_trial_section(tmp_path):
    path = tmp_path / "programme.yaml"
    path.write_text(GOOD)
    trial = rules.load(path)["trial"]
    assert (trial.enabled, trial.id, trial.block_sizes, trial.strata) == (True, "aps-2026", (2, 4, 6), ("1083", "1085"))
    assert trial.control_timepoints == (("baseline", 0), ("6m", 6), ("12m", 12))
    path.write_text(GOOD.split("trial:")[0])
    assert rules.load(path)["trial"] == rules.OFF


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  enabled: true", "  enabled: yes please", "at trial.enabled: expected true or false, got 'yes please'. Fix: write `true` or `false`"),
    ("  id: aps-2026", "  id: APS 2026!", "at trial.id: 'APS 2026!' is not a trial id (2-39 characters a-z, 0-9, '.', '-'). Fix: write e.g. `id: aps-2026`"),
    ("  arms: [intervention, control]", "  arms: [a, b, c]", "at trial.arms: ['a', 'b', 'c'] are not the web flow's arms. Fix: write `arms: [intervention, control]`"),
    ("  block_sizes: [2, 4, 6]", "  block_sizes: [3]", "at trial.block_sizes: [3] are not positive even numbers. Fix: positive even numbers"),
    ("  stratify_by: region", "  stratify_by: municipality", "at trial.stratify_by: unknown stratification 'municipality'. Fix: write one of the allowed values: region"),
    ('  strata: ["1083", "1085"]', "  strata: [Syddanmark]", "at trial.strata: ['Syddanmark'] are not region codes. Fix: list the region codes"),
    ("    instrument: who5", "    instrument: ''", "at trial.control.instrument: '' is not a questionnaire. Fix: name the questionnaire"),
    ("{baseline: 0, 6m: 6, 12m: 12}", "{baseline: 0, 9m: 9}", "at trial.control.timepoints: {'baseline': 0, '9m': 9} are not time points with months after consent. Fix:"),
    ("  stratify_by: region", "  stratify_by: region\n  randomise: true", "at trial.randomise: unknown key. Fix: allowed keys here: enabled, id, arms, block_sizes, stratify_by"),
])
def test_mistakes_name_the_file_the_key_and_the_fix(tmp_path, old, new, message):
    path = tmp_path / "programme.yaml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new))
    with pytest.raises(rules.ProgrammeConfigError) as e:
        rules.load(path)
    assert str(e.value).startswith(f"{path}: at trial.") and message in str(e.value)


def test_another_programme_file_is_named_by_the_environment(tmp_path):
    """``OPSPOR_APS_PROGRAMME`` selects the file (a region's own, or a trial): read at start."""
    import subprocess
    import sys

    path = tmp_path / "programme.yaml"
    path.write_text(GOOD)
    code = "from opspor.web.aps import rules; print(rules.CONFIG.name, rules.TRIAL.enabled, rules.TRIAL.strata)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"OPSPOR_APS_PROGRAMME": str(path), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "programme.yaml True ('1083', '1085')"
