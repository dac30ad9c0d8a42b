"""Every published snapshot's open Parquet copy, through ``opspor ingest`` and ``opspor snapshots``:
its manifest, pyarrow reading back the DuckDB tables, the identity table apart, atomicity,
idempotence, verification and the copy of an older snapshot."""

from __future__ import annotations

import json
import shutil
import stat

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opspor.store import NoParquet, schema
from opspor.store.parquet import FORMAT_VERSION, MANIFEST, arrow_schema
from tests.ingest.ingest_kit import cpr_of, kill_load_at, valid_drop


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _files(folder) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_published_snapshot_has_a_parquet_copy_that_pyarrow_reads_back_equal(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    cli.ingest(valid_drop(tmp_path / "two", n_persons=4))  # a merge: two loads in _loads
    snapshot = store.current()
    folder = store.parquet_dir(snapshot)
    assert folder == store.root / "parquet" / snapshot
    assert _files(folder) == {"persons.parquet", "contacts.parquet", "meta.parquet", "loads.parquet", MANIFEST}
    manifest = json.loads((folder / MANIFEST).read_text())
    assert (manifest["format_version"], manifest["snapshot_id"]) == (FORMAT_VERSION, snapshot)
    assert manifest["parent_id"] == store.list()[0].snapshot_id
    assert manifest["created_at"] == store.meta()["created_at"].isoformat() + "Z"
    tables = store.parquet_tables(snapshot)
    assert set(tables) == {"persons", "contacts", "_meta", "_loads"}
    with store.connect() as con:
        for entry in manifest["tables"]:
            table, path = entry["table"], tables[entry["table"]]
            read_back = pq.read_table(path)  # pyarrow alone
            expected = con.sql(f"SELECT * FROM {table}").to_arrow_table().cast(arrow_schema(table))
            assert read_back.schema == arrow_schema(table)
            assert read_back.equals(expected), table
            assert entry["rows"] == read_back.num_rows == con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            assert [(c["name"], c["type"]) for c in entry["columns"]] == list(schema.TABLES[table])
            assert _mode(path) == 0o400
    assert pq.read_table(tables["contacts"]).schema.field("start").type == pa.timestamp("us")  # no zone
    assert (pq.read_table(tables["persons"]).num_rows, pq.read_table(tables["_loads"]).num_rows) == (4, 2)
    assert _mode(folder) == 0o500 and _mode(folder / MANIFEST) == 0o400


def test_the_identity_table_is_written_apart_for_its_owner_only(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    identity = store.identity_parquet()
    assert identity == store.root / "identity" / f"{store.current()}.parquet"
    assert (_mode(identity.parent), _mode(identity)) == (0o700, 0o400)
    assert sorted(pq.read_table(identity).column("cpr").to_pylist()) == sorted(cpr_of(i) for i in range(3))
    folder = store.parquet_dir()
    for path in folder.iterdir():  # no CPR number, no name in the open folder
        data = path.read_bytes()
        assert not any(cpr_of(i).encode() in data for i in range(3)) and b"Testperson" not in data, path
    assert "identity" not in {entry["table"] for entry in json.loads((folder / MANIFEST).read_text())["tables"]}


def test_loading_the_same_drop_again_publishes_no_new_copy(cli, tmp_path, store):
    drop = valid_drop(tmp_path / "one")
    cli.ingest(drop)
    before = (_files(store.root / "parquet"), _files(store.root / "identity"))
    assert "nothing changed" in cli.ingest(drop).output
    assert (_files(store.root / "parquet"), _files(store.root / "identity")) == before


def test_a_refused_load_leaves_no_copy_and_current_unchanged(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    before = (store.current(), _files(store.root / "parquet"), _files(store.root / "identity"))
    bad = valid_drop(tmp_path / "bad", n_persons=4)
    (bad / "persons.csv").write_text((bad / "persons.csv").read_text().replace("1940-01-0", "1940-13-0"))
    assert "REFUSED" in cli.ingest(bad, expect=1).output
    assert (store.current(), _files(store.root / "parquet"), _files(store.root / "identity")) == before


def test_a_load_failing_while_placing_its_copy_leaves_nothing_placed(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    before = (store.current(), store.ids(), _files(store.root / "identity"))
    folder = store.root / "parquet"
    folder.chmod(0o700)
    shutil.move(folder, tmp_path / "parquet.saved")
    folder.write_text("not a folder\n")  # a real failure: the copy cannot be renamed into place
    output = cli.ingest(valid_drop(tmp_path / "two", n_persons=5), expect=1).output
    assert "FAILED: the load failed" in output and "Nothing was published" in output
    assert (store.current(), store.ids(), _files(store.root / "identity")) == before  # identity rolled back
    assert not list(store.staging_dir.iterdir())


def test_a_load_killed_after_placing_its_copy_changes_nothing_and_the_next_load_removes_it(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    before = store.current()
    kill_load_at(valid_drop(tmp_path / "two", n_persons=5), "place_parquet", run_step=True,
                 check=lambda: len(list(store.parquet_root.iterdir())) == 2)
    assert store.current() == before and store.ids() == [before]
    assert len(_files(store.root / "parquet")) == 2  # the killed load's copy, of no snapshot
    cli.ingest(valid_drop(tmp_path / "three", n_persons=6))
    assert _files(store.root / "parquet") == set(store.ids())
    assert _files(store.root / "identity") == {f"{i}.parquet" for i in store.ids()}


def test_verify_accepts_an_intact_copy_and_names_a_changed_file(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    snapshot = store.current()
    assert "matches its manifest" in cli("snapshots", "verify", snapshot).output
    persons = store.parquet_dir() / "persons.parquet"
    other = pa.table({"person_key": ["x"]})
    persons.chmod(0o600)
    pq.write_table(other, persons)
    output = cli("snapshots", "verify", expect=1).output
    assert f"{persons} holds 1 rows, the manifest says 3" in output
    assert f"{persons} has changed" in output and f"{persons} has mode 0600, not 0400" in output
    assert f"opspor snapshots parquet {snapshot}" in output
    contacts = store.parquet_dir() / "contacts.parquet"
    contacts.chmod(0o600)
    contacts.write_bytes(contacts.read_bytes()[:100])  # cut short
    output = cli("snapshots", "verify", expect=1).output
    assert f"{contacts} is not a readable Parquet file" in output and f"{contacts} has changed" in output


def test_verify_names_a_file_the_manifest_does_not_know_and_a_garbled_manifest(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    folder = store.parquet_dir()
    folder.chmod(0o700)
    shutil.copy(store.identity_parquet(), folder / "identity.parquet")
    output = cli("snapshots", "verify", expect=1).output
    assert f"{folder / 'identity.parquet'} is not named in" in output and "has mode 0700, not 0500" in output
    manifest = folder / MANIFEST
    manifest.chmod(0o600)
    manifest.write_text(json.dumps({"format": "opspor-snapshot-parquet", "tables": [{"table": "persons"}]}))
    assert f"{manifest} is not an opspor snapshot manifest" in cli("snapshots", "verify", expect=1).output


def test_an_older_snapshot_gets_its_copy_from_its_duckdb_file(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    snapshot = store.current()
    with store.connect() as con:
        expected = {t: con.sql(f"SELECT * FROM {t}").to_arrow_table() for t in ("persons", "contacts", "identity")}
    store._remove_copy(snapshot)  # as a store made before this version
    assert "│ no " in cli("snapshots", "list").output
    assert f"none: write it with `opspor snapshots parquet {snapshot}`" in cli("snapshots", "show").output
    with pytest.raises(NoParquet, match=f"opspor snapshots parquet {snapshot}"):
        store.parquet_dir(snapshot)
    assert "has no Parquet copy" in cli("snapshots", "verify", snapshot, expect=1).output
    assert str(store.root / "parquet" / snapshot) in cli("snapshots", "parquet", snapshot).output
    assert "│ yes " in cli("snapshots", "list").output
    assert str(store.root / "parquet" / snapshot) in cli("snapshots", "show", snapshot).output
    assert "matches its manifest" in cli("snapshots", "verify", snapshot).output
    tables = store.parquet_tables(snapshot)
    for table in ("persons", "contacts"):
        assert pq.read_table(tables[table]).equals(expected[table].cast(arrow_schema(table)))
    assert pq.read_table(store.identity_parquet(snapshot)).equals(expected["identity"].cast(arrow_schema("identity")))
    assert "already has its Parquet copy" in cli("snapshots", "parquet", snapshot, expect=1).output
    assert store.current() == snapshot and store.ids() == [snapshot]


def test_pruning_a_snapshot_removes_its_copy(cli, tmp_path, store):
    for n in range(2):
        cli.ingest(valid_drop(tmp_path / f"d{n}", n_persons=3 + n))
    cli("snapshots", "prune", "--keep", "1")
    assert _files(store.root / "parquet") == {store.current()}
    assert _files(store.root / "identity") == {f"{store.current()}.parquet"}


def test_duckdb_reads_the_copy_as_it_reads_the_snapshot(cli, tmp_path, store):
    cli.ingest(valid_drop(tmp_path / "one"))
    tables = store.parquet_tables()
    with duckdb.connect() as con, store.connect() as snap:
        sql = "SELECT person_key, count(*), max(\"end\") FROM contacts GROUP BY ALL ORDER BY 1"
        con.execute(f"CREATE VIEW contacts AS SELECT * FROM read_parquet('{tables['contacts']}')")
        assert con.execute(sql).fetchall() == snap.execute(sql).fetchall()
