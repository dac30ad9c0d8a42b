"""`opspor synth` writes the drop's manifest.json: rows and SHA-256 per drop file, as
docs/loading-a-real-extract.md describes it, so `opspor ingest` can verify the drop."""

from __future__ import annotations

import hashlib
import json


def test_the_drop_carries_a_manifest_of_its_files(drop):
    data = json.loads((drop.path / "manifest.json").read_text())
    assert data["opspor_drop_manifest"] == 1
    assert set(data["files"]) == {"persons.csv", "contacts.csv"}
    for name, rows in (("persons.csv", drop.persons), ("contacts.csv", drop.contacts)):
        entry = data["files"][name]
        assert entry["rows"] == len(rows)
        assert entry["sha256"] == hashlib.sha256((drop.path / name).read_bytes()).hexdigest()
