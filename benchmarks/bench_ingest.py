"""Benchmark ``opspor ingest`` against DuckDB's plain ``read_csv`` of the same files.

    .venv/bin/python benchmarks/bench_ingest.py --persons 1000000

Makes a valid drop of N persons with about 5 contacts each (with DuckDB, not the synth
package), then runs, each in its own process so that peak memory is measured separately:

* baseline: DuckDB reads both CSV files into tables, types sniffed, no validation;
* ingest:   ``opspor.ingest.load.run_load`` into an empty store (read, validate, pseudonymise,
            write and publish the snapshot, write the report).

and prints wall time and peak resident memory side by side. Files go to ``benchmarks/out/``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from opspor import reference

OUT = Path(__file__).resolve().parent / "out"


def make_drop(folder: Path, persons: int, contacts_per_person: int) -> None:
    """Valid CSV files: unique CPR numbers matching birth_date, known codes, end after start."""
    folder.mkdir(parents=True, exist_ok=True)
    municipalities = [m.code for m in reference.municipalities()]
    units = sorted(reference.hospital_unit_codes())
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
            SELECT strftime(b, '%d%m%y') || CASE WHEN year(b) < 2000 THEN '0' ELSE '4' END
                       || lpad(CAST(i // 30000 AS VARCHAR), 3, '0') AS cpr,
                   'Person ' || i AS name,
                   strftime(b, '%Y-%m-%d') AS birth_date,
                   CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END AS sex,
                   {municipalities}[i % {len(municipalities)} + 1] AS municipality_code,
                   lpad(CAST(i % 3000 AS VARCHAR), 6, '0') AS gp_provider_number,
                   CASE WHEN i % 20 = 0 THEN 'nursing_home' ELSE 'own_home' END AS residence_type,
                   NULL AS death_date
            FROM (SELECT range AS i, DATE '1930-01-01' + CAST(range % 30000 AS INTEGER) AS b
                  FROM range({persons}))
        ) TO '{folder / "persons.csv"}' (HEADER)
        """
    )
    con.execute(
        f"""
        COPY (
            SELECT 'K' || j AS contact_id,
                   strftime(b, '%d%m%y') || CASE WHEN year(b) < 2000 THEN '0' ELSE '4' END
                       || lpad(CAST(i // 30000 AS VARCHAR), 3, '0') AS cpr,
                   {units}[j % {len(units)} + 1] AS hospital_unit,
                   'MED' || (j % 7) AS course_department,
                   'MED' || (j % 5) AS contact_department,
                   ['medicine', 'geriatrics', 'surgery', 'acute_medicine'][j % 4 + 1] AS specialty,
                   CASE WHEN j % 3 = 0 THEN 'planned' ELSE 'acute' END AS priority,
                   CASE WHEN j % 9 = 0 THEN 'telephone' ELSE 'physical' END AS contact_type,
                   strftime(s, '%Y-%m-%dT%H:%M:%S') AS start,
                   CASE WHEN j % 50 = 0 THEN NULL
                        ELSE strftime(s + INTERVAL (j % 96) HOUR, '%Y-%m-%dT%H:%M:%S') END AS "end",
                   ['DJ441', 'DI500', 'DE119', 'DS720', 'DR069'][j % 5 + 1] AS action_diagnosis,
                   CASE WHEN j % 4 = 0 THEN 'DI109;DE119' END AS secondary_diagnoses,
                   CASE WHEN j % 6 = 0 THEN 'AAF6;KJFB20' END AS procedures,
                   CASE WHEN j % 10 = 0 THEN NULL ELSE round((j % 5000) * 7.25, 2) END AS drg_value,
                   CASE WHEN j % 40 = 0 THEN 'cancer' END AS pathway
            FROM (SELECT range AS j, range // {contacts_per_person} AS i,
                         DATE '1930-01-01' + CAST((range // {contacts_per_person}) % 30000 AS INTEGER) AS b,
                         TIMESTAMP '2023-01-01' + to_minutes((range * 7919) % (3 * 365 * 24 * 60)) AS s
                  FROM range({persons * contacts_per_person}))
        ) TO '{folder / "contacts.csv"}' (HEADER)
        """
    )
    con.close()


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run a child process; (wall seconds, CPU seconds, peak RSS in MiB, its output)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        sys.exit(f"{args[-1]} failed ({child.returncode}):\n{output}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


BASELINE = """
import duckdb, sys
con = duckdb.connect()
for name in ("persons", "contacts"):
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{sys.argv[1]}/{name}.csv')")
print(con.execute("SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM contacts)").fetchall())
"""

INGEST = """
import sys
from pathlib import Path
from opspor.ingest.load import run_load
report = run_load(Path(sys.argv[1]))
print(report.decision, [(f.file, f.rows_read, f.rows_loaded, f.rows_rejected) for f in report.files])
assert report.decision == "published", report.reason
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--contacts-per-person", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the drop and the store in benchmarks/out/")
    args = parser.parse_args()

    drop = OUT / f"drop-{args.persons}"
    home = OUT / f"home-{args.persons}"
    shutil.rmtree(home, ignore_errors=True)
    if not (drop / "contacts.csv").exists():
        print(f"making a drop of {args.persons:,} persons ...", flush=True)
        make_drop(drop, args.persons, args.contacts_per_person)
    sizes = {p.name: p.stat().st_size / 2**20 for p in drop.glob("*.csv")}
    env = {**os.environ, "OPSPOR_HOME": str(home), "OPSPOR_PSEUDONYM_KEY": "benchmark-key-0123456789"}

    load = os.getloadavg()
    baseline = run_measured([sys.executable, "-c", BASELINE, str(drop)], env)
    ingest = run_measured([sys.executable, "-c", INGEST, str(drop)], env)

    print(f"\ndrop: {args.persons:,} persons, {args.persons * args.contacts_per_person:,} contacts "
          f"({', '.join(f'{n} {mb:,.0f} MiB' for n, mb in sorted(sizes.items()))}); "
          f"{os.cpu_count()} CPUs; DuckDB {duckdb.__version__}")
    print(f"load average before the runs: {load[0]:.1f} (other processes share the CPUs)")
    print(f"{'':<44}{'wall (s)':>10}{'CPU (s)':>10}{'peak RSS (MiB)':>16}")
    for name, (wall, cpu, rss, _) in (("baseline: DuckDB read_csv, no validation", baseline),
                                      ("opspor ingest (validate + publish snapshot)", ingest)):
        print(f"{name:<44}{wall:>10.1f}{cpu:>10.1f}{rss:>16,.0f}")
    ratios = (ingest[i] / baseline[i] for i in range(3))
    print(f"{'ratio':<44}" + "".join(f"{r:>{w}.1f}" for r, w in zip(ratios, (10, 10, 16))))
    print(ingest[3].strip())
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
