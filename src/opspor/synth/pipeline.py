"""Orchestration: chunks, seeds, worker processes, files and the closing figures.

Persons are generated in fixed-size chunks (``CHUNK_SIZE``). Each chunk draws from its own
streams, ``SeedSequence(seed, spawn_key=(stream, chunk))``, so its output depends only on the seed,
the arguments and the chunk number: the files are byte-identical whatever the number of worker
processes. Only two things are global: CPR serial numbers (unique per birth date and sex) and the
GP practices (sized by municipality head counts); both come from a cheap first pass over all chunks.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from opspor import dates
from opspor.contract import CONTACT_TYPES, PRIORITIES
from opspor.ingest import manifest as drop_manifest
from opspor.synth import contacts as contacts_mod
from opspor.synth import excess as excess_mod
from opspor.synth import hazards, population, simulate, truth, write
from opspor.synth import risk_shift as shift_mod
from opspor.synth import telemonitoring as tm_mod
from opspor.synth import trial as trial_mod
from opspor.synth.model import load

CHUNK_SIZE = 50_000
STREAM_SKELETON, STREAM_PERSONS, STREAM_SIMULATE, STREAM_CONTACTS, STREAM_GLOBAL = 0, 1, 2, 3, 9
STREAM_TRIAL = 4  # only drawn from with --trial
STREAM_TELEMONITORING = 5  # only drawn from with --telemonitoring (the measurements)
STREAM_TELEMONITORING_ENROL = 6  # only drawn from with --telemonitoring (the enrolment days)
GENERATOR_VERSION = "1"


@dataclass(frozen=True)
class Options:
    persons: int
    start: dt.date
    end: dt.date  # inclusive: the drop is extracted at the end of this day
    seed: int
    out: Path
    region: str | None = None
    fmt: str = "csv"
    truth_as_of: tuple[dt.date, ...] | None = None
    workers: int = 1
    chunk_size: int = CHUNK_SIZE  # part of the output's identity: same chunk size, same bytes
    trial: trial_mod.TrialOptions | None = None  # a simulated randomised trial (synth/trial.py)
    excess: excess_mod.Excess | None = None  # put-in excess by municipality (synth/excess.py)
    telemonitoring: tm_mod.TelemonitoringOptions | None = None  # enrolled patients' measurements
    risk_shift: shift_mod.RiskShift | None = None  # admission risk changed from a day (synth/risk_shift.py)

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Summary:
    persons: int = 0
    deaths: int = 0
    deaths_in_hospital: int = 0
    contacts: int = 0
    by_priority_type: Counter = field(default_factory=Counter)
    acute_admissions: int = 0
    planned_admissions: int = 0
    bed_days: float = 0.0
    truth_rows: int = 0
    as_of: tuple[str, ...] = ()
    files: dict[str, int] = field(default_factory=dict)  # path -> rows
    seconds: float = 0.0
    excess: dict[str, float] = field(default_factory=dict)  # --excess: municipality -> factor
    risk_shift: dict = field(default_factory=dict)  # --risk-shift: municipalities and the day
    telemonitoring: dict[str, int] = field(default_factory=dict)  # --telemonitoring: counts


def _seq(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, chunk)))


def default_as_of(start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    """The 1st of each quarter from start + 12 months up to end."""
    first = dates.add_months(start, 12)
    q = dates.quarter_start(first)
    if q < first:
        q = dates.add_months(q, 3)
    out = []
    while q <= end:
        out.append(q)
        q = dates.add_months(q, 3)
    return tuple(out)


def _chunk_bounds(n: int, size: int) -> list[tuple[int, int]]:
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def _run_chunk(args: tuple) -> dict:
    """Generate one chunk; returns its Arrow tables and figures. Runs in a worker process."""
    (chunk, opts, sk, serial, muni_codes, practices, asof, quota, tm_quota) = args
    model = load()
    n_days = opts.n_days
    p = population.persons(_seq(opts.seed, STREAM_PERSONS, chunk), model, sk, serial, opts.start, muni_codes, practices)
    if opts.excess is not None:
        excess_mod.apply(opts.excess, p, muni_codes)
    asof_days = [(d - opts.start).days for d in asof]
    hook = None
    if opts.trial is not None:
        hook = trial_mod.Selection(_seq(opts.seed, STREAM_TRIAL, chunk), p, (opts.trial.start - opts.start).days,
                                   quota, opts.trial.effect, muni_codes)
    tm_cfg = tm_hook = None
    if opts.telemonitoring is not None:
        tm_cfg = tm_mod.load_config(opts.telemonitoring.config)
        tm_hook = tm_mod.Selection(_seq(opts.seed, STREAM_TELEMONITORING_ENROL, chunk), p,
                                   (opts.telemonitoring.start - opts.start).days, tm_quota,
                                   opts.telemonitoring.effect, tm_mod.condition_columns(model, tm_cfg),
                                   tm_cfg.enrolment_days)
        hook = tm_hook  # --trial and --telemonitoring are not combined (generate() refuses it)
    shift = shifted = None
    if opts.risk_shift is not None:
        per_person = shift_mod.factors(opts.risk_shift, p, muni_codes)
        shift = ((opts.risk_shift.start - opts.start).days, per_person)
        shifted = shift_mod.shifted(p, per_person)
    sim = simulate.simulate(_seq(opts.seed, STREAM_SIMULATE, chunk), model, p, n_days, asof_days,
                            trial_day=hook and hook.day, trial_hook=hook, shift=shift)
    rows = []
    for d, a in zip(asof, asof_days):
        who, p6, p12 = truth.probabilities(shifted if shift is not None and a >= shift[0] else p,
                                           sim.snapshots[a], a)
        rows.append((d, who, p6, p12))
    weekday0 = opts.start.weekday()
    cts, _ = contacts_mod.build(_seq(opts.seed, STREAM_CONTACTS, chunk), model, p, sim, n_days, weekday0)
    cpr = write.cpr_strings(p)
    persons_t = write.persons_table(model, p, cpr, opts.start, muni_codes, sim.death_day, n_days)
    contacts_t = write.contacts_table(model, cts, cpr, opts.start, chunk)
    truth_t = write.truth_table(cpr, rows)
    latent_t = write.latent_table(model, p, cpr)
    extra = {}
    if tm_hook is not None:
        extra["telemonitoring"] = tm_mod.streams(_seq(opts.seed, STREAM_TELEMONITORING, chunk), tm_cfg, tm_hook, sim,
                                                 cpr.to_pylist(), opts.start, n_days, chunk)
    elif hook is not None:
        extra["trial"], extra["trial_who5"] = hook.tables(cpr, muni_codes, opts.start, opts.trial,
                                                          sim.death_day, n_days)
    # figures
    period_end = n_days * 1440
    end = np.where(cts.end < 0, period_end, cts.end)
    admission = (end - cts.start) >= 720
    by = Counter()
    for pr in range(len(PRIORITIES)):
        for ct in range(len(CONTACT_TYPES)):
            k = int(((cts.priority == pr) & (cts.ctype == ct)).sum())
            if k:
                by[(PRIORITIES[pr], CONTACT_TYPES[ct])] = k
    stats = {
        "persons": p.n,
        "deaths": int((sim.death_day >= 0).sum()),
        "deaths_in_hospital": int((sim.death_admission >= 0).sum()),
        "contacts": len(cts),
        "by": by,
        "acute_admissions": int((admission & (cts.priority == 0)).sum()),
        "planned_admissions": int((admission & (cts.priority == 1)).sum()),
        "bed_days": float(((end - cts.start) * admission).sum() / 1440),
    }
    return {"persons": persons_t, "contacts": contacts_t, "truth": truth_t, "latent": latent_t, "stats": stats,
            **extra}


def generate(opts: Options, progress: Callable[[str, int, int], None] | None = None) -> Summary:
    """Write the drop and its truth to ``opts.out``; ``progress(step, done, total)`` reports."""
    t0 = time.perf_counter()
    if opts.persons < 1:
        raise ValueError("--persons must be at least 1")
    if opts.end < opts.start:
        raise ValueError("--end is before --start")
    if not 1 <= opts.chunk_size <= 1_000_000:
        raise ValueError("chunk size must be 1 - 1,000,000")
    if opts.seed < 0:
        raise ValueError("--seed must be 0 or more")
    asof = tuple(sorted(set(opts.truth_as_of))) if opts.truth_as_of else default_as_of(opts.start, opts.end)
    for d in asof:
        if not opts.start <= d <= opts.end:
            raise ValueError(f"as-of date {d} is outside the period {opts.start} - {opts.end}")
    if opts.trial is not None:
        if not opts.start <= opts.trial.start <= opts.end:
            raise ValueError(f"the trial start {opts.trial.start} is outside the period {opts.start} - {opts.end}")
        if not 2 <= opts.trial.persons <= opts.persons:
            raise ValueError("--trial must be at least 2 and at most --persons")
        if not 0 < opts.trial.effect <= 10:
            raise ValueError("--trial-effect must be a hazard ratio above 0 (1.0: no effect)")
    if opts.telemonitoring is not None:
        tm = opts.telemonitoring
        if opts.trial is not None:
            raise ValueError("--telemonitoring and --trial cannot be combined; simulate them in two runs")
        if not opts.start < tm.start <= opts.end:
            raise ValueError(f"the telemonitoring start {tm.start} must lie after {opts.start} and not after {opts.end}")
        if not 1 <= tm.persons <= opts.persons:
            raise ValueError("--telemonitoring must be at least 1 and at most --persons")
        if not 0 < tm.effect <= 10:
            raise ValueError("--telemonitoring-effect must be a hazard ratio above 0 (1.0: no effect)")
        tm_config = tm_mod.load_config(tm.config)  # checked before any work; a bad file names key and fix
    report = progress or (lambda step, done, total: None)
    muni_codes, muni_weights = population.municipality_list(opts.region)
    if opts.excess is not None:
        excess_mod.check(opts.excess, muni_codes)
    if opts.risk_shift is not None:
        shift_mod.check(opts.risk_shift, muni_codes, opts.start, opts.end)
    bounds = _chunk_bounds(opts.persons, opts.chunk_size)
    quota = (trial_mod.quotas(opts.trial.persons, [b - a for a, b in bounds]) if opts.trial is not None
             else [0] * len(bounds))
    tm_quota = (trial_mod.quotas(opts.telemonitoring.persons, [b - a for a, b in bounds])
                if opts.telemonitoring is not None else [0] * len(bounds))

    # pass 1: skeleton of the whole population, global CPR serials and GP practices
    skeletons = []
    for i, (a, b) in enumerate(bounds):
        skeletons.append(population.skeleton(_seq(opts.seed, STREAM_SKELETON, i), b - a, muni_weights))
        report("population", b, opts.persons)
    bday = np.concatenate([s.bday for s in skeletons])
    sex = np.concatenate([s.sex for s in skeletons])
    muni = np.concatenate([s.muni for s in skeletons])
    serial = population.assign_serials(bday, sex)
    practices = population.Practices(_seq(opts.seed, STREAM_GLOBAL), np.bincount(muni, minlength=len(muni_codes)))

    out = Path(opts.out)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    ext = opts.fmt
    writers = {
        "persons": write.Writer(out / f"persons.{ext}", write.PERSONS_SCHEMA, ext),
        "contacts": write.Writer(out / f"contacts.{ext}", write.CONTACTS_SCHEMA, ext),
        "truth": write.Writer(out / "truth" / f"ground_truth.{ext}", write.TRUTH_SCHEMA, ext),
        "latent": write.Writer(out / "truth" / f"persons_latent.{ext}", write.LATENT_SCHEMA, ext),
    }
    if opts.trial is not None:
        writers["trial"] = write.Writer(out / "truth" / f"trial.{ext}", trial_mod.TRIAL_SCHEMA, ext)
        writers["trial_who5"] = write.Writer(out / "truth" / f"trial_who5.{ext}", trial_mod.WHO5_SCHEMA, ext)
    summary = Summary(as_of=tuple(d.isoformat() for d in asof))
    tm_files = tm_mod.Files(out) if opts.telemonitoring is not None else None

    def task(i: int) -> tuple:
        a, b = bounds[i]
        return (i, opts, skeletons[i], serial[a:b], muni_codes, practices, asof, quota[i], tm_quota[i])

    def consume(result: dict, done: int) -> None:
        for key, w in writers.items():
            w.write(result[key])
        s = result["stats"]
        summary.persons += s["persons"]
        summary.deaths += s["deaths"]
        summary.deaths_in_hospital += s["deaths_in_hospital"]
        summary.contacts += s["contacts"]
        summary.by_priority_type.update(s["by"])
        summary.acute_admissions += s["acute_admissions"]
        summary.planned_admissions += s["planned_admissions"]
        summary.bed_days += s["bed_days"]
        summary.truth_rows += result["truth"].num_rows
        if tm_files is not None:
            tm_files.write(result["telemonitoring"])
        report("chunks", done, opts.persons)

    try:
        workers = max(1, min(opts.workers, len(bounds)))
        if workers == 1:
            for i in range(len(bounds)):
                consume(_run_chunk(task(i)), bounds[i][1])
        else:
            # forkserver/spawn, not fork: the parent runs threads (progress bar, Arrow pools)
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                pending: list[Future] = []
                nxt = 0
                for i in range(len(bounds)):
                    while nxt < len(bounds) and len(pending) < workers + 1:
                        pending.append(pool.submit(_run_chunk, task(nxt)))
                        nxt += 1
                    consume(pending.pop(0).result(), bounds[i][1])
    finally:
        for w in writers.values():
            w.close()
        if tm_files is not None:
            tm_files.close()
    summary.files = {str(w.path): w.rows for w in writers.values()}
    # the drop's manifest.json: rows and SHA-256 per file, verified by `opspor ingest`
    drop_manifest.write(out, {writers[name].path.name: writers[name].rows for name in ("persons", "contacts")})
    manifest = {
        "generator": "opspor synth",
        "generator_version": GENERATOR_VERSION,
        "arguments": {
            "persons": opts.persons,
            "start": opts.start.isoformat(),
            "end": opts.end.isoformat(),
            "seed": opts.seed,
            "region": opts.region,
            "format": opts.fmt,
            "truth_as_of": list(summary.as_of),
        },
        "truth": {
            "definition": "P(at least one acute admission (priority acute, >= 12 h) starting in "
            "[as_of 00:00, as_of + N days 00:00) | generator state at as_of 00:00); death competes",
            "horizon_days": {"p_admission_6m": truth.HORIZON_6M, "p_admission_12m": truth.HORIZON_12M},
        },
        "parameters": {
            "alpha": hazards.ALPHA,
            "tau_days": hazards.TAU,
            "excitation_cap": hazards.E_MAX,
            "admission_hazard_cap_per_year": hazards.CAP * hazards.DAYS_PER_YEAR,
            "death_multiplier_in_hospital": hazards.M_HOSPITAL,
            "frailty_sigma": hazards.FRAILTY_SIGMA,
            "frailty_planned_power": hazards.FRAILTY_PLANNED_POWER,
            "chunk_size": opts.chunk_size,
        },
        "rows": {Path(k).name: v for k, v in summary.files.items()},
    }
    if opts.trial is not None:  # only with --trial: the default manifest stays byte-identical
        manifest["trial"] = {
            "persons": opts.trial.persons,
            "start": opts.trial.start.isoformat(),
            "admission_hazard_ratio": opts.trial.effect,
            "who5_effect_points": opts.trial.who5_effect,
            "selection": "the N adults alive at the start with the highest true p_admission_12m, "
            "spread over chunks by size; 1:1 within each region",
            "files": ["trial", "trial_who5"],
        }
    if tm_files is not None:  # only with --telemonitoring: the default manifest stays byte-identical
        tm = opts.telemonitoring
        summary.telemonitoring = tm_files.counts()
        manifest["telemonitoring"] = {
            "persons": tm.persons, "first_enrolment_day": tm.start.isoformat(),
            "enrolment_days": tm_config.enrolment_days, "admission_hazard_ratio": tm.effect,
            "config": tm_config.file, "config_version": tm_config.version, "config_sha256": tm_config.digest,
            "selection": "the N adults alive at the start with COPD or heart failure and the highest true "
            "p_admission_12m, spread over chunks by size; enrolled for the configuration's first condition they have "
            "on a day drawn from the start to the start + enrolment_days (never if dead by then)",
            "files": {Path(k).relative_to(out).as_posix(): v for k, v in tm_files.rows.items()},
            **summary.telemonitoring,
        }
    if opts.excess is not None:  # only with --excess: the default manifest stays byte-identical
        manifest["excess"] = {"municipalities": opts.excess.as_dict(), "file": "excess.json"}
        excess_mod.write(opts.excess, out / "truth")
        summary.excess = opts.excess.as_dict()
    if opts.risk_shift is not None:  # only with --risk-shift: the default manifest stays byte-identical
        manifest["risk_shift"] = opts.risk_shift.describe()
        shift_mod.write(opts.risk_shift, out / "truth")
        summary.risk_shift = opts.risk_shift.describe()
    (out / "truth" / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    summary.seconds = time.perf_counter() - t0
    return summary


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))
