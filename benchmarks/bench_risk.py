"""Benchmark the risk model's features and scores at national scale, beside two baselines.

    .venv/bin/python benchmarks/bench_risk.py --persons 5900000 [--pandas-max-persons 1000000]

1. data: the synthetic drops of ``bench_lists.py`` (3 years 2023-2025, Parquet, seed 1), loaded
   into stores under ``benchmarks/out/lists-<persons>/`` — reused when present, generated and
   loaded otherwise;
2. model: both models trained with ``opspor.risk.jobs.train`` on the ``--train-persons`` store
   (not timed as part of scoring); the boosted model is selected, in
   ``benchmarks/out/risk-<persons>/home/risk``;
3. score: in a fresh child process, ``opspor.risk.scoring.score`` on the big snapshot as of the
   day after the data (2026-01-01): the features of everybody alive (DuckDB), the scores, the
   ranks per region, the explanations of each region's top 1 % and the Parquet file — what
   ``opspor risk score`` costs; wall time per step and peak RSS of the child (``ru_maxrss``);
4. baselines, in fresh children: (a) the floor — DuckDB reading the contact columns the features
   use once, with one trivial aggregate; (b) pandas — the window counts, bed-days, days since
   discharge and "admitted at T" written straightforwardly with pandas ``groupby`` on a sample of
   ``--pandas-max-persons`` persons (the first by person key, with all their contacts), beside
   the DuckDB features on the same sample; pandas' values are checked equal to DuckDB's.

Prints wall time and peak RSS side by side. Nothing printed holds a CPR number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_lists

OUT = HERE / "out"
AS_OF = dt.date(2026, 1, 1)  # the day after the data: scores for "today"
CHECKED = ("acute_admissions", "acute_outpatient", "planned_contacts", "bed_days")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


# ------------------------------------------------------------------------------ children


def child_train(train_store: str, home: str) -> dict:
    from opspor.risk import jobs
    from opspor.store import SnapshotStore

    t0 = time.perf_counter()
    result = jobs.train(store=SnapshotStore(train_store), select=True)
    return {"total_s": time.perf_counter() - t0, "model_id": result["selected"], "peak_rss": peak_rss_bytes(),
            "auroc": result["headline"]["boosted_auroc"], "test_as_of": result["schedule"]["test_as_of"]}


def child_score(store: str, model_id: str) -> dict:
    from opspor.risk import scoring
    from opspor.store import SnapshotStore

    base = peak_rss_bytes()
    t0 = time.perf_counter()
    record = scoring.score(AS_OF, model_id, store=SnapshotStore(store))
    return {"total_s": time.perf_counter() - t0, "peak_rss": peak_rss_bytes(), "rss_before": base,
            "cpu_s": cpu_seconds(), "persons": record["persons"], "explained": record["explained"], "timings": record["timings_seconds"],
            "score_id": record["score_id"]}


def child_floor(db: str) -> dict:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    con.execute("SET enable_progress_bar = false")
    row = con.execute(
        'SELECT count(DISTINCT person_key), count(*) FILTER (WHERE priority = \'acute\'), max("end"), '
        "count(DISTINCT course_department), count(action_diagnosis), sum(len(secondary_diagnoses)) "
        f"FROM contacts WHERE start < TIMESTAMP '{AS_OF}'").fetchall()[0]
    con.close()
    return {"total_s": time.perf_counter() - t0, "peak_rss": peak_rss_bytes(), "cpu_s": cpu_seconds(),
            "persons_with_contacts": row[0]}


def child_engine(db: str) -> dict:
    import numpy as np

    from opspor.risk import config
    from opspor.risk.features import FeatureSet

    fs = FeatureSet(config.load().features)
    t0 = time.perf_counter()
    from opspor.engines import connect

    con = connect(f"duckdb:///{Path(db).resolve().relative_to('/')}")
    frame = fs.compute(con, AS_OF)
    con.close()
    total = time.perf_counter() - t0
    cols = [n for n in fs.names if n.startswith(CHECKED)] + ["days_since_acute_discharge", "admitted_at_as_of"]
    np.savez(Path(db).with_suffix(".engine.npz"), keys=np.array(frame.person_key.to_pylist()),
             X=frame.X[:, [fs.index[c] for c in cols]], cols=np.array(cols))
    return {"total_s": total, "peak_rss": peak_rss_bytes(), "cpu_s": cpu_seconds(), "persons": len(frame),
            "features": len(fs.names)}


def child_pandas(db: str) -> dict:
    """The same window counts in plain pandas (groupby over boolean columns)."""
    import duckdb
    import numpy as np
    import pandas as pd

    from opspor.risk import config

    cfg = config.load().features
    T = pd.Timestamp(AS_OF)
    t0 = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    persons = con.execute("SELECT person_key, death_date, birth_date FROM persons").df()
    contacts = con.execute('SELECT person_key, priority, start, "end" FROM contacts').df()
    con.close()
    t1 = time.perf_counter()
    alive = persons[(persons["death_date"].isna() | (persons["death_date"] >= T))
                    & (persons["birth_date"].isna() | (persons["birth_date"] < T))]
    c = contacts[contacts["start"] < T].copy()
    c["stop"] = c["end"].fillna(T).clip(upper=T)
    c["open"] = c["end"].isna() | (c["end"] > T)
    c["adm"] = c["start"] + pd.Timedelta(hours=cfg.admission_hours) <= c["stop"]
    c["acute"] = c["priority"] == "acute"
    out = pd.DataFrame(index=pd.Index(alive["person_key"], name="person_key"))
    for w in cfg.windows_days:
        lower = T - pd.Timedelta(days=w)
        inw = c["start"] >= lower
        flags = pd.DataFrame({
            f"acute_admissions_{w}d": c["acute"] & c["adm"] & inw,
            f"acute_outpatient_{w}d": c["acute"] & ~c["adm"] & ~c["open"] & inw,
            f"planned_contacts_{w}d": ~c["acute"] & inw,
            f"bed_days_{w}d": np.where(c["adm"], ((c["stop"] - c["start"].clip(lower=lower))
                                                  .dt.total_seconds().clip(lower=0) / 86400), 0.0),
            "person_key": c["person_key"],
        })
        out = out.join(flags.groupby("person_key").sum())
    longest = max(cfg.windows_days)
    recent = c[c["acute"] & c["adm"] & (c["start"] >= T - pd.Timedelta(days=longest))]
    last = recent.groupby("person_key")["stop"].max()
    out = out.join(((T - last).dt.total_seconds() / 86400).clip(upper=longest).rename("days_since_acute_discharge"))
    out = out.join(c[c["acute"]].groupby("person_key")["open"].any().rename("admitted_at_as_of"))
    out = out.fillna({"days_since_acute_discharge": longest}).fillna(0)
    t2 = time.perf_counter()
    np.savez(Path(db).with_suffix(".pandas.npz"), keys=out.index.to_numpy().astype(str),
             X=out.to_numpy(dtype=np.float64), cols=np.array(out.columns).astype(str))
    return {"total_s": t2 - t0, "load_s": t1 - t0, "features_s": t2 - t1, "peak_rss": peak_rss_bytes(),
            "cpu_s": cpu_seconds(), "persons": len(out)}


# ------------------------------------------------------------------------------ parent


def store_root(lists_home: Path, persons: int) -> Path:
    """The store of a prepared drop. Stores made before snapshot ids carried a 'Z' are not
    readable by today's SnapshotStore; their snapshot file is then linked (not copied) under a
    valid id into a store of this benchmark's own."""
    from opspor.store import SnapshotStore
    from opspor.store.snapshots import ID_PATTERN, StoreError

    root = lists_home / "store"
    try:
        SnapshotStore(root).current()
        return root
    except StoreError:
        old = (root / "CURRENT").read_text().strip()
        new = old if ID_PATTERN.match(old) else old.replace("-", "Z-", 1)
        own = OUT / f"risk-{persons}" / "store"
        target = own / "snapshots" / f"{new}.duckdb"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(root / "snapshots" / f"{old}.duckdb", target)
            except OSError:
                os.symlink(root / "snapshots" / f"{old}.duckdb", target)
            (own / "CURRENT").write_text(new + "\n")
        return own


