"""The hazards of the synthetic process: one definition used by the simulation and by the truth.

Time runs on a daily grid (day 0 = ``--start``). On each day a living person first dies with
probability ``q_death``; if still alive and not in hospital, an acute admission starts with
probability ``q_admission``. Both are ``1 - exp(-h)`` of a daily hazard ``h``:

    h_admission(d) = min(B_adm[sex, age(d)] * s_adm, CAP) * (1 + min(E(d), E_MAX)) + B_birth[sex, age(d)]
    h_death(d)     = B_death[sex, age(d)] * s_death * (M_HOSPITAL if in hospital on d else 1)

``s_adm`` and ``s_death`` are fixed per person (conditions, frailty, residence). ``E`` is the
self-excitation by earlier acute admissions: ``E(d) = sum_j ALPHA * R**(d - e_j)`` over admissions
``j`` discharged on day ``e_j < d`` (``R = exp(-1/TAU)``), updated once a day by ``update_excitation``.
Nothing else enters: acute outpatient and planned contacts never change these hazards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from opspor.synth.model import MAX_AGE

DAYS_PER_YEAR = 365.25

# Self-excitation of acute admissions.
ALPHA = 3.0  # extra hazard right after discharge, relative to the person's own level
TAU = 25.0  # decay time in days
R = math.exp(-1.0 / TAU)
ALPHA_R = ALPHA * R
E_MAX = 6.0
CAP = 6.0 / DAYS_PER_YEAR  # ceiling on the person's base acute-admission hazard (per day)

M_HOSPITAL = 50.0  # death hazard multiplier while admitted

# Person-level heterogeneity.
FRAILTY_SIGMA = 1.0  # sd of log frailty
FRAILTY_RHO = 0.55  # correlation of log frailty with the latent multimorbidity factor
CONDITION_KAPPA = 0.55  # log-odds-like loading of condition prevalence on the same factor
FRAILTY_DEATH_POWER = 0.7
FRAILTY_OUTPATIENT_POWER = 1.0
# Planned activity (condition follow-ups, other outpatient visits, radiology for practice, home
# visits) scales with frailty**FRAILTY_PLANNED_POWER, divided by its population mean so the volume
# stays. Frail persons use more everyday care, as in real registries; it never feeds back into the
# admission process, but it lets a model see the frailty through frequent events (docs/risk.md).
FRAILTY_PLANNED_POWER = 1.5
RESIDENCE_HR = {  # (admission, outpatient, death) hazard ratios
    "own_home": (1.0, 1.0, 1.0),
    "nursing_home": (1.4, 1.2, 2.2),
    "assisted_living": (1.3, 1.2, 1.5),
}

# Reference persons (no conditions, frailty 1, own home): annual rates at age knots, log-linear
# in between.
_ADM_KNOTS = [0, 1, 5, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100, MAX_AGE]
_ADM_RATES = [0.14, 0.06, 0.027, 0.03, 0.03, 0.03, 0.035, 0.045, 0.07, 0.13, 0.24, 0.38, 0.45, 0.45]
_ADM_SEX = (1.10, 0.92)
_OUT_KNOTS = [0, 1, 5, 15, 20, 30, 60, 70, 80, 90, MAX_AGE]
_OUT_RATES = [0.38, 0.28, 0.16, 0.19, 0.19, 0.14, 0.14, 0.16, 0.22, 0.27, 0.27]
_FERT_KNOTS = [0, 15, 20, 25, 30, 35, 40, 45, 50, MAX_AGE]
_FERT_RATES = [0, 0, 0.01, 0.07, 0.12, 0.07, 0.02, 0.002, 0, 0]
BIRTH_ADMITTED = 0.7  # share of births that are admissions (>= 12 h); the rest are outpatient
_DEATH_SEX = (1.3, 0.8)


def planned_scale(frailty: np.ndarray) -> np.ndarray:
    """The factor on a person's planned-contact rates: frailty**power over its population mean."""
    k, s = FRAILTY_PLANNED_POWER, FRAILTY_SIGMA
    return frailty**k / math.exp(k * (k - 1) * s * s / 2)


def _loglinear(knots: list[float], rates: list[float]) -> np.ndarray:
    ages = np.arange(MAX_AGE + 1, dtype=float)
    return np.exp(np.interp(ages, knots, np.log(rates)))


