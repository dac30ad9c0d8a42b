"""``opspor synth`` as a command: files, determinism, formats, region, arguments."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from opspor import reference as ref
from opspor.rules import concepts

from .conftest import run_synth

SMALL = ("--persons", 3000, "--start", "2023-01-01", "--end", "2024-06-30")
FILES = ("persons.csv", "contacts.csv", "truth/ground_truth.csv", "truth/persons_latent.csv", "truth/manifest.json")


def digest(folder: Path, files=FILES) -> dict[str, str]:
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in files}


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, workers in ((a, 1), (b, 1), (c, 2)):
        result = run_synth(*SMALL, "--seed", 11, "--out", out, "--workers", workers, "--chunk-size", 700)
        assert result.exit_code == 0, result.output
    assert digest(a) == digest(b) == digest(c)
    assert "persons" in result.output and "contacts" in result.output  # closing summary


def test_different_seed_different_data(tmp_path):
    for seed in (1, 2):
        assert run_synth(*SMALL, "--seed", seed, "--out", tmp_path / str(seed), "--workers", 1).exit_code == 0
    one, two = digest(tmp_path / "1"), digest(tmp_path / "2")
    for f in ("persons.csv", "contacts.csv", "truth/ground_truth.csv"):
        assert one[f] != two[f]


def test_parquet_holds_the_same_values_as_csv(tmp_path):
    for fmt in ("csv", "parquet"):
        result = run_synth(*SMALL, "--seed", 5, "--out", tmp_path / fmt, "--format", fmt, "--workers", 1)
        assert result.exit_code == 0, result.output
    con = duckdb.connect()
    for name in ("persons", "contacts", "truth/ground_truth"):
        pq_path, csv_path = tmp_path / "parquet" / f"{name}.parquet", tmp_path / "csv" / f"{name}.csv"
        assert pq_path.exists()
        if name.startswith("truth"):
            from_csv = con.execute(
                f"select * from read_csv('{csv_path}', types={{'cpr': 'VARCHAR', 'as_of': 'VARCHAR'}}) order by all"
            ).fetchall()
        else:
            from_csv = con.execute(f"select * from read_csv('{csv_path}', all_varchar=true) order by all").fetchall()
        from_pq = con.execute(f"select * from read_parquet('{pq_path}') order by all").fetchall()
        assert from_csv == from_pq, name
    types = {r[1] for r in con.execute(f"describe select * from read_parquet('{tmp_path}/parquet/contacts.parquet')").fetchall()}
    assert types == {"VARCHAR"}  # the contract's text form, same as CSV


def test_region_restricts_population_and_hospitals(tmp_path):
    out = tmp_path / "sdk"
    result = run_synth(*SMALL, "--seed", 3, "--out", out, "--region", "1083", "--workers", 1)
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    munis = {r[0] for r in con.execute(f"select distinct municipality_code from read_csv('{out}/persons.csv', all_varchar=true)").fetchall()}
    region_munis = {m.code for m in ref.municipalities() if m.region_code == "1083"}
    assert munis <= region_munis and len(munis) > 10
    units = {r[0] for r in con.execute(f"select distinct hospital_unit from read_csv('{out}/contacts.csv', all_varchar=true)").fetchall()}
    assert units <= {u.code for u in ref.hospital_units() if u.region_code == "1083"}
    assert len(units) >= 3  # catchment units and the ~12 % seen at another unit of the region


def test_truth_as_of_override(tmp_path):
    out = tmp_path / "t"
    result = run_synth(*SMALL, "--seed", 3, "--out", out, "--workers", 1,
                       "--truth-as-of", "2024-03-15", "--truth-as-of", "2023-01-01")
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    got = con.execute(f"select as_of::varchar, count(*) from read_csv('{out}/truth/ground_truth.csv') group by 1 order by 1").fetchall()
    assert [g[0] for g in got] == ["2023-01-01", "2024-03-15"]
    assert got[0][1] == 3000  # everybody is alive on the first day


def test_default_truth_dates_are_quarters_from_a_year_in():
    import datetime as dt

    from opspor.synth import default_as_of

    got = default_as_of(dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    assert got[0] == dt.date(2024, 1, 1) and got[-1] == dt.date(2025, 10, 1) and len(got) == 8
    assert default_as_of(dt.date(2023, 2, 10), dt.date(2024, 6, 30)) == (dt.date(2024, 4, 1),)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--region", "9999"), "unknown region"),
        (("--truth-as-of", "2030-01-01"), "outside"),
        (("--format", "xlsx"), "xlsx"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(tmp_path, args, message):
    result = run_synth(*SMALL, "--seed", 1, "--out", tmp_path / "x", *args)
    assert result.exit_code != 0
    assert message in result.output


def test_installed_command(run_opspor, tmp_path):
    """The installed ``opspor`` executable runs the generator end to end."""
    out = tmp_path / "drop"
    proc = run_opspor("synth", "--persons", 500, "--start", "2024-01-01", "--end", "2024-12-31",
                      "--seed", 1, "--out", out, "--format", "parquet", "--workers", 1)
    assert proc.returncode == 0, proc.stderr
    for f in ("persons.parquet", "contacts.parquet", "truth/ground_truth.parquet", "truth/manifest.json"):
        assert (out / f).is_file(), f
    # the summary names the admission as concepts.yaml defines it
    assert concepts.shipped().label("acute_admission", "en") in proc.stdout