def spawn(kind: str, *args: str, env: dict | None = None) -> dict:
    p = subprocess.run([sys.executable, __file__, "--child", kind, *args], check=False, capture_output=True,
                       text=True, env={**os.environ, **(env or {})})
    if p.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def compare(sample: Path) -> str:
    import numpy as np

    e = np.load(sample.with_suffix(".engine.npz"))
    p = np.load(sample.with_suffix(".pandas.npz"))
    order = np.argsort(p["keys"])
    pk, px = p["keys"][order], p["X"][order]
    eo = np.argsort(e["keys"])
    ek, ex = e["keys"][eo], e["X"][eo]
    if not np.array_equal(ek, pk):
        return f"different persons ({len(ek)} vs {len(pk)})"
    bad = []
    for j, name in enumerate(e["cols"]):
        k = list(p["cols"]).index(name)
        if not np.allclose(ex[:, j], px[:, k], rtol=1e-5, atol=1e-3):
            bad.append(str(name))
    return "equal" if not bad else "DIFFERENT: " + ", ".join(bad)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=5_900_000)
    ap.add_argument("--train-persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pandas-max-persons", type=int, default=1_000_000)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--child", choices=["train", "score", "floor", "engine", "pandas", "sample"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--a", help=argparse.SUPPRESS)
    ap.add_argument("--b", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        fn = {"train": lambda: child_train(args.a, args.b), "score": lambda: child_score(args.a, args.b),
              "floor": lambda: child_floor(args.a), "engine": lambda: child_engine(args.a),
              "pandas": lambda: child_pandas(args.a),
              "sample": lambda: bench_lists.make_sample(Path(args.a), Path(args.b), int(args.persons))}[args.child]
        print(json.dumps(fn(), default=str))
        return

    big_home, _ = bench_lists.prepare(args.persons, args.seed, args.workers)
    train_home, _ = bench_lists.prepare(args.train_persons, args.seed, args.workers)
    big_store = store_root(big_home, args.persons)
    train_store = store_root(train_home, args.train_persons)
    from opspor.store import SnapshotStore

    big_snapshot = SnapshotStore(big_store).path(SnapshotStore(big_store).current())
    home = OUT / f"risk-{args.persons}" / "home"
    shutil.rmtree(home / "risk", ignore_errors=True)  # the previous run's models and scores
    home.mkdir(parents=True, exist_ok=True)
    env = {"OPSPOR_HOME": str(home), "OPSPOR_PSEUDONYM_KEY": bench_lists.KEY}
    print(f"training both models on {args.train_persons:,} persons ...", flush=True)
    trained = spawn("train", "--a", str(train_store), "--b", str(home), env=env)
    print(f"  {trained['total_s']:.0f} s; boosted model {trained['model_id']} (test AUROC "
          f"{trained['auroc']:.3f} on {trained['test_as_of']})", flush=True)
    print(f"scoring {args.persons:,} persons as of {AS_OF} ...", flush=True)
    scored = spawn("score", "--a", str(big_store), "--b", trained["model_id"], env=env)
    floor = pandas = engine_sample = None
    verdict = ""
    if not args.no_baseline:
        floor = spawn("floor", "--a", str(big_snapshot), env=env)
        sample = OUT / f"risk-{args.persons}" / "sample.duckdb"
        if args.persons > args.pandas_max_persons:
            p = subprocess.run([sys.executable, __file__, "--child", "sample", "--a", str(big_snapshot), "--b",
                                str(sample), "--persons", str(args.pandas_max_persons)], check=True,
                               capture_output=True, text=True)
            counts = json.loads(p.stdout.strip().splitlines()[-1])
            target = sample
            label = f"sample of {args.pandas_max_persons:,} persons ({counts['contacts']:,} contacts)"
        else:
            target, label = big_snapshot, "the same data"
        engine_sample = spawn("engine", "--a", str(target), env=env)
        pandas = spawn("pandas", "--a", str(target), env=env)
        verdict = compare(target)
        for suffix in (".engine.npz", ".pandas.npz"):
            Path(target).with_suffix(suffix).unlink(missing_ok=True)

    import duckdb

    with duckdb.connect(str(big_snapshot), read_only=True) as con:
        n_contacts = con.execute("SELECT count(*) FROM contacts").fetchall()[0][0]
    t = scored["timings"]
    print()
    print(f"bench_risk: {args.persons:,} persons, {n_contacts:,} contacts (2023-2025, seed {args.seed}); "
          f"scores as of {AS_OF}; {scored['persons']:,} alive and scored, {scored['explained']:,} explained")
    print(f"machine: {os.cpu_count()} cores; load average now: {os.getloadavg()[0]:.1f} (other work shares "
          "the cores: wall times are pessimistic, CPU time is the steadier figure)")
    print()
    w = 52
    print(f"{'':{w}} {'wall':>9} {'CPU':>9} {'peak RSS':>10}")
    print(f"{'`risk score`: features + scores + ranks + explanations':{w}} {scored['total_s']:8.1f}s "
          f"{scored['cpu_s']:8.1f}s {gb(scored['peak_rss']):>10}")
    print(f"{'  features (DuckDB)':{w}} {t['features']:8.1f}s")
    print(f"{'  scores (boosted model, calibrated)':{w}} {t['predict']:8.1f}s")
    print(f"{'  explanations of the highest-ranked 1 % per region':{w}} {t['explain']:8.1f}s")
    rest = scored["total_s"] - t["features"] - t["predict"] - t["explain"]
    print(f"{'  model loading, ranks, Parquet, record':{w}} {rest:8.1f}s")
    if floor:
        print(f"{'floor: DuckDB reads the contact columns once':{w}} {floor['total_s']:8.1f}s "
              f"{floor['cpu_s']:8.1f}s {gb(floor['peak_rss']):>10}")
        print(f"{'DuckDB features, ' + label:{w}} {engine_sample['total_s']:8.1f}s "
              f"{engine_sample['cpu_s']:8.1f}s {gb(engine_sample['peak_rss']):>10}")
        print(f"{'pandas window counts, ' + label:{w}} {pandas['total_s']:8.1f}s "
              f"{pandas['cpu_s']:8.1f}s {gb(pandas['peak_rss']):>10}")
        print(f"{'  of which reading the tables into pandas':{w}} {pandas['load_s']:8.1f}s")
        print()
        print(f"pandas computes {len(CHECKED) * 4 + 2} of the {engine_sample['features']} features; on them its "
              f"values and DuckDB's are {verdict}")
        print(f"speed ratio on {label}: pandas (part of the features) / DuckDB (all features) = "
              f"{pandas['total_s'] / engine_sample['total_s']:.1f}x")
    target_ok = scored["total_s"] < 120 and scored["peak_rss"] < 8e9
    print(f"target (under 120 s and 8 GB for {args.persons:,} persons): {'met' if target_ok else 'NOT met'}")
    if verdict.startswith("DIFFERENT"):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
