"""Drops refused whole: missing files or columns, too many rejects, a foreign pseudonym key."""

from __future__ import annotations

import pytest

from opspor.contract import PERSONS
from tests.ingest.ingest_kit import contact, last_report, person, valid_drop
from tests.support import write_drop


def test_a_drop_missing_a_required_column_is_refused_naming_file_columns_and_fix(cli, tmp_path, store):
    columns = [c.name for c in PERSONS.columns if c.name not in ("sex", "municipality_code")]
    drop = write_drop(tmp_path / "drop", [person(0)], [contact(0)], person_columns=columns)
    result = cli.ingest(drop, expect=1)
    assert "persons.csv line 1 (header)" in result.output
    assert "missing required column(s): sex, municipality_code" in result.output
    assert "columns found: cpr, name, birth_date, gp_provider_number" in result.output
    assert "fix: add the missing column(s)" in result.output
    assert "REFUSED" in result.output and store.current() is None
    [problem] = last_report()["problems"]
    assert problem["place"] == "persons.csv line 1 (header)"


def test_a_wrongly_cased_column_name_gets_a_rename_hint(cli, tmp_path):
    columns = ["CPR" if c.name == "cpr" else c.name for c in PERSONS.columns]
    rows = [person(0) | {"CPR": person(0)["cpr"]}]
    drop = write_drop(tmp_path / "drop", rows, [contact(0)], person_columns=columns)
    assert "rename 'CPR' to 'cpr'" in cli.ingest(drop, expect=1).output


def test_a_missing_file_and_two_formats_of_one_file_are_refused(cli, tmp_path):
    drop = valid_drop(tmp_path / "drop")
    (drop / "contacts.csv").rename(drop / "Contacts.csv")
    output = cli.ingest(drop, expect=1).output
    assert "contacts.csv or contacts.parquet is missing (found Contacts.csv: names are lower case)" in output
    (drop / "Contacts.csv").rename(drop / "contacts.csv")
    (drop / "persons.parquet").write_bytes(b"")
    output = cli.ingest(drop, expect=1).output
    assert "both persons.csv and persons.parquet are present" in output


def test_other_files_and_unknown_columns_are_ignored_with_a_note(cli, tmp_path, store):
    persons = [person(i) | {"shoe_size": "42"} for i in range(3)]
    columns = [c.name for c in PERSONS.columns] + ["shoe_size"]
    drop = write_drop(tmp_path / "drop", persons, [contact(0)], person_columns=columns)
    (drop / "truth").mkdir()
    (drop / "truth" / "answers.csv").write_text("x\n")
    (drop / "README.txt").write_text("hello\n")
    output = cli.ingest(drop).output
    assert "ignored (not part of the data contract): README.txt, truth/" in output
    assert "persons.csv: ignored unknown column(s): shoe_size" in output
    assert store.current() is not None


def _drop_with_bad_contacts(folder, n_contacts, n_bad):
    contacts = [contact(i, drg_value="-1" if i < n_bad else "0") for i in range(n_contacts)]
    return write_drop(folder, [person(0)], contacts)


def test_a_reject_share_equal_to_the_limit_is_accepted(cli, tmp_path, store):
    drop = _drop_with_bad_contacts(tmp_path / "drop", 100, 1)
    output = cli.ingest(drop).output
    assert "PUBLISHED" in output
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM contacts").fetchall() == [(99,)]


def test_a_reject_share_just_over_the_limit_refuses_the_drop(cli, tmp_path, store):
    valid = cli.ingest(valid_drop(tmp_path / "first"))
    before = store.current()
    drop = _drop_with_bad_contacts(tmp_path / "drop", 99, 1)
    output = cli.ingest(drop, expect=1).output
    assert "contacts.csv: 1.01% of rows rejected (1 of 99), more than the limit of 1.00%" in output
    assert f"snapshot {before} stays current, untouched" in output
    assert store.current() == before and len(store.list()) == 1
    assert last_report()["decision"] == "refused" and valid.exit_code == 0


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_reject_limit_can_be_set(cli, tmp_path, store, monkeypatch, how):
    drop = _drop_with_bad_contacts(tmp_path / "drop", 10, 2)
    cli.ingest(drop, expect=1)
    if how == "option":
        cli.ingest(drop, "--max-reject-share", "0.2")
    else:
        monkeypatch.setenv("OPSPOR_MAX_REJECT_SHARE", "0.2")
        cli.ingest(drop)
    assert store.current() is not None


def test_a_drop_without_rows_is_refused(cli, tmp_path, store):
    drop = write_drop(tmp_path / "drop", [], [])
    assert "the drop holds no rows to load" in cli.ingest(drop, expect=1).output
    assert store.current() is None


def test_an_empty_file_is_refused_with_its_name(cli, tmp_path):
    drop = valid_drop(tmp_path / "drop")
    (drop / "contacts.csv").write_bytes(b"")
    assert "contacts.csv line 1: the header row is missing" in cli.ingest(drop, expect=1).output


def test_a_store_made_with_another_pseudonym_key_refuses_the_drop(cli, tmp_path, store, monkeypatch):
    cli.ingest(valid_drop(tmp_path / "drop"))
    monkeypatch.setenv("OPSPOR_PSEUDONYM_KEY", "another-key-entirely")
    output = cli.ingest(valid_drop(tmp_path / "other", n_persons=4), expect=1).output
    assert "is not the key of this store's snapshots" in output
    assert len(store.list()) == 1


def test_without_a_key_in_the_environment_a_key_file_is_made_once(cli, tmp_path, opspor_home, monkeypatch, store):
    monkeypatch.delenv("OPSPOR_PSEUDONYM_KEY")
    cli.ingest(valid_drop(tmp_path / "drop"))
    key_file = opspor_home / "pseudonym.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text()
    cli.ingest(valid_drop(tmp_path / "drop2", n_persons=4))
    assert key_file.read_text() == key and len(store.list()) == 2
    monkeypatch.setenv("OPSPOR_PSEUDONYM_KEY", key.strip())  # the file's text is the key
    cli.ingest(valid_drop(tmp_path / "drop3", n_persons=5))


def test_a_missing_folder_is_a_usage_error(cli, tmp_path):
    result = cli.ingest(tmp_path / "nowhere", expect=2)
    assert "does not exist" in result.output
