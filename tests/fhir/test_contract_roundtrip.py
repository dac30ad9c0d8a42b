"""Synthetic drop -> ``opspor fhir export`` (NDJSON, Bundles) -> ``opspor fhir import`` -> the same
drop, which ``opspor ingest`` loads with no rejects. All through the real command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fhir.resources.R4B.bundle import Bundle

from tests.support import assert_no_cpr

pytestmark = pytest.mark.slow
OPSPOR = str(Path(sys.executable).with_name("opspor"))


def _rows(folder, name: str) -> list[tuple]:
    """A drop file's rows as text, in a fixed order (CSV or Parquet alike)."""
    con = duckdb.connect()
    path = next(folder.glob(f"{name}.*"))
    source = (f"read_csv('{path}', all_varchar = true, header = true)" if path.suffix == ".csv"
              else f"read_parquet('{path}')")
    return con.execute(f"SELECT * FROM {source} ORDER BY ALL").fetchall()


def _columns(folder, name: str) -> list[str]:
    con = duckdb.connect()
    path = next(folder.glob(f"{name}.*"))
    source = f"read_csv('{path}', all_varchar = true)" if path.suffix == ".csv" else f"read_parquet('{path}')"
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    env = {**os.environ, "OPSPOR_HOME": str(folder / "home"), "OPSPOR_PSEUDONYM_KEY": "k"}
    done = subprocess.run(
        [OPSPOR, "synth", "--persons", "700", "--start", "2025-01-01", "--end", "2025-12-31", "--seed", "4",
         "--region", "1083", "--out", str(folder / "drop"), "--workers", "1"],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return folder / "drop"


@pytest.fixture(scope="module")
def typed_parquet(synthetic, tmp_path_factory):
    """The synthetic drop as Parquet with typed columns (DATE, TIMESTAMP, BIGINT), as a warehouse
    might write it; ingest and export read them in the contract's text forms."""
    folder = tmp_path_factory.mktemp("typed") / "drop"
    folder.mkdir()
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * REPLACE (CAST(birth_date AS DATE) AS birth_date, CAST(death_date AS DATE) AS death_date)
                  FROM read_csv('{synthetic / "persons.csv"}', all_varchar = true))
                  TO '{folder / "persons.parquet"}' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT * REPLACE (CAST(start AS TIMESTAMP) AS start, CAST("end" AS TIMESTAMP) AS "end",
                                        CAST(drg_value AS BIGINT) AS drg_value)
                  FROM read_csv('{synthetic / "contacts.csv"}', all_varchar = true))
                  TO '{folder / "contacts.parquet"}' (FORMAT parquet)""")
    return folder


@pytest.mark.parametrize(("fmt", "extra", "drop_format"), [
    ("ndjson", [], "csv"),
    ("bundle", ["--bundle-type", "transaction", "--per-file", "300"], "parquet"),
])
def test_round_trip(run_opspor, opspor_home, tmp_path, synthetic, typed_parquet, fmt, extra, drop_format):
    """NDJSON from the CSV drop back to CSV; Bundles from the typed Parquet drop back to Parquet."""
    fhir_dir, back = tmp_path / "fhir", tmp_path / "back"
    source = synthetic if drop_format == "csv" else typed_parquet
    done = run_opspor("fhir", "export", source, fhir_dir, "--format", fmt, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    files = sorted(p.name for p in fhir_dir.iterdir())
    if fmt == "ndjson":
        assert files == ["Condition.ndjson", "Encounter.ndjson", "Patient.ndjson", "Procedure.ndjson"]
    else:
        assert len(files) > 3 and all(re.fullmatch(r"bundle-\d{5}\.json", f) for f in files)
        bundle = Bundle.model_validate_json((fhir_dir / files[1]).read_text())  # the envelope is valid FHIR
        assert bundle.type == "transaction" and 300 <= len(bundle.entry) < 320
        assert all(e.request.method == "PUT" and e.fullUrl.startswith("urn:uuid:") for e in bundle.entry)
    # No CPR number outside Patient.identifier: not in ids, references or file names.
    text = "".join(p.read_text() for p in fhir_dir.iterdir())
    cprs = {r[0] for r in _rows(synthetic, "persons")}
    text = re.sub(r'"urn:oid:1\.2\.208\.176\.1\.2","value":"\d{10}"', "", text)
    assert cprs.isdisjoint(re.findall(r"(?<!\d)\d{10}(?!\d)", text))
    assert text.count('"Patient"') == len(cprs)

    done = run_opspor("fhir", "import", fhir_dir, back, "--format", drop_format)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_no_cpr(done.stdout, done.stderr)
    assert sorted(p.name for p in back.iterdir()) == [f"contacts.{drop_format}", f"persons.{drop_format}"]
    for name in ("persons", "contacts"):
        assert _columns(back, name) == _columns(synthetic, name)  # the contract's columns, in its order
        original, returned = _rows(synthetic, name), _rows(back, name)
        assert len(original) > 300
        assert returned == original

    # What the round trip covers: deaths, ongoing contacts, secondary diagnoses, procedures, pathways.
    contacts = _rows(synthetic, "contacts")
    assert any(r[9] is None for r in contacts) and any(r[11] for r in contacts) and any(r[12] for r in contacts)
    assert any(r[14] for r in contacts) and any(r[7] for r in _rows(synthetic, "persons"))

    loaded = run_opspor("ingest", back)
    assert loaded.returncode == 0, loaded.stdout
    report = json.loads(max(opspor_home.glob("loads/*/report.json")).read_text())
    assert report["decision"] == "published"
    assert {f["file"]: (f["rows_loaded"], f["rows_rejected"]) for f in report["files"]} == {
        f"persons.{drop_format}": (len(_rows(synthetic, "persons")), 0),
        f"contacts.{drop_format}": (len(_rows(synthetic, "contacts")), 0),
    }

