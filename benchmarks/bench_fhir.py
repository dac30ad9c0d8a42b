"""Benchmark ``opspor fhir export`` / ``import`` against plain ``json`` parsing of the same files.

    .venv/bin/python benchmarks/bench_fhir.py --persons 20000

Makes a synthetic drop (``opspor.synth``, one year, seed 1), then in this one process:

* export:   ``run_export`` of the drop to NDJSON (build, validate with fhir.resources, write);
* baseline: ``json.loads`` of every line of those NDJSON files (parsing only, nothing checked);
* import:   ``run_import`` of the NDJSON files into a new drop (parse, validate, map, resolve, write);
* the same export and import with ``full_validation`` (every resource through the fhir.resources
  model, the path before the fast one), as the second baseline;

and prints wall and CPU time and resources per second of each. Files go to ``benchmarks/out/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "fhir"


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def show(label: str, n: int, wall: float, cpu: float) -> None:
    print(f"{label:<25} {wall:8.1f} s wall {cpu:8.1f} s CPU {n / cpu:10,.0f} resources/s (CPU)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("OPSPOR_HOME", str(OUT / "home"))
    os.environ.setdefault("OPSPOR_PSEUDONYM_KEY", "benchmark-key")
    from opspor.fhir.contract.export import ExportOptions, run_export
    from opspor.fhir.contract.imports import ImportOptions, run_import
    from opspor.synth import Options, generate

    shutil.rmtree(OUT, ignore_errors=True)
    drop, fhir, back = OUT / "drop", OUT / "ndjson", OUT / "back"
    generate(Options(persons=args.persons, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31), seed=1,
                     out=drop, region="1083", fmt="csv", truth_as_of=(), workers=1), lambda *a: None)
    exported, *export_time = timed(lambda: run_export(drop, fhir))
    n = sum(exported.resources.values())
    print(f"{args.persons:,} persons, {n:,} resources: {dict(exported.resources)}")

    def parse() -> None:
        for path in fhir.iterdir():
            with open(path) as f:
                for line in f:
                    json.loads(line)

    _, *parse_time = timed(parse)
    _, *import_time = timed(lambda: run_import([fhir], back))
    _, *export_full = timed(lambda: run_export(drop, OUT / "ndjson-full", ExportOptions(full_validation=True)))
    _, *import_full = timed(lambda: run_import([fhir], OUT / "back-full", ImportOptions(full_validation=True)))
    show("baseline", n, *parse_time)
    show("export", n, *export_time)
    show("export (full validation)", n, *export_full)
    show("import", n, *import_time)
    show("import (full validation)", n, *import_full)

if __name__ == "__main__":
    main()
