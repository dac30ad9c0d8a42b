"""A garbled ``CURRENT`` (text that is no snapshot id, e.g. after a disk error or a hand edit) is a
lost snapshot like a missing file: the way out is named, a replace load and `snapshots use`
proceed, and nothing says the store has no snapshot when it has."""

from __future__ import annotations

from tests.ingest.ingest_kit import valid_drop


def _garble_current(cli, tmp_path, store) -> str:
    cli.ingest(valid_drop(tmp_path / "one"))
    first = store.current()
    store.current_file.write_text("not-a-snapshot\n")
    return first


def test_a_garbled_current_is_named_with_the_way_out(cli, tmp_path, store):
    first = _garble_current(cli, tmp_path, store)
    output = cli("snapshots", "list", expect=1).output
    assert first in output
    assert "'not-a-snapshot', which is not a snapshot id" in output
    assert "opspor snapshots use ID" in output
    refused = cli.ingest(valid_drop(tmp_path / "two", n_persons=5), expect=1).output  # merge
    assert "no snapshot yet" not in refused and "not-a-snapshot" in refused


def test_a_replace_load_and_snapshots_use_proceed_after_a_garbled_current(cli, tmp_path, store):
    first = _garble_current(cli, tmp_path, store)
    assert f"Snapshot {first} is now current" in cli("snapshots", "use", first).output
    [entry] = store.uses()
    assert (entry["previous"], entry["previous_missing"]) == ("not-a-snapshot", True)
    store.current_file.write_text("garbled again")
    output = cli.ingest(valid_drop(tmp_path / "full", n_persons=6), "--mode", "replace").output
    assert "PUBLISHED" in output
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM persons").fetchall() == [(6,)]
