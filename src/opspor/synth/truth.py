"""The ground truth: each living person's probability of an acute admission after an as-of date.

``p_admission_Nd`` is the probability, under the generator's own process and given its state at
the start of the as-of day (latent conditions, frailty, residence, age, excitation by earlier
admissions, the discharge day of an admission in progress), that the person has at least one
acute admission (priority acute, >= 12 h) starting on one of the days as_of, ..., as_of + N - 1,
i.e. at a time in [as_of 00:00, as_of + N days 00:00). Death is a competing risk: a person who
dies first has no admission. N = 182 ("6 months") and 365 ("12 months").

Before the first new admission the hazards are a deterministic function of that state
(``hazards.py``), so the probability is an exact sum over the daily grid:

    S_0 = 1
    P(first admission on day k) = S_k * (1 - qd_k) * qa_k
    S_{k+1} = S_k * (1 - qd_k) * (1 - qa_k)

with ``qd``/``qa`` the same daily probabilities the simulation draws against (qa = 0 while the
admission in progress lasts; its discharge excites the hazard afterwards exactly as in the
simulation).
"""

from __future__ import annotations

import numpy as np

from opspor.synth import hazards
from opspor.synth.population import Persons
from opspor.synth.simulate import Snapshot

HORIZON_6M = 182
HORIZON_12M = 365


def probabilities(p: Persons, snap: Snapshot, asof_day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person indices alive at the as-of day, p_6m, p_12m).

    Persons who are not in hospital and have never been admitted (excitation exactly 0) have
    daily probabilities that are constant between birthdays, so their sums are geometric series
    (``_quiet``); the others are summed day by day (``_daily``). Both give the same number.
    """
    who = np.flatnonzero(snap.alive)
    quiet = (snap.excitation[who] == 0.0) & (snap.discharge_day[who] < asof_day)
    p6 = np.empty(len(who))
    p12 = np.empty(len(who))
    p6[quiet], p12[quiet] = _quiet(p, who[quiet], asof_day)
    p6[~quiet], p12[~quiet] = _daily(p, who[~quiet], snap, asof_day)
    return who, p6, p12


def _daily(p: Persons, who: np.ndarray, snap: Snapshot, asof_day: int) -> tuple[np.ndarray, np.ndarray]:
    """The defining sum, one day at a time (any state)."""
    tab = hazards.tables()
    sex, bday = p.sex[who], p.bday[who]
    s_adm, s_death = p.s_adm[who], p.s_death[who]
    excitation = snap.excitation[who].copy()
    discharge = snap.discharge_day[who]
    surv = np.ones(len(who))
    p_adm = np.zeros(len(who))
    p6 = p_adm
    for k in range(HORIZON_12M):
        day = asof_day + k
        medical, birth, death = hazards.base_rates(tab, hazards.table_index(sex, bday, day), s_adm, s_death)
        q_death, q_adm = hazards.day_probabilities(medical, birth, death, excitation, discharge >= day)
        stay = surv * (1.0 - q_death)
        p_adm += stay * q_adm
        surv = stay * (1.0 - q_adm)
        if k == HORIZON_6M - 1:
            p6 = p_adm.copy()
        hazards.update_excitation(excitation, discharge, day)
    return p6, p_adm


def _quiet(p: Persons, who: np.ndarray, asof_day: int) -> tuple[np.ndarray, np.ndarray]:
    """Closed form for constant daily probabilities between birthdays (no excitation, not admitted).

    Over ``L`` days with constant ``qd``, ``qa`` and ``s = (1 - qd)(1 - qa)`` the sum
    ``sum_k S s^k (1 - qd) qa`` is ``S (1 - qd) qa (1 - s^L) / (1 - s)`` and survival becomes
    ``S s^L``; ``1 - s`` and ``s^L`` are computed with log1p/expm1 to keep full precision.
    """
    tab = hazards.tables()
    sex, bday = p.sex[who], p.bday[who]
    s_adm, s_death = p.s_adm[who], p.s_death[who]
    zero = np.zeros(len(who))
    home = np.zeros(len(who), dtype=bool)
    idx0 = hazards.table_index(sex, bday, asof_day)
    change = np.clip(hazards.next_birthday(bday, asof_day) - asof_day, 0, HORIZON_12M)
    idx1 = hazards.table_index(sex, bday, asof_day + np.maximum(change, 1))
    pieces = []
    for idx in (idx0, idx1):
        q_death, q_adm = hazards.day_probabilities(*hazards.base_rates(tab, idx, s_adm, s_death), zero, home)
        pieces.append((q_death, q_adm))
    cut6 = np.minimum(change, HORIZON_6M)
    cut12 = np.maximum(change, HORIZON_6M)
    segments = (  # (piece, length): before/after the birthday, split at the 6-month horizon
        (0, cut6),
        (1, HORIZON_6M - cut6),
        (0, cut12 - HORIZON_6M),
        (1, HORIZON_12M - cut12),
    )
    surv = np.ones(len(who))
    p_adm = np.zeros(len(who))
    p6 = p_adm
    for i, (piece, length) in enumerate(segments):
        q_death, q_adm = pieces[piece]
        log_s = np.log1p(-q_death) + np.log1p(-q_adm)
        one_minus_s = q_death + q_adm - q_death * q_adm
        decay = -np.expm1(length * log_s)
        frac = np.where(one_minus_s > 0, decay / np.where(one_minus_s > 0, one_minus_s, 1.0), length)
        p_adm = p_adm + surv * (1.0 - q_death) * q_adm * frac
        surv = surv * np.exp(length * log_s)
        if i == 1:
            p6 = p_adm
    return p6, p_adm
