"""Load benchmark of the web app: 50 concurrent users on the demo data, with and without the
audit entries of reads, in the same run.

    .venv/bin/python benchmarks/bench_web.py [--persons 100000] [--users 50] [--duration 60]

1. data: `opspor demo --no-serve` (synthetic Region Syddanmark, 3 years, lists run and
   published) under ``benchmarks/out/web-<persons>/`` (kept and reused), then
   ``benchmarks/web/prepare.py``: 50 specialists over the 10 departments with the most listed
   patients and 25 support nurses with 30 active cases each (a telephone session planned today,
   every third overdue), made with the app's own actions;
2. for each mode — *audited* (the default: every read writes one audit row per person shown)
   and *unaudited* (OPSPOR_AUDIT_READS=0, benchmark only) — start `opspor web serve`
   (gunicorn, SQLite in WAL mode) on loopback, run Locust headless (``benchmarks/web/locustfile.py``:
   half specialists opening today's list, half nurses opening their day view, 1-2 s between
   requests), stats reset once all users are logged in (log-ins are CPU-heavy by design and
   are not what is measured); the run lasts the log-ins plus ``--duration`` seconds;
3. print requests, failures, p50 and p95 per page and mode, and the audit rows written.

Target: p95 under 200 ms for both pages. Locust runs on the same 2-core machine as the server.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
SECRET = "bench-web-secret-key-not-for-production-0123456789abcdefghijkl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(home: Path, **extra: str) -> dict:
    return {**os.environ, "OPSPOR_HOME": str(home), "OPSPOR_SECRET_KEY": SECRET, "OPSPOR_HTTPS": "0",
            "OPSPOR_PSEUDONYM_KEY": "bench-web-pseudonym-key", "OPSPOR_LOG_LEVEL": "WARNING", **extra}


def prepare(persons: int) -> Path:
    home = OUT / f"web-{persons}"
    if (home / "prepared.json").exists():
        return home
    home.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    subprocess.run([BIN / "opspor", "demo", "--persons", str(persons), "--no-serve"], env=env_for(home),
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, HERE / "web" / "prepare.py", home / "users.json"], env=env_for(home), check=True)
    (home / "prepared.json").write_text(json.dumps({"persons": persons, "seconds": time.perf_counter() - t}))
    return home


def audit_rows(home: Path) -> int:
    with sqlite3.connect(home / "opspor.sqlite3") as con:
        return con.execute("SELECT count(*) FROM audit_auditentry").fetchone()[0]


def run_mode(home: Path, mode: str, users: int, duration: int, workers: int, threads: int) -> dict:
    extra = {} if mode == "audited" else {"OPSPOR_AUDIT_READS": "0", "OPSPOR_ALLOW_UNAUDITED_READS": "1"}
    port = free_port()
    server = subprocess.Popen([BIN / "opspor", "web", "serve", "--port", str(port), "--workers", str(workers),
                               "--threads", str(threads)], env=env_for(home, **extra),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        before = audit_rows(home)
        prefix = OUT / f"web-{mode}"
        login_allowance = users * 2  # seconds: 10^6 PBKDF2 rounds per log-in on a busy 2-core machine
        subprocess.run([BIN / "locust", "-f", HERE / "web" / "locustfile.py", "--headless", "-u", str(users),
                        "-r", "10", "-t", f"{duration + login_allowance}s", "--host", url, "--csv", prefix,
                        "--only-summary", "--loglevel", "WARNING"],
                       env={**os.environ, "OPSPOR_BENCH_USERS": str(home / "users.json"),
                            "OPSPOR_BENCH_TOTAL_USERS": str(users)}, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        written = audit_rows(home) - before
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
    rows = {r["Name"]: r for r in csv.DictReader(open(f"{prefix}_stats.csv"))}
    pages = {}
    for name in ("worklist", "nurse day"):
        r = rows.get(name, {})
        pages[name] = {"requests": int(r.get("Request Count", 0)), "failures": int(r.get("Failure Count", 0)),
                       "p50_ms": float(r.get("50%", "nan")), "p95_ms": float(r.get("95%", "nan")),
                       "rps": float(r.get("Requests/s", 0))}
    return {"mode": mode, "pages": pages, "audit_rows_written": written}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=int, default=60, help="seconds of measurement per mode")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    home = prepare(args.persons)
    results = [run_mode(home, mode, args.users, args.duration, args.workers, args.threads)
               for mode in ("audited", "unaudited")]
    print(f"\nWeb load: {args.users} concurrent users, {args.duration} s per mode, demo data of "
          f"{args.persons:,} persons, gunicorn {args.workers} workers x {args.threads} threads, SQLite (WAL)")
    print(f"{'mode':<11} {'page':<10} {'requests':>9} {'failures':>9} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7}")
    ok = True
    for r in results:
        for name, p in r["pages"].items():
            print(f"{r['mode']:<11} {name:<10} {p['requests']:>9} {p['failures']:>9} {p['p50_ms']:>8.0f} "
                  f"{p['p95_ms']:>8.0f} {p['rps']:>7.1f}")
            ok &= p["requests"] > 0 and p["failures"] == 0
        print(f"{r['mode']:<11} audit rows written during the run: {r['audit_rows_written']:,}")
    target = all(p["p95_ms"] < 200 for r in results for p in r["pages"].values())
    print(f"target p95 < 200 ms: {'met' if target else 'NOT met'}")
    (OUT / "web-results.json").write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
