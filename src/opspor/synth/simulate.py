"""The daily-grid simulation of acute admissions and deaths, with state snapshots for the truth.

For each day, vectorised over the chunk's persons: death first (``q_death``), then, for the living
who are not in hospital, the start of an acute admission (``q_admission``); one uniform number per
person and day decides both (death if ``U < q_death``, admission if
``q_death <= U < q_death + (1 - q_death) * q_admission``). An admission gets its cause, start time
and length of stay (>= 12 h) when it starts; the person is in hospital up to and including the
discharge day. At each as-of day the state that the truth needs (alive, excitation, discharge day
of the ongoing admission) is copied before the day is simulated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from opspor.synth import hazards
from opspor.synth.model import LOS_CLASSES, LOS_KEYS, Model, age_group
from opspor.synth.population import Persons

MINUTES_PER_DAY = 1440
MAX_LOS_MINUTES = 180 * MINUTES_PER_DAY
# Hour-of-day profile of acute arrivals (relative weights, 00-23).
ACUTE_HOURS = np.array(
    [2.0, 1.6, 1.3, 1.1, 1.0, 1.0, 1.2, 1.8, 3.0, 4.5, 5.2, 5.3, 5.1, 5.0, 4.9, 4.8, 4.7, 4.6, 4.4, 4.2, 3.9, 3.5, 3.0, 2.5]
)
ACUTE_HOURS_CUM = np.cumsum(ACUTE_HOURS / ACUTE_HOURS.sum())

KIND_BIRTH, KIND_CONDITION, KIND_GENERAL = 0, 1, 2
LOS_MEDICAL = LOS_KEYS.index("medical")
LOS_PAEDIATRIC = LOS_KEYS.index("paediatric")
LOS_BIRTH = LOS_KEYS.index("birth")
LOS_MEDIAN = np.log(np.array([LOS_CLASSES[k][0] for k in LOS_KEYS]))
LOS_SD = np.array([LOS_CLASSES[k][1] for k in LOS_KEYS])


@dataclass
class Snapshot:
    alive: np.ndarray
    excitation: np.ndarray
    discharge_day: np.ndarray  # discharge day of the last admission (>= as-of day: in hospital)


@dataclass
class Admissions:
    pid: np.ndarray
    start: np.ndarray  # minutes since start 00:00
    end: np.ndarray  # planned discharge, minutes since start (may pass the period end)
    kind: np.ndarray
    ref: np.ndarray  # condition index or cause index
    los_class: np.ndarray


@dataclass
class SimResult:
    admissions: Admissions
    death_day: np.ndarray  # -1 = alive at the end of the period
    death_admission: np.ndarray  # index into admissions of an in-hospital death, -1 otherwise
    snapshots: dict[int, Snapshot] = field(default_factory=dict)


def acute_minute_of_day(rng: np.random.Generator, k: int) -> np.ndarray:
    """Start minute within the day (1-1439, never exactly midnight) with the acute hour profile."""
    hour = np.searchsorted(ACUTE_HOURS_CUM, rng.random(k), side="right")
    minute = hour * 60 + rng.integers(0, 60, size=k)
    return np.maximum(minute, 1)


def condition_cum(model: Model, p: Persons, which: str) -> np.ndarray:
    """Per person, cumulative weights of (general cause, condition 1..C) for the cause of a contact."""
    hr = np.array([getattr(c, which) for c in model.conditions])
    w = np.concatenate([np.ones((p.n, 1)), p.has * (hr - 1.0)], axis=1)
    return np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)


def los_minutes(rng: np.random.Generator, los_class: np.ndarray, age: np.ndarray, frailty: np.ndarray) -> np.ndarray:
    mu = LOS_MEDIAN[los_class] + np.where(
        los_class == LOS_MEDICAL, 0.012 * (age - 60) + 0.5 * np.log(frailty), 0.0
    )
    hours = np.exp(mu + LOS_SD[los_class] * rng.standard_normal(len(los_class)))
    return np.minimum(720 + np.rint(hours * 60).astype(np.int64), MAX_LOS_MINUTES)


def _group(keys: np.ndarray, values: np.ndarray):
    """(key, values with that key) for each distinct key."""
    for key in np.unique(keys):
        yield int(key), values[keys == key]


def birthday_schedule(bday: np.ndarray, first_day: int, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """(day, person) of every change of age on days first_day+1 .. n_days-1, sorted by day."""
    days, pids = [], []
    pid = np.arange(len(bday))
    nxt = hazards.next_birthday(bday, first_day)
    while len(pid):
        m = nxt < n_days
        pid, nxt = pid[m], nxt[m]
        days.append(nxt)
        pids.append(pid)
        nxt = hazards.next_birthday(bday[pid], nxt)
    day = np.concatenate(days) if days else np.zeros(0, dtype=np.int64)
    who = np.concatenate(pids) if pids else np.zeros(0, dtype=np.int64)
    order = np.argsort(day, kind="stable")
    return day[order], who[order]


def simulate(
    rng: np.random.Generator,
    model: Model,
    p: Persons,
    n_days: int,
    asof_days: list[int],
    first_day: int = 0,
    state: Snapshot | None = None,
    trial_day: int | None = None,
    trial_hook: Callable[[Snapshot], np.ndarray] | None = None,
    shift: tuple[int, np.ndarray] | None = None,
) -> SimResult:
    """Simulate days ``first_day`` .. ``n_days - 1``, from a fresh start or from ``state``.

    ``trial_hook`` (``opspor synth --trial``, :mod:`opspor.synth.trial`): called with the state at
    the start of ``trial_day``; it returns a per-person factor that multiplies the acute-admission
    hazard (after its cap, before the excitation) from that day on; a hook may then hold a
    ``schedule`` {day: (persons, factor)} of factors that start on later days. Without it nothing
    changes.

    ``shift`` (``opspor synth --risk-shift``, :mod:`opspor.synth.risk_shift`): (day, per-person
    factor) — from that day on the person-level acute-admission scale ``s_adm`` is multiplied by
    the factor (the hazard's cap applies as before, so the truth computed with the shifted scale
    is exact).
    """
    tab = hazards.tables()
    s_adm = p.s_adm
    n = p.n
    alive = np.ones(n, dtype=bool) if state is None else state.alive.copy()
    death_day = np.full(n, -1, dtype=np.int64)
    death_adm = np.full(n, -1, dtype=np.int64)
    discharge = np.full(n, -1, dtype=np.int64) if state is None else state.discharge_day.copy()
    last_adm = np.full(n, -1, dtype=np.int64)
    excitation = np.zeros(n) if state is None else state.excitation.copy()
    cum_cond = condition_cum(model, p, "hr_admission")
    snapshots: dict[int, Snapshot] = {}
    asof = set(asof_days)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("pid", "start", "end", "kind", "ref", "los")}
    n_adm = 0
    # Base hazards change only on birthdays: set them once, update them on the day they change.
    # Persons never admitted have no excitation, so their admission probability is the "quiet"
    # one (excitation 0); the excitation term is computed only for persons ever discharged.
    medical, birth, death = hazards.base_rates(
        tab, hazards.table_index(p.sex, p.bday, first_day), s_adm, p.s_death
    )
    qd_home, qd_hosp = hazards.death_probabilities(death)
    qa_quiet = hazards.admission_probability(medical, birth, 0.0)
    excited = np.flatnonzero(excitation > 0)
    is_excited = excitation > 0
    discharges: dict[int, list[np.ndarray]] = {}
    ongoing = np.flatnonzero(discharge >= first_day)  # admissions in progress in a resumed state
    for d_day, d_pid in _group(discharge[ongoing], ongoing):
        discharges.setdefault(d_day, []).append(d_pid)
    adm_factor: np.ndarray | None = None  # set by the trial hook
    schedule: dict[int, tuple[np.ndarray, float]] = {}  # {day: (persons, factor)}: the hook's later starts
    b_day, b_pid = birthday_schedule(p.bday, first_day, n_days)
    b_bounds = np.searchsorted(b_day, np.arange(first_day, n_days + 1))
    for day in range(first_day, n_days):
        if day in asof:
            snapshots[day] = Snapshot(alive.copy(), excitation.copy(), discharge.copy())
        lo, hi = b_bounds[day - first_day], b_bounds[day - first_day + 1]
        if hi > lo:
            who = b_pid[lo:hi]
            idx = hazards.table_index(p.sex[who], p.bday[who], day)
            medical[who], birth[who], death[who] = hazards.base_rates(tab, idx, s_adm[who], p.s_death[who])
            qd_home[who], qd_hosp[who] = hazards.death_probabilities(death[who])
            if adm_factor is not None:
                medical[who] *= adm_factor[who]
            qa_quiet[who] = hazards.admission_probability(medical[who], birth[who], 0.0)
        if shift is not None and day == shift[0]:  # --risk-shift: the scale changes from today
            who = np.flatnonzero(shift[1] != 1.0)
            s_adm = s_adm * shift[1]
            idx = hazards.table_index(p.sex[who], p.bday[who], day)
            medical[who] = hazards.base_rates(tab, idx, s_adm[who], p.s_death[who])[0]
            if adm_factor is not None:
                medical[who] *= adm_factor[who]
            qa_quiet[who] = hazards.admission_probability(medical[who], birth[who], 0.0)
        if trial_hook is not None and day == trial_day:
            adm_factor = trial_hook(Snapshot(alive.copy(), excitation.copy(), discharge.copy()))
            medical *= adm_factor
            qa_quiet = hazards.admission_probability(medical, birth, 0.0)
            schedule = dict(getattr(trial_hook, "schedule", None) or {})
        if day in schedule:  # the hook's later starts (staggered telemonitoring enrolment)
            who, factor = schedule.pop(day)
            medical[who] *= factor
            adm_factor[who] *= factor
            qa_quiet[who] = hazards.admission_probability(medical[who], birth[who], 0.0)
        in_hospital = discharge >= day
        q_death = np.where(in_hospital, qd_hosp, qd_home)
        q_adm = qa_quiet.copy()
        if len(excited):
            q_adm[excited] = hazards.admission_probability(medical[excited], birth[excited], excitation[excited])
        q_adm[in_hospital] = 0.0
        u = rng.random(n)
        die = u < q_death
        die &= alive
        admit = u < q_death + (1.0 - q_death) * q_adm
        admit &= alive
        admit &= ~die
        if die.any():
            dead = np.flatnonzero(die)
            death_day[dead] = day
            death_adm[dead] = np.where(in_hospital[dead], last_adm[dead], -1)
            alive[dead] = False
        if admit.any():
            pid = np.flatnonzero(admit)
            k = len(pid)
            h_med, h_birth = hazards.admission_parts(medical[pid], birth[pid], excitation[pid])
            uu = rng.random((k, 3))
            is_birth = uu[:, 0] * (h_med + h_birth) < h_birth
            which = (uu[:, 1][:, None] >= cum_cond[pid]).sum(axis=1)  # 0 = general, c+1 = condition c
            which = np.minimum(which, model.n_conditions)
            age = hazards.age_on(p.bday[pid], day)
            group = age_group(age)
            general = model.acute_admission.draw(group, p.sex[pid], uu[:, 2])
            kind = np.where(is_birth, KIND_BIRTH, np.where(which > 0, KIND_CONDITION, KIND_GENERAL))
            ref = np.where(kind == KIND_CONDITION, which - 1, np.where(kind == KIND_GENERAL, general, 0))
            cond_los = np.array([c.los for c in model.conditions], dtype=np.int64)
            cause_los = model.acute_admission.los
            los_class = np.where(
                kind == KIND_BIRTH,
                LOS_BIRTH,
                np.where(
                    kind == KIND_CONDITION,
                    cond_los[np.minimum(ref, len(cond_los) - 1)],
                    cause_los[np.minimum(ref, len(cause_los) - 1)],
                ),
            )
            los_class = np.where((age < 18) & (los_class == LOS_MEDICAL), LOS_PAEDIATRIC, los_class)
            start = day * 1440 + acute_minute_of_day(rng, k)
            end = start + los_minutes(rng, los_class, age, p.frailty[pid])
            discharge[pid] = end // 1440
            for d_day, d_pid in _group(end // 1440, pid):
                discharges.setdefault(d_day, []).append(d_pid)
            last_adm[pid] = n_adm + np.arange(k)
            n_adm += k
            for key, val in zip(out, (pid, start, end, kind, ref, los_class)):
                out[key].append(val)
        # advance the excitation to the next day, exactly as hazards.update_excitation does
        if len(excited):
            excitation[excited] *= hazards.R
        if day in discharges:
            out_today = np.concatenate(discharges.pop(day))
            excitation[out_today] += hazards.ALPHA_R
            new = out_today[~is_excited[out_today]]
            if len(new):
                is_excited[new] = True
                excited = np.concatenate([excited, new])  # order is irrelevant, no duplicates
    cat = {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in out.items()}
    adm = Admissions(
        pid=cat["pid"].astype(np.int64),
        start=cat["start"].astype(np.int64),
        end=cat["end"].astype(np.int64),
        kind=cat["kind"].astype(np.int8),
        ref=cat["ref"].astype(np.int64),
        los_class=cat["los"].astype(np.int8),
    )
    return SimResult(adm, death_day, death_adm, snapshots)
