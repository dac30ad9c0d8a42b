"""Benchmark one day's lists and the eligibility: the DuckDB engine beside Polars, pandas and Spark.

    .venv/bin/python benchmarks/bench_lists.py --persons 1000000 [--pandas-max-persons 1000000]

1. data: a synthetic drop from the generator (``opspor.synth``, 3 years 2023-2025, Parquet,
   seed 1), loaded with the real loader (``run_load``) into a store under
   ``benchmarks/out/lists-<persons>/`` (kept and reused by later runs with the same arguments);
2. engine: in a fresh child process, on the snapshot, ``repeated_acute_list`` for run day D
   (the last weekday of the period) and ``aps_eligibility`` on as-of date D — the shipped rules,
   the DuckDB engine — timed separately; peak RSS of the child (``ru_maxrss``);
3. run: ``opspor.lists.jobs.run_lists`` in a fresh child: the same plus every output file
   (CSV, XLSX, PDF, run.json), i.e. what ``opspor lists run`` costs;
4. pandas: in a fresh child, the snapshot's tables read into pandas DataFrames, then the two
   rules written straightforwardly in pandas (below: filters, groupby, merge, explode,
   merge_asof), parameters taken from the same rule objects. When the population is larger
   than ``--pandas-max-persons`` pandas runs on a sample of that many persons (the first by
   pseudonymous key, with all their rows), and the engine runs on the same sample too: the
   speed ratio is always measured on the same data;
5. check: pandas' lines and eligibility rows equal the engine's on the data pandas ran on
   (exit code 1 if not).
   The same for Polars (``polars_rules.py``, lazy API), on the same data as pandas.
6. with ``--spark``: the Spark engine (``BENCH_SPARK_MASTER``, default ``local[2]``) on the full
   snapshot's Parquet copy (written first when missing), start-up timed apart from the queries,
   its rows checked equal to the DuckDB engine's.

Prints wall time and peak RSS side by side, and the ratio. Nothing printed holds a CPR number.
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

OUT = Path(__file__).resolve().parent / "out"
START, END = dt.date(2023, 1, 1), dt.date(2025, 12, 31)
KEY = "bench-lists-pseudonym-key"


def run_day(end: dt.date = END) -> dt.date:
    day = end
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


# ------------------------------------------------------------------------------ data


def prepare(persons: int, seed: int, workers: int) -> tuple[Path, dict]:
    """Generate (unless kept) and load the drop; returns (OPSPOR_HOME, info)."""
    base = OUT / f"lists-{persons}"
    info_file = base / "prepared.json"
    wanted = {"persons": persons, "seed": seed, "start": str(START), "end": str(END)}
    if info_file.exists():
        info = json.loads(info_file.read_text())
        if info.get("args") == wanted:
            print(f"reusing the drop and store in {base} (delete it to start over)", flush=True)
            return base / "home", info
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    drop = base / "drop"
    t0 = time.perf_counter()
    code = (
        "import datetime as dt, json\nfrom pathlib import Path\n"
        "from opspor.synth import Options, generate\n"
        f"s = generate(Options(persons={persons}, start=dt.date.fromisoformat('{START}'), "
        f"end=dt.date.fromisoformat('{END}'), seed={seed}, out=Path(r'{drop}'), fmt='parquet', "
        f"workers={workers}, truth_as_of=(dt.date.fromisoformat('{END}'),)))\n"
        "print(json.dumps({'files': s.files}))\n"
    )
    print(f"generating {persons:,} persons, {START} - {END} ...", flush=True)
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
    generated = time.perf_counter() - t0
    shutil.rmtree(drop / "truth", ignore_errors=True)  # not part of the drop
    print(f"  {generated:.0f} s; loading into a store ...", flush=True)
    home = base / "home"
    t0 = time.perf_counter()
    code = (
        "from pathlib import Path\nfrom opspor.ingest.load import run_load\n"
        f"r = run_load(Path(r'{drop}'))\nprint(r.decision)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                       env=_env(home))
    if "published" not in p.stdout.lower():
        raise SystemExit(f"the load did not publish: {p.stdout[-500:]}")
    loaded = time.perf_counter() - t0
    print(f"  {loaded:.0f} s", flush=True)
    info = {"args": wanted, "generate_seconds": round(generated, 1), "load_seconds": round(loaded, 1)}
    info_file.write_text(json.dumps(info, indent=2))
    return home, info


def _env(home: Path) -> dict:
    return {**os.environ, "OPSPOR_HOME": str(home), "OPSPOR_PSEUDONYM_KEY": KEY}


def snapshot_path(home: Path) -> Path:
    from opspor.store import SnapshotStore

    store = SnapshotStore(home / "store")
    return store.path(store.current())


def make_sample(snapshot: Path, target: Path, persons: int) -> dict:
    """A database with the tables the engines read, for the first ``persons`` person keys."""
    import duckdb

    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute(f"ATTACH '{snapshot}' AS s (READ_ONLY)")
    con.execute(
        f"CREATE TEMP TABLE keep AS SELECT person_key FROM s.persons ORDER BY person_key LIMIT {persons}"
    )
    counts = {}
    for table in ("identity", "persons", "contacts"):
        # keep the snapshot's row order (contacts: by contact_id, i.e. clustered by person): a
        # join's output order would scatter each person's rows and slow every engine down
        order = " ORDER BY contact_id" if table == "contacts" else ""
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM s.{table} "
                    f"WHERE person_key IN (SELECT person_key FROM keep){order}")
        counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.execute("CHECKPOINT")  # compressed, as the loader's snapshots
    con.close()
    return counts


# ------------------------------------------------------------------------------ children


def rules_on(url: str, day: dt.date, out: str) -> dict:
    """Both shipped rules on the engine ``url``; connecting (for Spark: the JVM, the session and
    the Parquet views) is timed apart from the queries."""
    from opspor.engines import connect
    from opspor.rules import (
        aps_eligibility,
        load_aps_eligibility,
        load_repeated_acute,
        repeated_acute_list,
    )

    rrule, erule = load_repeated_acute(), load_aps_eligibility()
    base = peak_rss_bytes()
    t0 = time.perf_counter()
    engine = connect(url)
    t1 = time.perf_counter()
    lines = repeated_acute_list(engine, day, rrule)
    t2 = time.perf_counter()
    rows = aps_eligibility(engine, day, erule)
    t3 = time.perf_counter()
    engine.close()
    _save(out, canonical_lines(lines), canonical_eligibility(rows))
    return {"startup_s": t1 - t0, "lists_s": t2 - t1, "eligibility_s": t3 - t2, "total_s": t3 - t1,
            "peak_rss": peak_rss_bytes(), "rss_before": base, "lines": len(lines),
            "eligibility": len(rows)}


def child_engine(db: str, day: dt.date, out: str) -> dict:
    return rules_on(f"duckdb:///{Path(db).resolve().relative_to('/')}", day, out)


def child_spark(home: str, day: dt.date, out: str) -> dict:
    """The Spark engine (``BENCH_SPARK_MASTER``, default ``local[2]``) on the store's current
    snapshot, reading its Parquet copy."""
    return rules_on(os.environ.get("BENCH_SPARK_MASTER", "local[2]"), day, out)


def child_run(home: str, day: dt.date, out: str) -> dict:
    from opspor.lists.jobs import run_lists

    t0 = time.perf_counter()
    record = run_lists(day, Path(out))
    return {"total_s": time.perf_counter() - t0, "peak_rss": peak_rss_bytes(),
            "departments": record["lists"]["departments"], "patients": record["lists"]["patient_entries"],
            "new_today": record["lists"]["new_today"], "eligible": record["eligibility"]["eligible"],
            "listed": record["eligibility"]["listed"], "timings": record["timings"]}


def child_pandas(db: str, day: dt.date, out: str) -> dict:
    import duckdb

    from opspor.rules import load_aps_eligibility, load_repeated_acute

    rrule, erule = load_repeated_acute(), load_aps_eligibility()
    base = peak_rss_bytes()
    t0 = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    contacts = con.execute("SELECT * FROM contacts").df()
    persons = con.execute("SELECT * FROM persons").df()
    identity = con.execute("SELECT * FROM identity").df()
    con.close()
    t1 = time.perf_counter()
    lines = pandas_repeated_acute(contacts, identity, day, rrule)
    t2 = time.perf_counter()
    rows = pandas_eligibility(contacts, persons, identity, day, erule)
    t3 = time.perf_counter()
    _save(out, lines, rows)
    return {"load_s": t1 - t0, "lists_s": t2 - t1, "eligibility_s": t3 - t2, "total_s": t3 - t0,
            "rules_s": t3 - t1, "peak_rss": peak_rss_bytes(), "rss_before": base,
            "lines": len(lines), "eligibility": len(rows)}


def child_polars(db: str, day: dt.date, out: str) -> dict:
    import duckdb
    import polars as pl
    import polars_rules

    from opspor.rules import load_aps_eligibility, load_repeated_acute

    rrule, erule = load_repeated_acute(), load_aps_eligibility()
    base = peak_rss_bytes()
    t0 = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    contacts, persons, identity = (pl.from_arrow(con.execute(f"SELECT * FROM {t}").to_arrow_table()).lazy()
                                   for t in ("contacts", "persons", "identity"))
    con.close()
    t1 = time.perf_counter()
    lines = polars_rules.repeated_acute(contacts, identity, day, rrule)
    t2 = time.perf_counter()
    rows = polars_rules.eligibility(contacts, persons, identity, day, erule)
    t3 = time.perf_counter()
    _save(out, lines, rows)
    return {"load_s": t1 - t0, "lists_s": t2 - t1, "eligibility_s": t3 - t2, "total_s": t3 - t0,
            "rules_s": t3 - t1, "peak_rss": peak_rss_bytes(), "rss_before": base,
            "lines": len(lines), "eligibility": len(rows)}


def _save(out: str, lines: list[tuple], rows: list[tuple]) -> None:
    import pickle

    with open(out, "wb") as f:
        pickle.dump({"lines": sorted(lines), "eligibility": sorted(rows)}, f)


def _ts(v) -> str:
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return pd.Timestamp(v).isoformat()


def _s(v) -> str:
    import pandas as pd

    return "" if v is None or (not isinstance(v, (str, list, tuple)) and pd.isna(v)) else str(v)


def canonical_lines(lines) -> list[tuple]:
    return [(_s(x.department), _s(x.hospital_unit), _s(x.cpr), _s(x.name), x.contact_id,
             _s(x.action_diagnosis), _s(x.course_department), _s(x.contact_department),
             _ts(x.contact_start), _ts(x.contact_end), bool(x.counted), bool(x.new_today))
            for x in lines]


def canonical_eligibility(rows) -> list[tuple]:
    return [(_s(r.cpr), _s(r.region_code), _s(r.municipality_code), tuple(r.routes),
             bool(r.excluded), tuple(r.exclusion_reasons)) for r in rows]


# ------------------------------------------------------------------------------ pandas


def _codes(series, prefixes: tuple[str, ...]):
    """Code starts with one of the prefixes; NULL -> False."""
    return series.str.startswith(prefixes).fillna(False).astype(bool)


def _any_code(list_series, prefixes: tuple[str, ...]):
    """Some element of a list column starts with one of the prefixes (row-aligned)."""
    exploded = list_series.explode()
    hit = _codes(exploded.astype("object"), prefixes)
    return hit.groupby(level=0).any().reindex(list_series.index, fill_value=False)


def _meets(df, crit, at, admission_hours):
    """The contact criteria of the rule objects (no preceded_by), as one boolean Series."""
    import pandas as pd

    m = pd.Series(True, index=df.index)
    if crit.priority is not None:
        m &= df["priority"].isin(crit.priority)
    if crit.contact_type is not None:
        m &= df["contact_type"].isin(crit.contact_type)
    if crit.specialty is not None:
        m &= df["specialty"].isin(crit.specialty)
    if crit.pathway_empty:
        m &= df["pathway"].isna()
    if crit.drg_value_not_zero:
        m &= df["drg_value"].isna() | (df["drg_value"] != 0)
    if crit.procedures_none_of is not None:
        m &= ~_any_code(df["procedures"], crit.procedures_none_of.prefixes)
    if crit.action_diagnosis_in is not None:
        m &= _codes(df["action_diagnosis"], crit.action_diagnosis_in.prefixes)
    if crit.any_diagnosis_in is not None:
        p = crit.any_diagnosis_in.prefixes
        m &= _codes(df["action_diagnosis"], p) | _any_code(df["secondary_diagnoses"], p)
    if crit.admission:
        until = df["end"].fillna(at).clip(upper=at)
        m &= df["start"] + pd.Timedelta(hours=admission_hours) <= until
    return m


def _preceded(df, cand, pb, at, admission_hours):
    """For candidate rows ``cand`` (a boolean Series over df): an earlier contact of the person
    meeting ``pb.contact`` ended at most ``pb.within_days`` before the candidate started."""
    import pandas as pd

    left = df.loc[cand, ["person_key", "contact_id", "start"]].reset_index()
    earlier = df[_meets(df, pb.contact, at, admission_hours) & df["end"].notna()]
    right = earlier[["person_key", "contact_id", "end"]].rename(columns={"contact_id": "e_id"})
    merged = pd.merge_asof(
        left.sort_values("start"), right.sort_values("end"), left_on="start", right_on="end",
        by="person_key", direction="backward",
    )
    # the latest earlier end at or before the start; an admission never ends at its own start,
    # so the match is another contact
    ok = merged["end"].notna() & (merged["start"] - merged["end"] <= pd.Timedelta(days=pb.within_days)) \
        & (merged["e_id"] != merged["contact_id"])
    out = pd.Series(False, index=df.index)
    out.loc[merged.loc[ok, "index"].to_numpy()] = True
    return out


def _condition_counts(df, cond, at, admission_hours):
    """Per person: does the count condition hold (Series of bool indexed by person_key)."""
    import pandas as pd

    m = _meets(df, cond.contact, at, admission_hours)
    if cond.window_days is not None:
        m &= df["start"] >= at - pd.Timedelta(days=cond.window_days)
    if cond.contact.preceded_by is not None:
        m &= _preceded(df, m, cond.contact.preceded_by, at, admission_hours)
    hits = df.loc[m]
    if cond.same_hospital_unit:
        n = hits.groupby(["person_key", "hospital_unit"]).size().groupby(level=0).max()
    else:
        n = hits.groupby("person_key").size()
    return n[n >= cond.at_least].index


def pandas_repeated_acute(contacts, identity, day, rule) -> list[tuple]:
    import pandas as pd

    def members(cutoff):
        ex = contacts[contacts["start"] < cutoff]
        target = _condition_counts(ex, rule.target_group, cutoff, rule.admission_hours)
        recent = cutoff - pd.Timedelta(hours=rule.presence.ended_within_hours)
        present = ex[ex["person_key"].isin(target) & (ex["end"].isna() | (ex["end"] >= recent))]
        present = present[_meets(present, rule.presence.contact, cutoff, rule.admission_hours)]
        return present[["hospital_unit", "contact_department", "person_key"]].drop_duplicates() \
            .rename(columns={"hospital_unit": "list_unit", "contact_department": "list_department"})

    cutoff = pd.Timestamp(rule.cutoff(day))
    now = members(cutoff)
    before = members(pd.Timestamp(rule.cutoff(rule.previous_run_day(day)))).assign(was=True)
    ex = contacts[(contacts["start"] < cutoff)
                  & (contacts["start"] >= cutoff - pd.Timedelta(days=rule.lines_window_days))]
    ex = ex[ex["person_key"].isin(now["person_key"])]
    tg = rule.target_group
    counted = _meets(ex, tg.contact, cutoff, rule.admission_hours)
    counted &= ex["start"] >= cutoff - pd.Timedelta(days=tg.window_days)
    ex = ex.assign(counted=counted)
    lines = now.merge(ex, on="person_key").merge(
        before, on=["list_unit", "list_department", "person_key"], how="left")
    lines["new_today"] = lines["was"].isna()
    lines = lines.merge(identity, on="person_key", how="left")
    out = lines.rename(columns={"list_unit": "L_unit", "list_department": "L_dept"})
    return [
        (_s(r.L_dept), _s(r.L_unit), _s(r.cpr), _s(r.name), r.contact_id, _s(r.action_diagnosis),
         _s(r.course_department), _s(r.contact_department), _ts(r.start), _ts(r.end),
         bool(r.counted), bool(r.new_today))
        for r in out.itertuples(index=False)
    ]


def pandas_eligibility(contacts, persons, identity, as_of, rule) -> list[tuple]:
    import pandas as pd

    at = pd.Timestamp(rule.reference_time(as_of))
    ex = contacts[contacts["start"] < at]
    p = persons.set_index("person_key")
    birth = pd.to_datetime(p["birth_date"])
    age = as_of.year - birth.dt.year - (
        (birth.dt.month > as_of.month) | ((birth.dt.month == as_of.month) & (birth.dt.day > as_of.day))
    ).astype(int)
    flags = pd.DataFrame(index=p.index)
    for i, route in enumerate(rule.routes):
        hit = pd.Series(False, index=p.index)
        for cond in route.any_of:
            hit |= p.index.isin(_condition_counts(ex, cond, at, rule.admission_hours))
        if route.min_age is not None:
            hit &= (age >= route.min_age).fillna(False).astype(bool)
        flags[f"r{i}"] = hit
    for i, x in enumerate(rule.exclusions):
        if x.contact is not None:
            m = _meets(ex, x.contact, at, rule.admission_hours)
            if x.window_days is not None:
                m &= ex["start"] >= at - pd.Timedelta(days=x.window_days)
            flags[f"x{i}"] = p.index.isin(ex.loc[m, "person_key"].unique())
        elif x.residence_type is not None:
            flags[f"x{i}"] = p["residence_type"].isin(x.residence_type)
        else:
            flags[f"x{i}"] = (pd.to_datetime(p["death_date"]) <= pd.Timestamp(as_of)).fillna(False)
    route_cols = [f"r{i}" for i in range(len(rule.routes))]
    reason_cols = [f"x{i}" for i in range(len(rule.exclusions))]
    listed = flags[flags[route_cols].any(axis=1)]
    listed = listed.join(p[["region_code", "municipality_code"]]).join(identity.set_index("person_key"))
    route_ids = [r.id for r in rule.routes]
    reason_ids = [x.reason for x in rule.exclusions]
    out = []
    for cpr, region, municipality, routes, reasons in zip(
        listed["cpr"], listed["region_code"], listed["municipality_code"],
        listed[route_cols].to_numpy(), listed[reason_cols].to_numpy(), strict=True,
    ):
        why = tuple(r for r, hit in zip(reason_ids, reasons, strict=True) if hit)
        out.append((_s(cpr), _s(region), _s(municipality),
                    tuple(r for r, hit in zip(route_ids, routes, strict=True) if hit), bool(why), why))
    return out


# ------------------------------------------------------------------------------ parent


def spawn(kind: str, target: str, day: dt.date, out: Path, home: Path, repeat: int = 1) -> dict:
    """Run a child ``repeat`` times (each a fresh process); the run with the median wall time."""
    results = sorted((_spawn(kind, target, day, out, home) for _ in range(repeat)),
                     key=lambda r: r["total_s"])
    return results[len(results) // 2] | {"repeats": [round(r["total_s"], 2) for r in results]}


def _spawn(kind: str, target: str, day: dt.date, out: Path, home: Path) -> dict:
    p = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--target", target, "--day", day.isoformat(),
         "--result", str(out)],
        check=False, capture_output=True, text=True, env=_env(home),
    )
    if p.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def compare(a: Path, b: Path) -> tuple[bool, str]:
    import pickle

    x, y = pickle.loads(a.read_bytes()), pickle.loads(b.read_bytes())
    notes = []
    for part in ("lines", "eligibility"):
        sx, sy = x[part], y[part]
        if sx != sy:
            only_x = len(set(sx) - set(sy))
            only_y = len(set(sy) - set(sx))
            notes.append(f"{part}: {len(sx)} vs {len(sy)} rows, {only_x} only in the engine, {only_y} only in pandas")
    return not notes, "; ".join(notes) or "equal"


def gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pandas-max-persons", type=int, default=1_000_000,
                    help="run pandas on a sample of this many persons when the population is larger")
    ap.add_argument("--no-run", action="store_true", help="skip the full `lists run` measurement")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each measurement this many times (fresh processes); report the median")
    ap.add_argument("--spark", action="store_true",
                    help="also run the Spark engine (local mode, BENCH_SPARK_MASTER or local[2]) "
                    "on the snapshot's Parquet copy (written first when missing)")
    ap.add_argument("--child", choices=["engine", "pandas", "run", "sample", "spark", "polars"], help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)
    ap.add_argument("--day", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child == "sample":
        print(json.dumps(make_sample(Path(args.target), Path(args.result), args.persons)))
        return
    if args.child:
        day = dt.date.fromisoformat(args.day)
        fn = {"engine": child_engine, "pandas": child_pandas, "run": child_run,
              "spark": child_spark, "polars": child_polars}[args.child]
        print(json.dumps(fn(args.target, day, args.result)))
        return

    home, info = prepare(args.persons, args.seed, args.workers)
    day = run_day()
    snap = snapshot_path(home)
    work = home.parent / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    print(f"run day / as-of date {day} (cut-off {day - dt.timedelta(days=1)} 18:00); snapshot {snap.name}",
          flush=True)

    engine = spawn("engine", str(snap), day, work / "engine.pkl", home, args.repeat)
    print(f"engine (full): {engine['total_s']:.2f} s, peak {gb(engine['peak_rss'])}", flush=True)
    run = None
    if not args.no_run:
        run = spawn("run", str(home), day, work / "run-out", home, args.repeat)
        print(f"lists run (full, with exports): {run['total_s']:.2f} s, peak {gb(run['peak_rss'])}",
              flush=True)

    spark = None
    if args.spark:
        snap_id = snap.stem
        subprocess.run([sys.executable, "-c", "from opspor.cli import main; main()", "snapshots", "parquet", snap_id],
                       check=False, capture_output=True, env=_env(home))  # no-op when present
        spark = spawn("spark", str(home), day, work / "spark.pkl", home, args.repeat)
        spark_equal, spark_how = compare(work / "engine.pkl", work / "spark.pkl")
        print(f"Spark engine (full): start-up {spark['startup_s']:.1f} s, queries "
              f"{spark['total_s']:.2f} s; equal to DuckDB: {spark_how}", flush=True)

    sampled = args.persons > args.pandas_max_persons
    if sampled:
        # in a child: Linux keeps a process's peak RSS across fork and exec, so a big parent
        # would inflate the children's figures
        p = subprocess.run(
            [sys.executable, __file__, "--child", "sample", "--target", str(snap), "--result",
             str(work / "sample.duckdb"), "--day", day.isoformat(), "--persons",
             str(args.pandas_max_persons)],
            check=True, capture_output=True, text=True,
        )
        counts = json.loads(p.stdout.strip().splitlines()[-1])
        target = str(work / "sample.duckdb")
        engine_same = spawn("engine", target, day, work / "engine-sample.pkl", home, args.repeat)
        engine_file = work / "engine-sample.pkl"
        print(f"sample for pandas: {counts['persons']:,} persons, {counts['contacts']:,} contacts",
              flush=True)
    else:
        target, engine_same, engine_file = str(snap), engine, work / "engine.pkl"
    pandas = spawn("pandas", target, day, work / "pandas.pkl", home, args.repeat)
    equal, how = compare(engine_file, work / "pandas.pkl")
    polars = spawn("polars", target, day, work / "polars.pkl", home, args.repeat)
    polars_equal, polars_how = compare(engine_file, work / "polars.pkl")

    import duckdb

    with duckdb.connect(str(snap), read_only=True) as con:
        n_contacts = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    print()
    print(f"bench_lists: {args.persons:,} persons, {n_contacts:,} contacts ({START} - {END}, seed "
          f"{args.seed}); run day / as-of {day}; generate {info['generate_seconds']} s, load "
          f"{info['load_seconds']} s")
    print(f"results: {engine['lines']:,} list lines, {engine['eligibility']:,} persons with an "
          "eligibility route")
    if run:
        print(f"lists: {run['departments']} department lists, {run['patients']} patients "
              f"({run['new_today']} new today); eligibility {run['listed']:,} listed, "
              f"{run['eligible']:,} eligible")
    print()
    width = 44
    print(f"{'':{width}} {'wall':>9} {'lists':>8} {'eligib.':>8} {'peak RSS':>10}")
    print(f"{'DuckDB engine, full population':{width}} {engine['total_s']:8.2f}s "
          f"{engine['lists_s']:7.2f}s {engine['eligibility_s']:7.2f}s {gb(engine['peak_rss']):>10}")
    if spark:
        print(f"{'Spark engine ' + os.environ.get('BENCH_SPARK_MASTER', 'local[2]') + ', full':{width}} "
              f"{spark['total_s']:8.2f}s {spark['lists_s']:7.2f}s {spark['eligibility_s']:7.2f}s "
              f"{gb(spark['peak_rss']):>10}  (+ start-up {spark['startup_s']:.1f} s; driver RSS only)")
    if run:
        print(f"{'`lists run` (engine + CSV/XLSX/PDF), full':{width}} {run['total_s']:8.2f}s "
              f"{'':>8} {'':>8} {gb(run['peak_rss']):>10}")
    label = f"sample of {args.pandas_max_persons:,} persons" if sampled else "the same data"
    if sampled:
        print(f"{'DuckDB engine, ' + label:{width}} {engine_same['total_s']:8.2f}s "
              f"{engine_same['lists_s']:7.2f}s {engine_same['eligibility_s']:7.2f}s "
              f"{gb(engine_same['peak_rss']):>10}")
    print(f"{'pandas, ' + label + ' (read + rules)':{width}} {pandas['total_s']:8.2f}s "
          f"{pandas['lists_s']:7.2f}s {pandas['eligibility_s']:7.2f}s {gb(pandas['peak_rss']):>10}")
    print(f"{'  of which reading the tables into pandas':{width}} {pandas['load_s']:8.2f}s")
    print(f"{'Polars (lazy), ' + label + ' (read + rules)':{width}} {polars['total_s']:8.2f}s "
          f"{polars['lists_s']:7.2f}s {polars['eligibility_s']:7.2f}s {gb(polars['peak_rss']):>10}")
    print(f"{'  of which reading the tables into Polars':{width}} {polars['load_s']:8.2f}s")
    if args.repeat > 1:
        print(f"(median of {args.repeat} runs, each in a fresh process; all wall times: engine "
              f"{engine['repeats']}, pandas {pandas['repeats']}"
              + (f", engine on the sample {engine_same['repeats']}" if sampled else "") + ")")
    print()
    ratio = pandas["total_s"] / engine_same["total_s"]
    ratio_rules = pandas["rules_s"] / engine_same["total_s"]
    print(f"speed ratio on {label}: pandas / engine = {ratio:.1f}x (rules only, without reading: "
          f"{ratio_rules:.1f}x)")
    if sampled:
        print(f"NOTE: pandas ran on a sample of {args.pandas_max_persons:,} of {args.persons:,} persons "
              "(it cannot hold the full set in this machine's memory); the engine was measured on both.")
    print(f"rules only, reading excluded, on {label}: engine {engine_same['total_s']:.2f} s, Polars "
          f"{polars['rules_s']:.2f} s ({polars['rules_s'] / engine_same['total_s']:.1f}x), pandas "
          f"{pandas['rules_s']:.2f} s ({ratio_rules:.1f}x)")
    print(f"pandas results equal the engine's on {label}: {'yes' if equal else 'NO'} ({how})")
    print(f"Polars results equal the engine's on {label}: {'yes' if polars_equal else 'NO'} ({polars_how})")
    if spark:
        print(f"Spark results equal the engine's on the full population: "
              f"{'yes' if spark_equal else 'NO'} ({spark_how})")
    if not equal or not polars_equal or (spark and not spark_equal):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
