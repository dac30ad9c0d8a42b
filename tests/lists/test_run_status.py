"""``opspor lists run`` (stored runs) and ``opspor lists status`` (the deadline alarm)."""

from __future__ import annotations

import json
from pathlib import Path

from opspor.lists.status import EXIT_ALARM
from tests.lists.lists_kit import AS_OF, EXPECTED_LISTS, MED1_FILE, read_csv

WEDNESDAY = AS_OF  # 2026-03-04
SATURDAY = "2026-03-07"


def runs_dir(home: Path) -> Path:
    return home / "lists" / "runs"


def test_run_stores_the_run_with_its_outputs(loaded, home):
    r = loaded("lists", "run", "--as-of", WEDNESDAY)
    (folder,) = runs_dir(home).iterdir()
    record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert record["run_id"] == folder.name and record["run_id"] in r.stdout
    assert record["kind"] == "run"
    assert record["as_of"] == WEDNESDAY and record["cutoff"] == "2026-03-03T18:00:00"
    assert record["snapshot_id"] and record["snapshot_id"] in r.stdout
    assert record["snapshot_created_at"].endswith("Z")
    for name in ("repeated_acute", "aps_eligibility"):
        assert record["rules"][name]["version"] == "1"
        assert record["rules"][name]["code_lists_version"] == "1"
    assert record["opspor_version"]
    assert record["duration_seconds"] > 0
    assert record["out_dir"] == str(folder)
    assert {d["department"]: (d["patients"], d["new_today"], d["lines"])
            for d in record["departments"]} == {"MED1": (2, 1, 10), "Geriatri Æ": (1, 0, 3)}
    assert record["eligibility"]["listed"] == 5 and record["eligibility"]["eligible"] == 2
    assert set(record["eligibility"]["by_route"]) == {
        "diagnosis", "repeated_admissions", "elderly_preventable_or_readmission"}
    for f in record["files"]:
        assert (folder / f).is_file()
    _, rows = read_csv(folder / "repeated-acute" / MED1_FILE)
    assert rows == EXPECTED_LISTS[MED1_FILE]
    assert not (home / "lists" / "staging").exists() or not any((home / "lists" / "staging").iterdir())


def test_run_with_out_writes_there_and_stores_the_record(loaded, home, tmp_path):
    out = tmp_path / "today"
    loaded("lists", "run", "--as-of", WEDNESDAY, "--out", out)
    (folder,) = runs_dir(home).iterdir()
    assert [p.name for p in folder.iterdir()] == ["run.json"]
    record = json.loads((folder / "run.json").read_text())
    assert record["out_dir"] == str(out.resolve())
    assert (out / "repeated-acute" / MED1_FILE).is_file()
    assert json.loads((out / "run.json").read_text())["run_id"] == record["run_id"]


def test_run_without_a_snapshot_says_what_to_do(cli, home):
    r = cli("lists", "run", "--as-of", WEDNESDAY, expect=1)
    assert "opspor ingest" in r.stderr
    assert not runs_dir(home).exists() or not any(runs_dir(home).iterdir())


def test_run_out_inside_opspor_home_is_refused(loaded, home):
    r = loaded("lists", "run", "--as-of", WEDNESDAY, "--out", home / "lists" / "x", expect=1)
    assert "choose a folder of your own" in r.stderr


def test_status_weekday_before_deadline_without_run(cli):
    r = cli("lists", "status", "--day", WEDNESDAY, "--now", "10:59", expect=0)
    assert "not yet due" in r.stdout


def test_status_weekday_after_deadline_without_run_is_an_alarm(cli):
    r = cli("lists", "status", "--day", WEDNESDAY, "--now", "11:00", expect=EXIT_ALARM)
    assert "ALARM" in r.stdout and "2026-03-04" in r.stdout


def test_status_deadline_is_configurable(cli):
    env = {"OPSPOR_LISTS_DEADLINE": "09:30"}
    cli("lists", "status", "--day", WEDNESDAY, "--now", "09:29", env=env, expect=0)
    cli("lists", "status", "--day", WEDNESDAY, "--now", "09:30", env=env, expect=EXIT_ALARM)
    r = cli("lists", "status", "--day", WEDNESDAY, env={"OPSPOR_LISTS_DEADLINE": "9.30"}, expect=1)
    assert "OPSPOR_LISTS_DEADLINE" in r.stderr and "HH:MM" in r.stderr


def test_status_with_run_before_and_after_deadline(loaded):
    loaded("lists", "run", "--as-of", WEDNESDAY)
    for now in ("08:00", "11:00", "15:30"):
        r = loaded("lists", "status", "--day", WEDNESDAY, "--now", now, expect=0)
        assert "published" in r.stdout
        assert "2 department list(s)" in r.stdout and "3 patient(s)" in r.stdout


def test_status_run_for_another_day_does_not_count(loaded):
    loaded("lists", "run", "--as-of", "2026-03-03")
    loaded("lists", "status", "--day", WEDNESDAY, "--now", "11:01", expect=EXIT_ALARM)


def test_status_weekend(cli):
    r = cli("lists", "status", "--day", SATURDAY, "--now", "12:00", expect=0)
    assert "No lists are due" in r.stdout
    cli("lists", "status", "--day", "2026-03-08", "--now", "23:00", expect=0)


def test_status_past_weekday_without_now_is_judged_at_its_end(cli):
    cli("lists", "status", "--day", "2020-03-04", expect=EXIT_ALARM)


def test_run_on_old_data_warns(loaded, home):
    r = loaded("lists", "run", "--as-of", "2026-06-01")
    assert "may be out of date" in r.stdout
    (folder,) = runs_dir(home).iterdir()
    record = json.loads((folder / "run.json").read_text())
    assert record["latest_contact_start"] == "2026-03-03T19:00:00"
    assert record["warnings"] and "out of date" in record["warnings"][0]
    s = loaded("lists", "status", "--day", "2026-06-01", "--now", "12:00")
    assert "out of date" in s.stdout


GOOD_FRIDAY = "2026-04-03"  # Langfredag, a Danish public holiday on a weekday


def test_status_public_holiday_is_not_due_unless_configured(cli):
    r = cli("lists", "status", "--day", GOOD_FRIDAY, "--now", "12:00", expect=0)
    assert "Langfredag" in r.stdout and "public holiday" in r.stdout
    cli("lists", "status", "--day", GOOD_FRIDAY, "--now", "12:00",
        env={"OPSPOR_LISTS_HOLIDAYS": "1"}, expect=EXIT_ALARM)
    # 24 December and Grundlovsdag are not public holidays: lists are due.
    cli("lists", "status", "--day", "2026-12-24", "--now", "12:00", expect=EXIT_ALARM)
    cli("lists", "status", "--day", "2026-06-05", "--now", "12:00", expect=EXIT_ALARM)
    r = cli("lists", "status", "--day", GOOD_FRIDAY, env={"OPSPOR_LISTS_HOLIDAYS": "yes"}, expect=1)
    assert "OPSPOR_LISTS_HOLIDAYS" in r.stdout + r.stderr
