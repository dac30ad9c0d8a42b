"""The programme's time rules are configuration: a bad file is refused with file, key and fix."""

from __future__ import annotations

import pytest

from opspor.web.aps import rules


def write(tmp_path, text: str):
    path = tmp_path / "programme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_loads():
    loaded = rules.load()
    assert (loaded["support_min_months"], loaded["support_max_months"]) == (6, 9)
    assert loaded["invitation_reminder_days"] == 7 and loaded["version"] == "1"


@pytest.mark.parametrize("text, message", [
    ('version: "1"\ninvitation_reminder_days: 7\nsupport_months: {min: 9, max: 6}\nmax_capacity: 5\n',
     "support_months: min 9 is above max 6; fix: swap them"),
    ('version: "1"\ninvitation_reminder_days: seven\nsupport_months: {min: 6, max: 9}\nmax_capacity: 5\n',
     "invitation_reminder_days: 'seven' is not a whole number"),
    ('version: "1"\ninvitation_reminder_days: 7\nsupport_months: {min: 6, max: 9}\nmax_capacity: 5\nmonths: 3\n',
     "months: unknown key"),
    ('invitation_reminder_days: 7\nsupport_months: {min: 6, max: 9}\nmax_capacity: 5\n',
     'version: missing or not a string; fix: write version: "1"'),
])
def test_bad_files_name_the_key_and_the_fix(tmp_path, text, message):
    with pytest.raises(rules.ProgrammeConfigError, match="programme.yaml: ") as e:
        rules.load(write(tmp_path, text))
    assert message in str(e.value)
