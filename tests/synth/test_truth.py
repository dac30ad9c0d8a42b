"""The ground truth: who is in it, calibration against what the drop shows, discrimination, and
exactness against the process itself."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

import numpy as np
import pytest

from opspor.synth import hazards, pipeline, population, simulate, truth
from opspor.synth.model import load

from .conftest import END, START

TWELVE_HOURS = dt.timedelta(hours=12)
EXTRACT = dt.datetime.combine(END + dt.timedelta(days=1), dt.time())


def admission_dates(drop) -> dict[str, list[dt.date]]:
    out = defaultdict(list)
    for r in drop.contacts:
        start = dt.datetime.fromisoformat(r["start"])
        end = dt.datetime.fromisoformat(r["end"]) if r["end"] else EXTRACT
        if r["priority"] == "acute" and end - start >= TWELVE_HOURS:
            out[r["cpr"]].append(start.date())
    return out


def outcome(drop, as_of: dt.date, days: int):
    adm = admission_dates(drop)
    rows = [t for t in drop.truth if t["as_of"] == as_of.isoformat()]
    p6 = np.array([float(t["p_admission_6m"]) for t in rows])
    p12 = np.array([float(t["p_admission_12m"]) for t in rows])
    y = np.array([any(as_of <= d < as_of + dt.timedelta(days=days) for d in adm.get(t["cpr"], ())) for t in rows])
    return p6, p12, y


def auroc(p: np.ndarray, y: np.ndarray) -> float:
    ranks = np.empty(len(p))
    order = np.argsort(p, kind="mergesort")
    ranks[order] = np.arange(1, len(p) + 1)
    n1, n0 = y.sum(), len(y) - y.sum()
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def test_truth_lists_everybody_alive_at_each_as_of(drop):
    dates = sorted({t["as_of"] for t in drop.truth})
    assert dates == [d.isoformat() for d in pipeline.default_as_of(START, END)]
    deaths = {p["cpr"]: p["death_date"] for p in drop.persons}
    for as_of in dates:
        listed = {t["cpr"] for t in drop.truth if t["as_of"] == as_of}
        alive = {c for c, d in deaths.items() if not d or d >= as_of}
        assert listed == alive


def test_probabilities_are_ordered_and_in_range(drop):
    p6 = np.array([float(t["p_admission_6m"]) for t in drop.truth])
    p12 = np.array([float(t["p_admission_12m"]) for t in drop.truth])
    assert (p6 >= 0).all() and (p12 <= 1).all() and (p6 <= p12).all()
    assert (p6 > 0).all()


@pytest.mark.parametrize("as_of", [dt.date(2024, 1, 1), dt.date(2024, 10, 1)])
def test_calibrated_overall_and_by_decile(drop, as_of):
    _, p12, y = outcome(drop, as_of, 365)
    se = np.sqrt((p12 * (1 - p12)).sum()) / len(p12)
    assert abs(y.mean() - p12.mean()) < 4 * se, (y.mean(), p12.mean())
    deciles = np.array_split(np.argsort(p12, kind="mergesort"), 10)
    for d in deciles:
        pred, obs = p12[d].mean(), y[d].mean()
        se = np.sqrt((p12[d] * (1 - p12[d])).sum()) / len(d)
        assert abs(obs - pred) < 4 * se + 0.002, (pred, obs)


def test_six_month_probability_is_calibrated(drop):
    p6, _, y6 = outcome(drop, dt.date(2025, 4, 1), 182)
    se = np.sqrt((p6 * (1 - p6)).sum()) / len(p6)
    assert abs(y6.mean() - p6.mean()) < 4 * se


def test_discriminates_like_a_deployed_model(drop):
    _, p12, y = outcome(drop, dt.date(2024, 1, 1), 365)
    assert 0.72 <= auroc(p12, y) <= 0.88


# --- exactness against the process, through the package ---------------------------------------


def _rng(seed: int, stream: int) -> np.random.Generator:
    """An independent random stream per part (the streams the generator itself uses)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, 0)))


