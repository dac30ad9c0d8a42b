"""Files in a drop that are symbolic links or not regular files are refused unread: no byte of a
file outside the drop reaches the console or the report."""

from __future__ import annotations

import os

from tests.ingest.ingest_kit import last_load_dir, valid_drop

SECRET = "root:x:0:0:secret-first-line:/root:/bin/bash"


def test_a_symbolic_link_in_a_drop_is_refused_without_reading_its_target(cli, tmp_path, store):
    drop = valid_drop(tmp_path / "drop")
    outside = tmp_path / "outside.csv"
    outside.write_text(SECRET + "\n")
    (drop / "contacts.csv").unlink()
    (drop / "contacts.csv").symlink_to(outside)
    output = cli.ingest(drop, expect=1).output
    assert "contacts.csv: is a symbolic link; opspor reads only regular files inside the drop folder" in output
    assert "fix: put the file itself into the drop folder" in output
    reports = (last_load_dir() / "report.txt").read_text() + (last_load_dir() / "report.json").read_text()
    for text in (output, reports):
        assert "secret-first-line" not in text and "root:x" not in text
    assert store.current() is None


def test_a_link_to_etc_passwd_is_not_echoed(cli, tmp_path):
    drop = valid_drop(tmp_path / "drop")
    (drop / "persons.csv").unlink()
    (drop / "persons.csv").symlink_to("/etc/passwd")
    output = cli.ingest(drop, expect=1).output
    assert "persons.csv: is a symbolic link" in output and "root:" not in output


def test_a_pipe_named_like_a_drop_file_is_refused(cli, tmp_path):
    drop = valid_drop(tmp_path / "drop")
    (drop / "persons.csv").unlink()
    os.mkfifo(drop / "persons.csv")  # reading it would block the load for ever
    output = cli.ingest(drop, expect=1).output
    assert "persons.csv: is not a regular file (a folder, a pipe or a device)" in output


def test_a_manifest_that_is_a_symbolic_link_is_refused(cli, tmp_path):
    drop = valid_drop(tmp_path / "drop")
    outside = tmp_path / "outside.json"
    outside.write_text('{"secret-first-line": 1}')
    (drop / "manifest.json").symlink_to(outside)
    output = cli.ingest(drop, expect=1).output
    assert "manifest.json: is a symbolic link" in output and "secret-first-line" not in output
