"""Load benchmark of the web app: a region's users at work (50 or 200 at once), on SQLite or
PostgreSQL, with and without the audit entries of reads, in the same run.

    .venv/bin/python benchmarks/bench_web.py [--db sqlite|postgresql] [--users 50,200]
        [--duration 60] [--workers 2] [--threads 1] [--modes audited,unaudited] [--persons 100000]

1. data: `opspor demo --no-serve` (synthetic Region Syddanmark, 3 years, lists run and
   published) under ``benchmarks/out/web-<persons>/`` (SQLite: kept and reused) or into a
   throwaway PostgreSQL cluster (``scripts/pg.sh``: made for the run, then deleted), then
   ``benchmarks/web/prepare.py users``: 50 specialists over the 10 departments with the most
   listed patients, 25 support nurses with 30 active cases each (a telephone session planned
   today, every third overdue), 3 programme leads, 20 municipality and GP-practice users, made
   with the app's own actions;
2. for each number of users and each mode — *audited* (the default: every read writes one audit
   row per person shown) and *unaudited* (OPSPOR_AUDIT_READS=0, benchmark only) — start
   `opspor web serve` (gunicorn) on loopback, log the simulated users in beforehand
   (``prepare.py sessions``; log-ins are CPU-heavy by design and are not what is measured) and
   run Locust headless (``benchmarks/web/locustfile.py``: specialists, nurses, municipal users and
   leads on their pages, 1-2 s between requests) for ``--duration`` seconds after the last user
   started;
3. print requests, failures, p50 and p95 per page, the CPU seconds taken by the server and by
   Locust, and the audit rows written.

Target (issue 19): p95 under 100 ms on every page at 200 users. Locust runs on the same 2-core
machine as the server: its CPU share is printed beside the server's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
SECRET = "bench-web-secret-key-not-for-production-0123456789abcdefghijkl"
PAGES = ("worklist", "worklist table", "nurse day", "nurse week", "caseload search", "case", "inbox", "ranking")
TARGET_MS = 100
# Each kind's pages opened before the measurement, so that no worker compiles its templates or
# reads the risk scores for the first time while it is measured (the locustfile's pages).
WARM_UP = {"specialists": ["/lister/", "/lister/?view=table&filter=new"],
           "nurses": ["/aps/min-dag/", "/aps/min-uge/", "/aps/forloeb/?q=a&sort=-name"],
           "municipal": ["/meddelelser/indbakke/"], "leads": ["/aps/program/"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(home: Path, db: dict, **extra: str) -> dict:
    return {**os.environ, **db, "OPSPOR_HOME": str(home), "OPSPOR_SECRET_KEY": SECRET, "OPSPOR_HTTPS": "0",
            "OPSPOR_PSEUDONYM_KEY": "bench-web-pseudonym-key", "OPSPOR_LOG_LEVEL": "WARNING", **extra}


def start_postgres() -> dict:
    """A throwaway cluster (scripts/pg.sh, in a temporary directory the server's user can reach)
    for this run; its settings as environment variables."""
    text = subprocess.run(["bash", ROOT / "scripts" / "pg.sh", "start"], check=True,
                          capture_output=True, text=True).stdout
    return dict(line.removeprefix("export ").replace("'", "").split("=", 1) for line in text.splitlines()
                if line.startswith("export "))


def prepare(persons: int, db: dict) -> Path:
    """The demo data and the benchmark's users; SQLite's are kept between runs."""
    home = OUT / f"web-{persons}-{db.get('OPSPOR_DB', 'sqlite')}"
    marker = home / "prepared.json"
    if db or not marker.exists():
        home.mkdir(parents=True, exist_ok=True)
        os.chmod(home, 0o700)
        t = time.perf_counter()
        subprocess.run([BIN / "opspor", "demo", "--persons", str(persons), "--no-serve"], env=env_for(home, db),
                       check=True, stdout=subprocess.DEVNULL)
        marker.write_text(json.dumps({"persons": persons, "seconds": time.perf_counter() - t}))
        marker.chmod(0o600)
    else:  # a kept home: bring its database to this version's schema
        subprocess.run([BIN / "opspor", "manage", "migrate", "--noinput"], env=env_for(home, db), check=True,
                       stdout=subprocess.DEVNULL)
    # accounts are made idempotently: a home prepared by an older version gets the new kinds
    subprocess.run([sys.executable, HERE / "web" / "prepare.py", "users", home / "users.json"],
                   env=env_for(home, db), check=True)
    return home


def audit_rows(home: Path, db: dict) -> int:
    code = "from opspor.web.audit.models import AuditEntry; print(AuditEntry.objects.count())"
    out = subprocess.run([BIN / "opspor", "manage", "shell", "-c", code], env=env_for(home, db), check=True,
                         capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1])


def warm_up(url: str, sessions: Path, rounds: int) -> None:
    """Open each kind's pages ``rounds`` times at once, with that kind's sessions."""
    from concurrent.futures import ThreadPoolExecutor

    keys = json.loads(sessions.read_text())

    def get(kind: str, page: str, i: int) -> None:
        request = urllib.request.Request(url + page, headers={"Cookie": f"sessionid={keys[kind][i % len(keys[kind])]}"})
        urllib.request.urlopen(request, timeout=120).read()

    with ThreadPoolExecutor(rounds) as pool:
        jobs = [pool.submit(get, kind, page, i) for kind, pages in WARM_UP.items() if keys.get(kind)
                for page in pages for i in range(rounds)]
        for job in jobs:
            job.result()


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its living children (the server's workers)."""
    import psutil

    root = psutil.Process(pid)
    return sum(t.user + t.system for t in (p.cpu_times() for p in [root, *root.children(recursive=True)]))


def run_mode(home: Path, db: dict, mode: str, users: int, args) -> dict:
    extra = {} if mode == "audited" else {"OPSPOR_AUDIT_READS": "0", "OPSPOR_ALLOW_UNAUDITED_READS": "1"}
    env = env_for(home, db, **extra)
    sessions = home / f"sessions-{users}.json"
    subprocess.run([sys.executable, HERE / "web" / "prepare.py", "sessions", home / "users.json", str(users),
                    sessions], env=env, check=True)
    port = free_port()
    server = subprocess.Popen([BIN / "opspor", "web", "serve", "--port", str(port), "--workers", str(args.workers),
                               "--threads", str(args.threads)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        warm_up(url, sessions, 2 * args.workers * args.threads)
        before = audit_rows(home, db)
        prefix = OUT / f"web-{db.get('OPSPOR_DB', 'sqlite')}-{users}-{mode}"
        spawn_rate = max(10, users // 10)
        ramp = users / spawn_rate
        cpu1, server0, t0 = children_cpu(), tree_cpu(server.pid), time.perf_counter()
        subprocess.run([BIN / "locust", "-f", HERE / "web" / "locustfile.py", "--headless", "-u", str(users),
                        "-r", str(spawn_rate), "-t", f"{int(ramp + args.duration) + 1}s", "--reset-stats",
                        "--host", url, "--csv", prefix, "--only-summary", "--loglevel", "WARNING"],
                       env={**os.environ, "OPSPOR_BENCH_SESSIONS": str(sessions)}, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        locust_cpu = children_cpu() - cpu1
        server_cpu, wall = tree_cpu(server.pid) - server0, time.perf_counter() - t0
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
    written = audit_rows(home, db) - before
    rows = {r["Name"]: r for r in csv.DictReader(Path(f"{prefix}_stats.csv").read_text().splitlines())}
    pages = {}
    for name in PAGES:
        r = rows.get(name)
        if r:
            pages[name] = {"requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
                           "p50_ms": float(r["50%"]), "p95_ms": float(r["95%"]), "rps": float(r["Requests/s"])}
    total = rows.get("Aggregated", {})
    return {"users": users, "mode": mode, "pages": pages, "audit_rows_written": written,
            "rps": float(total.get("Requests/s", 0)), "p95_ms": float(total.get("95%", "nan")),
            "server_cpu_s": round(server_cpu, 1), "locust_cpu_s": round(locust_cpu, 1), "wall_s": round(wall, 1)}


def report(results: list[dict], args, db_name: str) -> bool:
    print(f"\nWeb load: {args.duration} s per run after ramp-up, demo data of {args.persons:,} persons, "
          f"gunicorn {args.workers} workers x {args.threads} threads, {db_name}")
    print(f"{'users':>5} {'mode':<10} {'page':<16} {'requests':>8} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>6}")
    ok = True
    for r in results:
        for name, p in r["pages"].items():
            print(f"{r['users']:>5} {r['mode']:<10} {name:<16} {p['requests']:>8} {p['failures']:>5} "
                  f"{p['p50_ms']:>7.0f} {p['p95_ms']:>7.0f} {p['rps']:>6.1f}")
            ok &= p["requests"] > 0 and p["failures"] == 0
        print(f"{r['users']:>5} {r['mode']:<10} all pages: {r['rps']:.1f} req/s, p95 {r['p95_ms']:.0f} ms; "
              f"CPU of the {r['wall_s']:.0f} s under load: server {r['server_cpu_s']} s "
              f"({r['server_cpu_s'] / r['wall_s']:.2f} cores), Locust {r['locust_cpu_s']} s; "
              f"audit rows written {r['audit_rows_written']:,}")
        met = all(p["p95_ms"] < TARGET_MS for p in r["pages"].values())
        print(f"{r['users']:>5} {r['mode']:<10} target p95 < {TARGET_MS} ms on every page: {'met' if met else 'NOT met'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--users", default="50,200", help="comma-separated numbers of simultaneous users")
    ap.add_argument("--modes", default="audited,unaudited")
    ap.add_argument("--duration", type=int, default=60, help="seconds of measurement per run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--label", default="", help="kept with the results (e.g. before, after)")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    db = {}
    if args.db == "postgresql":
        db = start_postgres()
    try:
        home = prepare(args.persons, db)
        results = [run_mode(home, db, mode, int(users), args)
                   for users in args.users.split(",") for mode in args.modes.split(",")]
    finally:
        if db:
            subprocess.run(["bash", ROOT / "scripts" / "pg.sh", "stop", db["OPSPOR_PG_DIR"]], check=False)
    ok = report(results, args, "SQLite (WAL)" if not db else "PostgreSQL (throwaway cluster, fsync off)")
    name = f"web-results-{args.db}{'-' + args.label if args.label else ''}.json"
    (OUT / name).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