def _chunk(seed: int, n: int, n_days: int, asof_days: list[int]):
    model = load()
    codes, weights = population.municipality_list(None)
    sk = population.skeleton(_rng(seed, 0), n, weights)
    serial = population.assign_serials(sk.bday, sk.sex)
    practices = population.Practices(_rng(seed, 9), np.bincount(sk.muni, minlength=len(codes)))
    p = population.persons(_rng(seed, 1), model, sk, serial, START, codes, practices)
    sim = simulate.simulate(_rng(seed, 2), model, p, n_days, asof_days)
    return model, p, sim


def _take(p: population.Persons, idx: np.ndarray) -> population.Persons:
    cols = {f.name: getattr(p, f.name)[idx] for f in dataclasses.fields(p) if f.name != "n"}
    return population.Persons(n=len(idx), **cols)


def test_closed_form_equals_the_daily_sum():
    a = 400
    _, p, sim = _chunk(21, 8000, a + 1, [a])
    snap = sim.snapshots[a]
    who, p6, p12 = truth.probabilities(p, snap, a)
    d6, d12 = _daily_sum(p, who, snap, a)
    assert np.abs(p6 - d6).max() < 1e-12 and np.abs(p12 - d12).max() < 1e-12


def _daily_sum(p: population.Persons, who: np.ndarray, snap, asof_day: int):
    """The defining sum of opspor.synth.truth, one day at a time, from the generator's daily
    probabilities (hazards): P(first admission on day k) = S_k (1 - qd_k) qa_k."""
    tab = hazards.tables()
    excitation, discharge = snap.excitation[who].copy(), snap.discharge_day[who]
    surv, p_adm, p6 = np.ones(len(who)), np.zeros(len(who)), None
    for k in range(truth.HORIZON_12M):
        day = asof_day + k
        rates = hazards.base_rates(tab, hazards.table_index(p.sex[who], p.bday[who], day), p.s_adm[who],
                                   p.s_death[who])
        q_death, q_adm = hazards.day_probabilities(*rates, excitation, discharge >= day)
        p_adm = p_adm + surv * (1.0 - q_death) * q_adm
        surv = surv * (1.0 - q_death) * (1.0 - q_adm)
        if k == truth.HORIZON_6M - 1:
            p6 = p_adm
        hazards.update_excitation(excitation, discharge, day)
    return p6, p_adm


def test_truth_is_the_probability_of_the_simulated_process():
    """Re-run the simulation from the as-of state many times; the share admitted matches p."""
    a, reps = 420, 1500
    model, p, sim = _chunk(5, 20000, a + 1, [a])
    snap = sim.snapshots[a]
    who, p6, p12 = truth.probabilities(p, snap, a)
    # persons in every state: in hospital, recently discharged (excited), quiet; high and low risk
    in_hosp = who[snap.discharge_day[who] >= a]
    excited = who[(snap.excitation[who] > 0.1) & (snap.discharge_day[who] < a)]
    rng = np.random.default_rng(0)
    quiet_rank = who[np.argsort(p12)]
    chosen = np.unique(np.concatenate([in_hosp[:30], excited[:40], quiet_rank[-30:], rng.choice(who, 20)]))
    assert len(in_hosp) and len(excited)
    rep = np.repeat(chosen, reps)
    state = simulate.Snapshot(snap.alive[rep], snap.excitation[rep], snap.discharge_day[rep])
    run = simulate.simulate(np.random.default_rng(99), model, _take(p, rep), a + truth.HORIZON_12M, [], a, state)
    adm = run.admissions
    first = np.full(len(rep), np.iinfo(np.int64).max)
    np.minimum.at(first, adm.pid, adm.start // 1440)
    hit12 = (first < a + truth.HORIZON_12M).reshape(len(chosen), reps).mean(axis=1)
    hit6 = (first < a + truth.HORIZON_6M).reshape(len(chosen), reps).mean(axis=1)
    pos = np.searchsorted(who, chosen)
    for hit, prob in ((hit12, p12[pos]), (hit6, p6[pos])):
        z = (hit - prob) / np.sqrt(prob * (1 - prob) / reps + 1e-12)
        assert np.abs(z).max() < 4.5, np.abs(z).max()
        assert abs(np.mean(z**2) - 1) < 0.35  # chi-square per person ~ 1
    assert hazards.M_HOSPITAL > 1  # the in-hospital part of the state mattered above
