"""A lost snapshot (CURRENT names a file that is gone) blocks nothing for good: the snapshots are
listed with the way out, `opspor snapshots use ID` makes another one current (kept in CURRENT.log),
a replace load proceeds, and refusals say what the store holds."""

from __future__ import annotations

import getpass

from tests.ingest.ingest_kit import last_report, valid_drop


def _lose_current(cli, tmp_path, store) -> tuple[str, str]:
    cli.ingest(valid_drop(tmp_path / "one"))
    first = store.current()
    cli.ingest(valid_drop(tmp_path / "two", n_persons=5))
    lost = store.current()
    store.path(lost).unlink()
    return first, lost


def test_the_snapshots_are_listed_with_the_way_out(cli, tmp_path, store):
    first, lost = _lose_current(cli, tmp_path, store)
    output = cli("snapshots", "list", expect=1).output
    assert first in output
    assert f"names snapshot {lost}, whose file" in output and "is missing" in output
    assert "opspor snapshots use ID" in output and "--mode replace" in output


def test_snapshots_use_makes_another_snapshot_current_and_is_kept_in_the_history(cli, tmp_path, store):
    first, lost = _lose_current(cli, tmp_path, store)
    output = cli("snapshots", "use", first).output
    assert f"Snapshot {first} is now current (was {lost})." in output
    assert store.current() == first
    [entry] = store.uses()
    assert (entry["snapshot_id"], entry["previous"], entry["previous_missing"], entry["user"]) == (
        first, lost, True, getpass.getuser())
    shown = cli("snapshots", "show").output
    assert "use" in shown and f"made current by {getpass.getuser()}" in shown and lost in shown
    assert "*" in cli("snapshots", "list").output
    cli.ingest(valid_drop(tmp_path / "three", n_persons=4))  # merge loads work again
    assert store.meta()["parent_id"] == first


def test_snapshots_use_refuses_an_unknown_snapshot(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    before = store.current()
    output = cli("snapshots", "use", "20200101T000000Z-00000000", expect=1).output
    assert "no snapshot 20200101T000000Z-00000000" in output and "opspor snapshots list" in output
    assert store.current() == before and store.uses() == []


def test_a_replace_load_proceeds_when_the_current_snapshot_is_lost(cli, tmp_path, store):
    first, lost = _lose_current(cli, tmp_path, store)
    output = cli.ingest(valid_drop(tmp_path / "full", n_persons=6), "--mode", "replace").output
    assert "PUBLISHED" in output and f"in place of the lost snapshot {lost}" in output
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM persons").fetchall() == [(6,)]
    assert store.current() == last_report()["snapshot_id"]


def test_a_merge_load_on_a_lost_snapshot_is_refused_naming_it(cli, tmp_path, store):
    first, lost = _lose_current(cli, tmp_path, store)
    output = cli.ingest(valid_drop(tmp_path / "more", n_persons=6), expect=1).output
    assert f"names snapshot {lost}, whose file" in output and "opspor snapshots use ID" in output
    assert f"CURRENT still names the lost snapshot {lost}; the other snapshots are untouched." in output
    assert "no snapshot yet" not in output
    assert last_report()["lost_snapshot"] == lost


def test_a_load_refused_because_another_runs_names_the_current_snapshot(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    current = store.current()
    with store.begin("20260101T000000Z-00000000"):
        output = cli.ingest(valid_drop(tmp_path / "two"), expect=1).output
    assert "another load is writing to" in output
    assert f"snapshot {current} stays current, untouched." in output and "no snapshot yet" not in output
