"""The snapshot store through ``opspor ingest``: contents, merge/replace, idempotence, atomicity."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from opspor import cpr
from opspor.ingest import load
from opspor.store import schema
from opspor.store.snapshots import Staging
from tests.ingest.ingest_kit import contact, cpr_of, kill_load_at, last_report, person, valid_drop
from tests.support import write_drop

KEY = b"test-pseudonym-key"  # tests/conftest.py


def _rows(store, sql):
    with store.connect() as con:
        return con.execute(sql).fetchall()


def test_a_published_snapshot_holds_the_drop_in_the_snapshot_schema(cli, tmp_path, store):
    drop = write_drop(
        tmp_path / "drop",
        [person(0, cpr=cpr_of(0)[:6] + "-" + cpr_of(0)[6:]), person(1, death_date="2025-01-01")],
        [contact(0, 0, hospital_unit="SHV", end=""), contact(1, 1, secondary_diagnoses="", procedures="")],
    )
    cli.ingest(drop)
    snapshot = store.current()
    assert store.path(snapshot).stat().st_mode & 0o222 == 0  # read-only
    with store.connect() as con:
        for table, columns in schema.TABLES.items():
            described = con.execute(f"DESCRIBE {table}").fetchall()
            assert [(r[0], r[1]) for r in described] == list(columns)
        identity = con.execute("SELECT person_key, cpr, name FROM identity ORDER BY name").fetchall()
        assert identity == [
            (cpr.pseudonym(cpr_of(0), KEY), cpr_of(0), "Testperson0 Hansen"),  # stored without the dash
            (cpr.pseudonym(cpr_of(1), KEY), cpr_of(1), "Testperson1 Hansen"),
        ]
        assert con.execute("SELECT region_code, CAST(death_date AS VARCHAR) FROM persons ORDER BY birth_date"
                           ).fetchall() == [("1083", None), ("1083", "2025-01-01")]
        contacts = con.execute(
            "SELECT contact_id, hospital_unit, CAST(\"end\" AS VARCHAR), secondary_diagnoses, procedures, "
            "drg_value FROM contacts ORDER BY contact_id").fetchall()
        assert contacts == [
            ("K0", "RHN", None, ["DI10", "DE119"], ["AAF6", "KJFB20"], 1234.5),  # alias SHV -> RHN
            ("K1", "OUH", "2026-03-03 10:00:00", None, None, 1234.5),
        ]
        [meta] = con.execute("SELECT snapshot_id, parent_id, identity_rows, persons_rows, contacts_rows "
                             "FROM _meta").fetchall()
        assert meta == (snapshot, None, 2, 2, 2)
        assert con.execute("SELECT count(*) FROM _loads").fetchall() == [(1,)]
    with pytest.raises(duckdb.Error):  # read-only
        with store.connect() as con:
            con.execute("DELETE FROM contacts")


def test_no_table_but_identity_holds_a_cpr_number_or_a_name(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "drop"))
    secrets = {cpr_of(i) for i in range(3)} | {f"Testperson{i} Hansen" for i in range(3)}
    with store.connect() as con:
        for table in ("persons", "contacts", "_meta", "_loads"):
            values = {str(v) for row in con.execute(f"SELECT * FROM {table}").fetchall() for v in row}
            assert not values & secrets, table


def test_loading_the_same_drop_again_changes_nothing(cli, tmp_path, store):
    drop = valid_drop(tmp_path / "drop")
    cli.ingest(drop)
    first = store.current()
    output = cli.ingest(drop).output
    assert f"already loaded in snapshot {first} — nothing changed" in output
    assert store.current() == first and len(store.list()) == 1
    assert last_report()["decision"] == "unchanged"
    cli.ingest(drop, "--force")
    assert store.current() != first and len(store.loads()) == 2


def test_a_repeated_contact_id_in_a_later_drop_replaces_the_earlier_row(cli, tmp_path, store):
    cli.ingest(write_drop(tmp_path / "one", [person(0), person(1)], [contact(0, 0), contact(1, 1)]))
    cli.ingest(write_drop(tmp_path / "two", [person(2)], [contact(1, 1, priority="planned"), contact(2, 2)]))
    assert _rows(store, "SELECT contact_id, priority FROM contacts ORDER BY contact_id") == [
        ("K0", "acute"), ("K1", "planned"), ("K2", "acute")]
    assert _rows(store, "SELECT count(*) FROM persons") == [(3,)]  # person 1 from the first drop
    assert [load["mode"] for load in store.loads()] == ["merge", "merge"]
    assert store.meta()["parent_id"] == store.list()[0].snapshot_id


def test_a_person_row_in_a_later_drop_replaces_the_earlier_one(cli, tmp_path, store):
    cli.ingest(write_drop(tmp_path / "one", [person(0)], [contact(0, 0)]))
    cli.ingest(write_drop(tmp_path / "two", [person(0, municipality_code="101")], []))
    assert _rows(store, "SELECT municipality_code, region_code FROM persons") == [("101", "1084")]


def test_replace_mode_keeps_only_the_new_drop(cli, tmp_path, store):
    cli.ingest(write_drop(tmp_path / "one", [person(0), person(1)], [contact(0, 0), contact(1, 1)]))
    # half the rows: a shrink the operator must allow (test_ingest_shrink.py)
    cli.ingest(write_drop(tmp_path / "two", [person(2)], [contact(2, 2)]), "--mode", "replace", "--allow-shrink")
    assert _rows(store, "SELECT contact_id FROM contacts") == [("K2",)]
    assert _rows(store, "SELECT cpr FROM identity") == [(cpr_of(2),)]
    assert [load["mode"] for load in store.loads()] == ["merge", "replace"]  # history is kept


def test_in_merge_mode_a_contact_may_refer_to_a_person_of_the_previous_snapshot(cli, tmp_path, store):
    cli.ingest(write_drop(tmp_path / "one", [person(0)], [contact(0, 0)]))
    later = write_drop(tmp_path / "two", [person(1)], [contact(1, 0)])
    cli.ingest(later)
    assert _rows(store, "SELECT count(*) FROM contacts") == [(2,)]
    output = cli.ingest(later, "--mode", "replace", expect=1).output  # person 0 is not in this drop
    assert "no person with this CPR number in persons.csv" in output or "unknown_person" in output


def test_idempotence_after_a_replace_looks_at_what_the_snapshot_is_made_of(cli, tmp_path, store):
    a = write_drop(tmp_path / "a", [person(0)], [contact(0, 0)])
    b = write_drop(tmp_path / "b", [person(1)], [contact(1, 1)])
    cli.ingest(a)
    cli.ingest(b, "--mode", "replace")
    assert "PUBLISHED" in cli.ingest(a).output  # a's rows are gone since the replace
    assert "nothing changed" in cli.ingest(a).output
    # now a and b: b alone differs (and has half the rows: a shrink the operator allows)
    assert "PUBLISHED" in cli.ingest(b, "--mode", "replace", "--allow-shrink").output


def test_snapshots_list_and_show(cli, tmp_path, store):
    assert "No snapshots yet" in cli("snapshots", "list").output
    cli.ingest(valid_drop(tmp_path / "one"))
    cli.ingest(valid_drop(tmp_path / "two", n_persons=4))
    first, second = (s.snapshot_id for s in store.list())
    listing = cli("snapshots", "list").output
    assert first in listing and second in listing
    assert [line for line in listing.splitlines() if "│ * " in line][0].split()[3] == second
    shown = cli("snapshots", "show", first).output
    assert "pseudonym_key_fingerprint" in shown and "current" in shown
    assert str(tmp_path / "one") in cli("snapshots", "show").output
    assert "is not a snapshot id" in cli("snapshots", "show", "nonsense", expect=1).output


def _publish_raising(self):
    assert self.path.exists()  # the whole snapshot was written under its staging name
    raise OSError("disk full (simulated)")


def test_a_load_failing_at_publication_leaves_the_previous_snapshot_current(cli, tmp_path, store, monkeypatch):
    cli.ingest(valid_drop(tmp_path / "one"))
    before = store.current()
    monkeypatch.setattr(Staging, "publish", _publish_raising)
    output = cli.ingest(valid_drop(tmp_path / "two", n_persons=5), expect=1).output
    assert "FAILED: the load failed: OSError: disk full (simulated)" in output
    assert store.current() == before and len(store.list()) == 1
    assert not list(store.staging_dir.iterdir())  # the staged file is removed
    assert _rows(store, "SELECT count(*) FROM persons") == [(3,)]


def test_a_load_killed_before_publication_leaves_the_previous_snapshot_current(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    before = store.current()
    kill_load_at(valid_drop(tmp_path / "two", n_persons=5), "publish", run_step=False,
                 check=lambda: list(store.staging_dir.glob("*.duckdb")))
    assert store.current() == before
    assert _rows(store, "SELECT count(*) FROM persons") == [(3,)]
    cli.ingest(valid_drop(tmp_path / "three", n_persons=6))  # cleans the leftovers
    assert [p.name for p in store.staging_dir.iterdir()] == []
    assert len(store.list()) == 2


def test_a_second_load_while_one_is_running_is_refused(cli, tmp_path, store):
    with store.begin("20260101T000000Z-00000000"):
        output = cli.ingest(valid_drop(tmp_path / "one"), expect=1).output
    assert "another load is writing to" in output and store.current() is None


def test_a_reader_keeps_its_snapshot_while_a_new_one_is_published(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    with store.connect() as old:
        cli.ingest(valid_drop(tmp_path / "two", n_persons=5), "--mode", "replace")
        assert old.execute("SELECT count(*) FROM persons").fetchall() == [(3,)]
    assert _rows(store, "SELECT count(*) FROM persons") == [(5,)]


def test_the_load_records_its_history(cli, tmp_path, store):
    drop = valid_drop(tmp_path / "drop")
    cli.ingest(drop)
    [entry] = store.loads()
    report = last_report()
    assert entry["load_id"] == report["load_id"] == entry["snapshot_id"]
    assert entry["drop_path"] == str(Path(drop).resolve()) and entry["drop_sha256"] == report["content_sha256"]
    assert (entry["persons_read"], entry["persons_loaded"], entry["contacts_loaded"]) == (3, 3, 6)


def test_run_load_is_the_library_entry_point(tmp_path, opspor_home, store):
    report = load.run_load(valid_drop(tmp_path / "drop"), load.LoadOptions(mode="replace"))
    assert report.decision == "published" and store.current() == report.snapshot_id


def test_old_snapshots_can_be_pruned_but_never_the_current_one(cli, tmp_path, store):
    for n in range(3):
        cli.ingest(valid_drop(tmp_path / f"d{n}", n_persons=3 + n))
    ids = [s.snapshot_id for s in store.list()]
    assert f"Deleted 2 snapshot(s): {ids[0]}, {ids[1]}" in cli("snapshots", "prune", "--keep", "1").output
    assert [s.snapshot_id for s in store.list()] == [ids[2]] == [store.current()]
    assert "Deleted 0 snapshot(s)." in cli("snapshots", "prune", "--keep", "1").output
