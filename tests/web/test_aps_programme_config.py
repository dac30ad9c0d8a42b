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
    assert loaded["invitation_reminder_days"] == 7 and loaded["version"] == "3"


@pytest.mark.parametrize("text, message", [
    ('version: "1"\ninvitation_reminder_days: 7\nsupport_months: {min: 9, max: 6}\nmax_capacity: 5\n',
     "at support_months: min 9 is above max 6. Fix: swap them"),
    ('version: "1"\ninvitation_reminder_days: seven\nsupport_months: {min: 6, max: 9}\nmax_capacity: 5\n',
     "at invitation_reminder_days: expected a whole number, got 'seven'. Fix: write e.g. `invitation_reminder_days: 7`"),
    ('version: "1"\ninvitation_reminder_days: 7\nsupport_months: {min: 6, max: 9}\nmax_capacity: 5\nmonths: 3\n',
     "at months: unknown key. Fix: did you mean `support_months`? allowed keys here: version, source,"),
    ('invitation_reminder_days: 7\nsupport_months: {min: 6, max: 9}\nmax_capacity: 5\n',
     'at version: missing. Fix: add `version:` (e.g. `version: "1"`'),
    ('version: 1\ninvitation_reminder_days: 7\nsupport_months: {min: 6, max: 9}\nmax_capacity: 5\n',
     'at version: expected a string, got 1. Fix: write version: "1" (quoted)'),
    ('version: "1"\ninvitation_reminder_days: 7\nsupport_months: {min: 6, max: 9}\nmax_capacity: 5\n'
     'invitation_reminder_days: 70\n', "not valid YAML: duplicate key 'invitation_reminder_days'"),
])
def test_bad_files_name_the_key_and_the_fix(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(rules.ProgrammeConfigError) as e:
        rules.load(path)
    assert str(e.value).startswith(f"{path}: at ") and message in str(e.value)


def test_the_file_is_read_on_first_use_not_at_import(tmp_path):
    """Importing the rules reads neither the file nor ``OPSPOR_APS_PROGRAMME``: a broken file
    named after the import is refused when a rule is first used, with file, key and fix."""
    import subprocess
    import sys

    broken = write(tmp_path, 'version: "1"\ninvitation_reminder_days: 7\nsupport_months: {min: 6, max: 9}\n')
    code = ("import os; from opspor.web.aps import rules\n"
            f"os.environ['OPSPOR_APS_PROGRAMME'] = {str(broken)!r}\n"
            "print(rules.CONFIG)\n"
            "try:\n    rules.MAX_CAPACITY\nexcept rules.ProgrammeConfigError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"OPSPOR_APS_PROGRAMME": str(tmp_path / "missing.yaml"), "PATH": "/usr/bin:/bin"})
    assert out.stdout.splitlines() == [
        str(broken), f"{broken}: at max_capacity: missing. Fix: add `max_capacity:` (e.g. `max_capacity: 500`)"]
