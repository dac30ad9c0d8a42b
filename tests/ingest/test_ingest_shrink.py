"""No silent loss on replace: a drop may carry a manifest.json (rows and SHA-256 per file) that
the load verifies; without one, a replace that shrinks a table by more than the limit (default
10 %) is refused unless --allow-shrink; the report always shows the rows before and after."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.ingest.ingest_kit import last_report, valid_drop

N_PERSONS, PER_PERSON = 10, 2  # 10 persons, 20 contacts


def _full(tmp_path, name="full"):
    return valid_drop(tmp_path / name, n_persons=N_PERSONS, contacts_per_person=PER_PERSON)


def _keep_lines(path, n):
    """Cut the file at a line boundary after ``n`` lines (header included)."""
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:n]))


def _manifest(drop, rows: dict[str, int] | None = None, **changes):
    """manifest.json as docs/loading-a-real-extract.md describes it, written from the files."""
    files = {}
    for name in ("persons.csv", "contacts.csv"):
        data = (drop / name).read_bytes()
        files[name] = {"rows": (rows or {}).get(name, data.count(b"\n") - 1),
                       "sha256": hashlib.sha256(data).hexdigest()}
    (drop / "manifest.json").write_text(json.dumps({"opspor_drop_manifest": 1, "files": files, **changes}))
    return drop


def _tables():
    return {t["table"]: (t["before"], t["after"]) for t in last_report()["tables"]}


def test_a_header_only_contacts_file_does_not_empty_the_store(cli, tmp_path, store):
    cli.ingest(_full(tmp_path))
    before = store.current()
    drop = _full(tmp_path, "cut")
    _keep_lines(drop / "contacts.csv", 1)
    output = cli.ingest(drop, "--mode", "replace", expect=1).output
    assert "REFUSED: contacts would shrink from 20 to 0 rows (-100.0%) against the current snapshot, " \
           "more than the limit of 10.0%" in output
    assert "--allow-shrink" in output and "manifest.json" in output
    assert "-20 (-100.0%)" in output  # the rows table
    assert store.current() == before
    assert _tables() == {"persons": (10, 10), "contacts": (20, 0)}
    assert not list(store.staging_dir.iterdir())
    cli.ingest(drop, "--mode", "replace", "--allow-shrink")
    assert store.meta()["contacts_rows"] == 0


def test_a_file_cut_at_a_line_boundary_is_refused_on_replace(cli, tmp_path, store):
    cli.ingest(_full(tmp_path))
    drop = _full(tmp_path, "cut")
    _keep_lines(drop / "contacts.csv", 15)  # 14 of 20 contacts
    output = cli.ingest(drop, "--mode", "replace", expect=1).output
    assert "contacts would shrink from 20 to 14 rows (-30.0%)" in output
    assert store.meta()["contacts_rows"] == 20


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_shrink_limit_is_a_setting_and_exactly_the_limit_is_accepted(cli, tmp_path, store, monkeypatch, how):
    cli.ingest(_full(tmp_path))
    drop = _full(tmp_path, "cut")
    _keep_lines(drop / "contacts.csv", 15)  # -30 %
    cli.ingest(drop, "--mode", "replace", expect=1)  # the default limit: 10 %
    args = ("--max-shrink-share", "0.3") if how == "option" else ()
    if how == "environment":
        monkeypatch.setenv("OPSPOR_MAX_SHRINK_SHARE", "0.3")
    cli.ingest(drop, "--mode", "replace", *args)
    assert store.meta()["contacts_rows"] == 14


def test_a_small_shrink_and_merge_loads_pass_and_the_report_shows_the_rows(cli, tmp_path, store):
    cli.ingest(_full(tmp_path))
    assert _tables() == {"persons": (None, 10), "contacts": (None, 20)}
    drop = _full(tmp_path, "cut")
    _keep_lines(drop / "contacts.csv", 19)  # -10 %: at the limit
    output = cli.ingest(drop, "--mode", "replace").output
    assert "PUBLISHED" in output and "-2 (-10.0%)" in output
    assert _tables() == {"persons": (10, 10), "contacts": (20, 18)}
    one = valid_drop(tmp_path / "one", n_persons=1, contacts_per_person=1)
    cli.ingest(one)  # merge: nothing is removed
    assert _tables() == {"persons": (10, 10), "contacts": (18, 18)}


def test_a_verified_manifest_lets_a_replace_shrink(cli, tmp_path, store):
    cli.ingest(_full(tmp_path))
    drop = _manifest(valid_drop(tmp_path / "small", n_persons=2, contacts_per_person=1))
    output = cli.ingest(drop, "--mode", "replace").output
    assert "manifest.json: every file's rows and SHA-256 match" in output and "PUBLISHED" in output
    assert "ignored" not in output
    assert last_report()["manifest"] == "verified"
    assert _tables() == {"persons": (10, 2), "contacts": (20, 2)}


def test_a_file_that_differs_from_the_manifest_is_refused_naming_it(cli, tmp_path, store):
    drop = _manifest(_full(tmp_path))
    _keep_lines(drop / "contacts.csv", 15)  # cut in transit, after the manifest was written
    output = cli.ingest(drop, expect=1).output  # even on a first load, even in merge mode
    assert "contacts.csv: its SHA-256 is" in output and "manifest.json says" in output
    assert "(cut short, changed or replaced)" in output and "persons.csv: its SHA" not in output
    assert store.current() is None


def test_a_row_count_that_differs_from_the_manifest_is_refused(cli, tmp_path, store):
    drop = _manifest(_full(tmp_path), rows={"contacts.csv": 21})
    output = cli.ingest(drop, expect=1).output
    assert "contacts.csv: holds 20 data rows, manifest.json says 21" in output
    assert store.current() is None


def test_a_manifest_must_list_exactly_the_drop_files(cli, tmp_path):
    drop = _manifest(_full(tmp_path))
    data = json.loads((drop / "manifest.json").read_text())
    data["files"]["contacts.parquet"] = data["files"].pop("contacts.csv")
    (drop / "manifest.json").write_text(json.dumps(data))
    output = cli.ingest(drop, expect=1).output
    assert "contacts.parquet: is listed in manifest.json but not in the drop" in output
    assert "contacts.csv: is in the drop but not listed in manifest.json" in output


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ('{"files": {}}', 'not an opspor drop manifest: "opspor_drop_manifest": 1 is missing'),
    ('{"opspor_drop_manifest": 1, "files": {"persons.csv": {"rows": -1, "sha256": "x"}}}',
     'files["persons.csv"] must be {"rows": a whole number >= 0, "sha256": 64 hex digits}'),
])
def test_a_malformed_manifest_is_refused_with_what_is_wrong(cli, tmp_path, text, message):
    drop = _full(tmp_path)
    (drop / "manifest.json").write_text(text)
    output = cli.ingest(drop, expect=1).output
    assert message in output and "manifest.json" in output
