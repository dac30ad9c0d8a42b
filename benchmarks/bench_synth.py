"""Benchmark ``opspor synth`` against the pure write floor, in one run.

    .venv/bin/python benchmarks/bench_synth.py --persons 1000000 [--format parquet] [--years 3] [--workers 2]

1. generator: runs ``opspor synth`` (the package's ``generate``) in a child process and samples
   the resident memory of that process and its workers (sum and largest) every 0.2 s;
2. baseline: writes the same number of rows per file with the same writers, from a trivial
   table (the first 1,000 generated rows of each file repeated): pyarrow formatting and disk I/O
   alone, the floor any generator of these files pays.

Prints wall time, peak RSS and rows written for both, side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FILES = ("persons", "contacts", "truth/ground_truth", "truth/persons_latent")
PAGE = os.sysconf("SC_PAGE_SIZE")


TICKS = os.sysconf("SC_CLK_TCK")


def _tree_rss(root: int, cpu: dict[int, float] | None = None) -> tuple[int, int]:
    """(sum, largest) resident bytes of ``root`` and its descendants; records their CPU seconds."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as f:
                rss[int(entry)] = int(f.read().split()[1]) * PAGE
            ticks[int(entry)] = int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total = largest = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        largest = max(largest, rss.get(pid, 0))
        if cpu is not None and pid in ticks:
            cpu[pid] = max(cpu.get(pid, 0.0), ticks[pid] / TICKS)
        stack.extend(children.get(pid, []))
    return total, largest


def run_generator(args: argparse.Namespace, out: Path) -> dict:
    start = dt.date(2023, 1, 1)
    end = dt.date(start.year + args.years, 1, 1) - dt.timedelta(days=1)
    code = (
        "import datetime as dt, json, sys\n"
        "from pathlib import Path\n"
        "from opspor.synth import Options, generate\n"
        f"s = generate(Options(persons={args.persons}, start=dt.date.fromisoformat('{start}'), "
        f"end=dt.date.fromisoformat('{end}'), seed={args.seed}, out=Path(r'{out}'), fmt='{args.format}', "
        f"workers={args.workers}))\n"
        "print(json.dumps({'files': s.files, 'acute_admissions': s.acute_admissions, 'deaths': s.deaths}))\n"
    )
    import resource

    peak = {"sum": 0, "largest": 0}
    tree_cpu: dict[int, float] = {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, largest = _tree_rss(proc.pid, tree_cpu)
            peak["sum"] = max(peak["sum"], total)
            peak["largest"] = max(peak["largest"], largest)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"generator failed with exit code {proc.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # worker processes (forkserver) are not all reaped into our rusage: take the larger of the
    # rusage figure and the per-process CPU seen by the sampler
    cpu = max((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), sum(tree_cpu.values()))
    result = json.loads(stdout.strip().splitlines()[-1])
    rows = {Path(k).relative_to(out).as_posix().rsplit(".", 1)[0]: v for k, v in result["files"].items()}
    return {"seconds": seconds, "cpu": cpu, "rows": rows, "peak_sum": peak["sum"], "peak_largest": peak["largest"], **result}


def _sample(path: Path, fmt: str) -> pa.Table:
    """The first 1,000 rows of a generated file, with the generator's column types."""
    if fmt == "parquet":
        return pq.ParquetFile(path).read_row_group(0).slice(0, 1000)
    with open(path, encoding="utf-8") as f:
        names = f.readline().rstrip("\n").split(",")
    floats = {"frailty", "p_admission_6m", "p_admission_12m"}
    types = {n: (pa.float64() if n in floats else pa.string()) for n in names}
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=1 << 20),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    return pa.Table.from_batches([reader.read_next_batch()]).slice(0, 1000)


def run_baseline(fmt: str, source: Path, rows: dict[str, int], target: Path) -> dict:
    """Write the same rows per file from a repeated 1,000-row sample: the I/O floor."""
    import resource

    (target / "truth").mkdir(parents=True, exist_ok=True)
    blocks = {}
    for name in FILES:
        sample = _sample(source / f"{name}.{fmt}", fmt)
        blocks[name] = pa.concat_tables([sample] * max(1, 100_000 // max(1, sample.num_rows))).combine_chunks()
    t0 = time.perf_counter()
    c0 = time.process_time()
    for name in FILES:
        block, n = blocks[name], rows[name]
        out = target / f"{name}.{fmt}"
        if fmt == "csv":
            f = open(out, "wb")
            f.write((",".join(block.schema.names) + "\n").encode())
            opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
            writer = pacsv.CSVWriter(f, block.schema, write_options=opts)
        else:
            f = None
            writer = pq.ParquetWriter(out, block.schema, compression="zstd")
        written = 0
        while written < n:
            part = block.slice(0, min(block.num_rows, n - written))
            writer.write_table(part)
            written += part.num_rows
        writer.close()
        if f is not None:
            f.close()
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "cpu": cpu, "rows": rows, "peak_sum": peak, "peak_largest": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="Work folder (default: a temporary folder, removed).")
    parser.add_argument("--keep", action="store_true", help="Keep the generated files.")
    args = parser.parse_args()
    tmp = None
    if args.dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_synth_")
        base = Path(tmp.name)
    else:
        base = args.dir
    try:
        print(f"opspor synth: {args.persons:,} persons, {args.years} years, {args.format}, "
              f"{args.workers} worker(s), {os.cpu_count()} CPU(s)", flush=True)
        load0 = os.getloadavg()[0]
        gen = run_generator(args, base / "drop")
        size = sum(f.stat().st_size for f in (base / "drop").rglob("*") if f.is_file())
        base_res = run_baseline(args.format, base / "drop", gen["rows"], base / "floor")
        total_rows = sum(gen["rows"].values())
        print()
        print(f"{'':34}{'wall s':>9}{'CPU s':>9}{'peak RSS sum':>15}{'largest proc':>15}{'rows':>14}{'rows/s':>12}")
        for label, r in (("generator (opspor synth)", gen), ("baseline: write same rows (floor)", base_res)):
            print(
                f"{label:34}{r['seconds']:>9.1f}{r['cpu']:>9.1f}{r['peak_sum'] / 2**20:>12.0f} MB"
                f"{r['peak_largest'] / 2**20:>12.0f} MB{total_rows:>14,}{total_rows / r['seconds']:>12,.0f}"
            )
        print()
        for name, n in gen["rows"].items():
            print(f"  {name:24}{n:>14,} rows")
        print(f"  output size {size / 2**30:.2f} GiB; acute admissions {gen['acute_admissions']:,}; deaths {gen['deaths']:,}")
        print(f"  generator / floor: {gen['seconds'] / base_res['seconds']:.1f}x wall, {gen['cpu'] / base_res['cpu']:.1f}x CPU")
        print(f"  machine load average (1 min) before / after: {load0:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if args.keep:
            print(f"  files kept in {base}")
    finally:
        if tmp is not None and not args.keep:
            tmp.cleanup()


if __name__ == "__main__":
    main()
