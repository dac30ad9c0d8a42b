"""Benchmark the health-agreement indicators on a national snapshot, beside a floor.

    .venv/bin/python benchmarks/bench_monitor.py [--snapshot PATH.duckdb] [--period year|month]

Data: the 5.9 M-person snapshot that ``benchmarks/bench_lists.py --persons 5900000`` leaves in
``benchmarks/out/lists-5900000/`` (3 years, 2023-2025, 20.0 M contacts), opened read-only; or any
snapshot file given with ``--snapshot``.

Each measurement runs in a fresh child process (cold Python, warm OS file cache), in this order:

1. floor: the two scans every indicator table needs at least — acute contacts counted by year
   and municipality (joined to persons), and persons counted by municipality and 5-year age band
   for each period (the population cross join) — as plain DuckDB SQL;
2. ``opspor.monitor.indicators.compute`` for every indicator version, by municipality and region,
   crude and age-standardised figures with their intervals, without and with suppression.

Prints wall time, CPU time and peak RSS of each child, and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
DEFAULT = OUT / "lists-5900000" / "home" / "store" / "snapshots"

CHILD = r"""
import json, resource, sys, time
import duckdb
path, what, period = sys.argv[1], sys.argv[2], sys.argv[3]
t0, c0 = time.perf_counter(), time.process_time()
con = duckdb.connect(path, read_only=True)
info = {}
if what == "floor":
    periods = "(VALUES (DATE '2023-01-01'), (DATE '2024-01-01'), (DATE '2025-01-01'))" if period == "year" else \
        "(SELECT CAST(range AS DATE) FROM range(DATE '2023-01-01', DATE '2026-01-01', INTERVAL 1 MONTH))"
    a = con.execute('SELECT year(c."start"), p.municipality_code, count(*) FROM contacts c JOIN persons p '
                    "USING (person_key) WHERE c.priority = 'acute' GROUP BY ALL").fetchall()
    b = con.execute(f"SELECT d0, p.municipality_code, least(floor(date_diff('year', p.birth_date, d0) / 5), 19), "
                    f"count(*) FROM {periods} t(d0) CROSS JOIN persons p WHERE p.birth_date <= d0 AND "
                    "(p.death_date IS NULL OR p.death_date >= d0) GROUP BY ALL").fetchall()
    info["rows"] = len(a) + len(b)
else:
    from opspor.monitor.indicators import compute
    table = compute(con, by=("municipality", "region"), period=period, outside_region=(what == "suppressed"))
    info["rows"] = len(table.rows)
    info["versions"] = len({(r.indicator_id, r.indicator_version) for r in table.rows})
    info["suppressed"] = sum(r.suppressed for r in table.rows)
info["wall"] = time.perf_counter() - t0
info["cpu"] = time.process_time() - c0
info["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(info))
"""


def run(path: Path, what: str, period: str) -> dict:
    p = subprocess.run([sys.executable, "-c", CHILD, str(path), what, period], check=True, capture_output=True,
                       text=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--snapshot", type=Path, help="a snapshot .duckdb file")
    ap.add_argument("--period", choices=("year", "month"), default="year")
    args = ap.parse_args()
    path = args.snapshot
    if path is None:
        files = sorted(DEFAULT.glob("*.duckdb")) if DEFAULT.exists() else []
        if not files:
            print(f"no snapshot in {DEFAULT}: run `.venv/bin/python benchmarks/bench_lists.py --persons 5900000` "
                  "first, or give --snapshot", file=sys.stderr)
            return 1
        path = files[-1]
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        persons, contacts = (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("persons", "contacts"))
    print(f"snapshot {path.name}: {persons:,} persons, {contacts:,} contacts; period {args.period}", flush=True)
    t0 = time.perf_counter()
    results = {what: run(path, what, args.period) for what in ("floor", "indicators", "suppressed")}
    floor = results["floor"]["wall"]
    print(f"{'':<34}{'wall':>9}{'CPU':>9}{'peak RSS':>11}{'rows':>9}{'× floor':>9}")
    for what, label in (("floor", "floor: 2 scans in plain SQL"), ("indicators", "compute (inside the region)"),
                        ("suppressed", "compute (outside: suppressed)")):
        r = results[what]
        print(f"{label:<34}{r['wall']:>8.1f}s{r['cpu']:>8.1f}s{r['rss_mib']:>8.0f} MiB{r['rows']:>9,}"
              f"{r['wall'] / floor:>9.1f}")
    print(f"indicator versions: {results['indicators'].get('versions')}; suppressed cells: "
          f"{results['suppressed'].get('suppressed'):,}; total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