def _death_annual() -> np.ndarray:
    ages = np.arange(MAX_AGE + 1, dtype=float)
    gompertz = np.exp(-11.6 + 0.1 * ages)
    young = np.interp(ages, [0, 1, 5, 30], [0.0025, 0.0002, 0.0001, 0.0004])
    return np.maximum(gompertz, young)


@dataclass(frozen=True)
class Tables:
    """Daily base hazards by (sex, age), flattened: index ``sex * (MAX_AGE + 1) + age``."""

    adm: np.ndarray
    birth_adm: np.ndarray
    birth_out: np.ndarray
    out: np.ndarray
    death: np.ndarray


@cache
def tables() -> Tables:
    adm = _loglinear(_ADM_KNOTS, _ADM_RATES)
    out = _loglinear(_OUT_KNOTS, _OUT_RATES)
    fert = np.interp(np.arange(MAX_AGE + 1, dtype=float), _FERT_KNOTS, _FERT_RATES)
    death = _death_annual()
    zeros = np.zeros_like(fert)
    per_day = 1.0 / DAYS_PER_YEAR
    return Tables(
        adm=np.concatenate([adm * _ADM_SEX[0], adm * _ADM_SEX[1]]) * per_day,
        birth_adm=np.concatenate([zeros, fert * BIRTH_ADMITTED]) * per_day,
        birth_out=np.concatenate([zeros, fert * (1 - BIRTH_ADMITTED)]) * per_day,
        out=np.concatenate([out, out]) * per_day,
        death=np.concatenate([death * _DEATH_SEX[0], death * _DEATH_SEX[1]]) * per_day,
    )


def age_on(bday: np.ndarray, day) -> np.ndarray:
    """Age in whole years on ``day`` for persons born on day ``bday`` (days since start)."""
    return np.minimum(((day - bday) * 4) // 1461, MAX_AGE)


def next_birthday(bday: np.ndarray, day) -> np.ndarray:
    """First day after ``day`` on which ``age_on`` increases (a large number at MAX_AGE)."""
    age = age_on(bday, day)
    nxt = bday + (-((-1461 * (age + 1)) // 4))  # bday + ceil(1461 * (age + 1) / 4)
    return np.where(age >= MAX_AGE, np.iinfo(np.int64).max // 4, nxt)


def table_index(sex: np.ndarray, bday: np.ndarray, day) -> np.ndarray:
    return sex.astype(np.int64) * (MAX_AGE + 1) + age_on(bday, day)


def base_rates(
    tab: Tables, idx: np.ndarray, s_adm: np.ndarray, s_death: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The person's daily hazards before excitation and hospital stay: (medical, birth, death)."""
    return np.minimum(tab.adm[idx] * s_adm, CAP), tab.birth_adm[idx], tab.death[idx] * s_death


def admission_parts(
    medical: np.ndarray, birth: np.ndarray, excitation: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Daily hazards of a medical acute admission (excited) and of a birth admission."""
    return medical * (1.0 + np.minimum(excitation, E_MAX)), birth


def death_probabilities(death: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Daily probability of death at home and while admitted."""
    return -np.expm1(-death), -np.expm1(-death * M_HOSPITAL)


def admission_probability(medical: np.ndarray, birth: np.ndarray, excitation) -> np.ndarray:
    """Daily probability that an acute admission starts (for a person not in hospital)."""
    excited, birth = admission_parts(medical, birth, excitation)
    return -np.expm1(-(excited + birth))


def day_probabilities(
    medical: np.ndarray,
    birth: np.ndarray,
    death: np.ndarray,
    excitation: np.ndarray,
    in_hospital: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(q_death, q_admission) for one day. q_admission is 0 while in hospital."""
    home, hospital = death_probabilities(death)
    q_death = np.where(in_hospital, hospital, home)
    q_adm = np.where(in_hospital, 0.0, admission_probability(medical, birth, excitation))
    return q_death, q_adm


def update_excitation(excitation: np.ndarray, discharge_day: np.ndarray, day: int) -> None:
    """Advance ``E`` from day ``day`` to ``day + 1`` in place (discharges on ``day`` excite)."""
    excitation *= R
    excitation[discharge_day == day] += ALPHA_R
