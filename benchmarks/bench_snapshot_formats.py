"""A snapshot's two forms side by side: the day's lists + APS eligibility (``opspor.rules``, the
DuckDB engine) on the ``.duckdb`` file against DuckDB reading the open Parquet copy through views;
the cost of writing the copy; the size of both on disk.

    .venv/bin/python benchmarks/bench_snapshot_formats.py OPSPOR_HOME [--repeat 3]

OPSPOR_HOME holds a store whose current snapshot is measured (e.g. one loaded by
``benchmarks/bench_lists.py`` under ``benchmarks/out/lists-<persons>/home``; a snapshot without
its copy gets one written to a temporary folder). Each timing runs in a fresh child process, the
two forms alternating, ``--repeat`` times; the fastest and the median are printed. The children
check that both forms give the same lines and eligibility rows (exit 1 if not). Nothing printed
holds a CPR number.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORMS = ("duckdb", "parquet")


def child(form: str, snapshot: str, folder: str, identity: str, day: str) -> dict:
    import datetime as dt

    import duckdb

    from opspor.rules import (
        aps_eligibility,
        load_aps_eligibility,
        load_repeated_acute,
        repeated_acute_list,
    )
    from opspor.store import parquet

    rrule, erule = load_repeated_acute(), load_aps_eligibility()
    t0 = time.perf_counter()
    if form == "duckdb":
        con = duckdb.connect(snapshot, read_only=True)
    else:
        con = duckdb.connect()
        files = {e["table"]: Path(folder) / e["file"] for e in parquet.read_manifest(Path(folder))["tables"]}
        files["identity"] = Path(identity)
        for table, path in files.items():
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
    from opspor.engines.duckdb import DuckDBEngine

    con = DuckDBEngine(con, form)
    t1 = time.perf_counter()
    lines = repeated_acute_list(con, dt.date.fromisoformat(day), rrule)
    t2 = time.perf_counter()
    rows = aps_eligibility(con, dt.date.fromisoformat(day), erule)
    t3 = time.perf_counter()
    con.close()
    digest = hashlib.sha256(repr((sorted(map(repr, lines)), sorted(map(repr, rows)))).encode()).hexdigest()
    return {"open_s": t1 - t0, "lists_s": t2 - t1, "eligibility_s": t3 - t2, "total_s": t3 - t0,
            "lines": len(lines), "eligibility": len(rows), "digest": digest}


def _run_child(form: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", form, *args], check=True,
                         capture_output=True, text=True, env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path, nargs="?")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--day", default="2025-12-31", help="run day and as-of date (default: the bench drop's end)")
    parser.add_argument("--child", choices=FORMS)
    parser.add_argument("--paths", nargs=3)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, *args.paths, args.day)))
        return 0

    from opspor.store import SnapshotStore, parquet

    store = SnapshotStore(args.home / "store")
    snapshot_id = store.current()
    snapshot = store.path(snapshot_id)
    with tempfile.TemporaryDirectory(dir=args.home) as tmp:
        t0 = time.perf_counter()
        parquet.write(snapshot, Path(tmp) / "copy", Path(tmp) / "identity.parquet")
        write_s = time.perf_counter() - t0
        if store.has_parquet(snapshot_id):
            folder, identity = store.parquet_dir(snapshot_id), store.identity_parquet(snapshot_id)
        else:
            folder, identity = Path(tmp) / "copy", Path(tmp) / "identity.parquet"
        meta = store.meta(snapshot_id)
        print(f"snapshot {snapshot_id}: {meta['persons_rows']:,} persons, {meta['contacts_rows']:,} contacts")
        print(f"writing the Parquet copy (all tables, identity included): {write_s:.1f} s")
        print(f"on disk: .duckdb {_size(snapshot) / 1e6:,.0f} MB; Parquet {_size(folder) / 1e6:,.0f} MB "
              f"+ identity {_size(identity) / 1e6:,.0f} MB")
        results: dict[str, list[dict]] = {form: [] for form in FORMS}
        for _ in range(args.repeat):
            for form in FORMS:
                results[form].append(_run_child(form, "--paths", str(snapshot), str(folder), str(identity),
                                                "--day", args.day))
    print(f"\nlists + eligibility on {args.day}, {args.repeat} runs each, fresh process per run")
    print(f"{'form':<10}{'open s':>8}{'lists s':>9}{'elig. s':>9}{'total best':>12}{'median':>9}  lines  eligible")
    for form in FORMS:
        runs = results[form]
        best = min(runs, key=lambda r: r["total_s"])
        print(f"{form:<10}{best['open_s']:>8.2f}{best['lists_s']:>9.2f}{best['eligibility_s']:>9.2f}"
              f"{best['total_s']:>12.2f}{statistics.median(r['total_s'] for r in runs):>9.2f}"
              f"  {best['lines']:>5}  {best['eligibility']:>8,}")
    digests = {r["digest"] for form in FORMS for r in results[form]}
    if len(digests) != 1:
        print("MISMATCH: the two forms gave different lines or eligibility rows")
        return 1
    print("same lines and eligibility rows from both forms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
