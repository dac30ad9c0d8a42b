"""The synthetic population: who lives where, their CPR, name, GP, residence and latent health.

Built in two steps. ``skeleton`` draws age, sex and municipality per chunk (cheap); the CPR serial
numbers and the GP practices need the whole population (unique serials per birth date and sex,
practices sized by their municipality's head count) and are fixed globally by ``assign_serials``
and ``Practices``. ``persons`` then completes one chunk: latent conditions, frailty, residence,
hospital unit, name, GP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from opspor import reference as ref
from opspor.synth import hazards
from opspor.synth.departments import units
from opspor.synth.model import Model

# Population by 5-year age band and sex (thousands), Denmark, 1 January 2024, rounded
# (Danmarks Statistik FOLK1A); the last band is 100-104. Used as weights only.
PYRAMID_M = [158, 160, 176, 175, 190, 215, 200, 180, 172, 188, 205, 208, 180, 160, 153, 135, 80, 37, 12, 2.4, 0.2]
PYRAMID_F = [150, 152, 167, 166, 182, 205, 193, 177, 170, 186, 203, 206, 181, 166, 164, 153, 100, 55, 24, 6.5, 1.1]

RESIDENCE = ("own_home", "nursing_home", "assisted_living")
_NURSING_KNOTS = [0, 60, 65, 75, 85, 90, 95, 110]
_NURSING_P = [0, 0.0007, 0.003, 0.012, 0.075, 0.15, 0.28, 0.45]
RESIDENCE_UNKNOWN = 0.02
GP_UNKNOWN = 0.01
RESIDENTS_PER_PRACTICE = 3500
MIDDLE_NAME = 0.25


@dataclass
class Skeleton:
    bday: np.ndarray  # birth day, days relative to start (<= 0)
    sex: np.ndarray  # 0 = M, 1 = F
    muni: np.ndarray  # index into the municipality list


def municipality_list(region: str | None) -> tuple[list[str], np.ndarray]:
    munis = [m for m in ref.municipalities() if region is None or m.region_code == region]
    if not munis:
        raise ValueError(f"no municipalities in region {region!r}")
    weights = np.array([m.population for m in munis], dtype=float)
    return [m.code for m in munis], weights / weights.sum()


def skeleton(rng: np.random.Generator, n: int, muni_weights: np.ndarray) -> Skeleton:
    w = np.array(PYRAMID_M + PYRAMID_F, dtype=float)
    band = rng.choice(len(w), size=n, p=w / w.sum())
    sex = (band >= len(PYRAMID_M)).astype(np.int8)
    band = band % len(PYRAMID_M)
    age_days = (band * 5 * 365.25 + rng.random(n) * 5 * 365.25).astype(np.int64)
    muni = rng.choice(len(muni_weights), size=n, p=muni_weights).astype(np.int16)
    return Skeleton(bday=-age_days, sex=sex, muni=muni)


def assign_serials(bday: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """CPR serials 0-999, unique per birth date; odd for men, even for women (whole population)."""
    key = (bday - bday.min()) * 2 + sex
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    group_start = np.repeat(first, np.diff(np.r_[first, len(key)]))
    rank = np.arange(len(key)) - group_start
    if len(rank) and rank.max() >= 500:
        raise ValueError("more than 500 persons of one sex born on one day: CPR serials exhausted")
    offset = (sorted_key * 137) % 500
    j = (rank * 7 + offset) % 500
    serial = np.empty(len(key), dtype=np.int64)
    serial[order] = 2 * j + (sex[order] == 0)
    return serial


def birth_dates(start: dt.date, bday: np.ndarray) -> np.ndarray:
    return np.datetime64(start, "D") + bday


def cpr_numbers(start: dt.date, bday: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """10-digit CPR numbers as int64 (format with 10 digits, leading zeros). Same rule as cpr.make."""
    births = birth_dates(start, bday)
    year = births.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = births.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day = (births - month_start).astype(np.int64) + 1
    if year.min(initial=1900) < 1858 or year.max(initial=1900) > 2036:
        raise ValueError("birth years outside 1858-2036 have no CPR century rule")
    first = np.where(year >= 2000, 4, np.where(year >= 1900, 0, 5))
    return ((day * 100 + month) * 100 + year % 100) * 10000 + first * 1000 + serial


class Practices:
    """GP practices (ydernummer) per municipality, about one per 3,500 residents."""

    def __init__(self, rng: np.random.Generator, muni_counts: np.ndarray) -> None:
        k = np.where(muni_counts > 0, np.maximum(1, np.rint(muni_counts / RESIDENTS_PER_PRACTICE)), 0).astype(np.int64)
        total = int(k.sum())
        self.numbers = (rng.choice(900_000, size=total, replace=False) + 100_000).astype(np.int64)
        weights = rng.gamma(4.0, 1.0, size=total)
        self.muni_of = np.repeat(np.arange(len(k)), k)
        cum = np.empty(total)
        offsets = np.r_[0, np.cumsum(k)]
        for m in np.flatnonzero(k):
            w = weights[offsets[m] : offsets[m + 1]]
            c = np.cumsum(w / w.sum())
            c[-1] = 1.0
            cum[offsets[m] : offsets[m + 1]] = c
        self.grid = self.muni_of + cum  # increasing: municipality m occupies (m, m + 1]

    def assign(self, rng: np.random.Generator, muni: np.ndarray) -> np.ndarray:
        u = rng.random(len(muni))
        practice = np.searchsorted(self.grid, muni + u, side="right")
        return self.numbers[np.minimum(practice, len(self.numbers) - 1)]


@dataclass
class Persons:
    """One chunk of persons: everything the process and the writers need, as arrays."""

    n: int
    cpr: np.ndarray  # int64, format with 10 digits
    bday: np.ndarray
    sex: np.ndarray
    muni: np.ndarray
    first_name: np.ndarray
    middle_name: np.ndarray  # -1 = none
    surname: np.ndarray
    gp: np.ndarray  # int64 ydernummer, -1 = unknown
    residence: np.ndarray  # index into RESIDENCE (latent, true)
    residence_recorded: np.ndarray  # -1 = unknown
    has: np.ndarray  # (n, n_conditions) bool
    code: np.ndarray  # (n, n_conditions) int32 code of each condition, -1 = none
    frailty: np.ndarray
    s_adm: np.ndarray
    s_out: np.ndarray
    s_death: np.ndarray
    s_planned: np.ndarray  # factor on planned-contact rates (frailty; hazards.planned_scale)
    unit: np.ndarray  # catchment hospital unit index
    site: np.ndarray  # preferred site slot


def _catchment_table(muni_codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per municipality: unit indices and cumulative shares, padded to 3 columns."""
    u = units()
    rows: dict[str, list[tuple[int, float]]] = {}
    for c in ref.catchment():
        rows.setdefault(c.municipality_code, []).append((u.index(c.hospital_unit), c.share))
    width = max(len(v) for v in rows.values())
    unit_idx = np.zeros((len(muni_codes), width), dtype=np.int64)
    cum = np.ones((len(muni_codes), width))
    for m, code in enumerate(muni_codes):
        entries = rows[code]
        shares = np.array([s for _, s in entries])
        unit_idx[m, : len(entries)] = [i for i, _ in entries]
        unit_idx[m, len(entries) :] = entries[-1][0]
        cum[m, : len(entries)] = np.cumsum(shares / shares.sum())
    return unit_idx, cum


def persons(
    rng: np.random.Generator,
    model: Model,
    sk: Skeleton,
    serial: np.ndarray,
    start: dt.date,
    muni_codes: list[str],
    practices: Practices,
) -> Persons:
    n = len(sk.bday)
    age = hazards.age_on(sk.bday, 0)
    band = np.searchsorted(model.age_bands, age, side="right") - 1
    # Multimorbidity factor z: shared by conditions and frailty.
    z = rng.standard_normal(n)
    w = rng.standard_normal(n)
    s = hazards.FRAILTY_SIGMA
    rho = hazards.FRAILTY_RHO
    frailty = np.exp(s * (rho * z + np.sqrt(1 - rho**2) * w) - s * s / 2)
    kappa = hazards.CONDITION_KAPPA
    lift = np.exp(kappa * z - kappa * kappa / 2)
    n_cond = model.n_conditions
    has = np.zeros((n, n_cond), dtype=bool)
    code = np.full((n, n_cond), -1, dtype=np.int32)
    u_cond = rng.random((n, n_cond))
    u_code = rng.random((n, n_cond))
    for c, cond in enumerate(model.conditions):
        p = np.minimum(cond.prevalence[sk.sex, band] * lift, 0.95)
        has[:, c] = u_cond[:, c] < p
        for sx in (0, 1):
            sel = has[:, c] & (sk.sex == sx)
            codes, cum = cond.codes[sx]
            code[sel, c] = codes[np.minimum(np.searchsorted(cum, u_code[sel, c], side="right"), len(codes) - 1)]
    dementia = has[:, model.condition_index("dementia")]
    psych = has[:, model.condition_index("schizophrenia")] | has[:, model.condition_index("substance_abuse")]
    p_nursing = np.interp(age, _NURSING_KNOTS, _NURSING_P) * (1 + 3 * dementia) * np.sqrt(frailty)
    p_nursing = np.minimum(p_nursing, 0.9)
    p_assisted = np.where(age < 18, 0.0, np.where(age < 65, 0.002 + 0.03 * psych, 0.012))
    u_res = rng.random(n)
    residence = np.where(u_res < p_nursing, 1, np.where(u_res < p_nursing + p_assisted, 2, 0)).astype(np.int8)
    residence_recorded = np.where(rng.random(n) < RESIDENCE_UNKNOWN, -1, residence).astype(np.int8)

    hr = np.array([[c.hr_admission, c.hr_outpatient, c.hr_death] for c in model.conditions])
    log_hr = has.astype(float) @ np.log(hr)  # (n, 3)
    res_hr = np.log(np.array([hazards.RESIDENCE_HR[r] for r in RESIDENCE]))[residence]
    s_adm = frailty * np.exp(log_hr[:, 0] + res_hr[:, 0])
    s_out = frailty**hazards.FRAILTY_OUTPATIENT_POWER * np.exp(log_hr[:, 1] + res_hr[:, 1])
    s_death = frailty**hazards.FRAILTY_DEATH_POWER * np.exp(log_hr[:, 2] + res_hr[:, 2])

    unit_idx, cum = _catchment_table(muni_codes)
    u_unit = rng.random(n)
    col = (u_unit[:, None] >= cum[sk.muni]).sum(axis=1)
    unit = unit_idx[sk.muni, np.minimum(col, unit_idx.shape[1] - 1)]
    site = rng.integers(0, 2, size=n)

    names = model.names
    first_m = rng.integers(0, len(names["male"]), size=n)
    first_f = rng.integers(0, len(names["female"]), size=n)
    first_name = np.where(sk.sex == 0, first_m, first_f)
    surname = rng.integers(0, len(names["surnames"]), size=n)
    middle = rng.integers(0, len(names["surnames"]), size=n)
    middle_name = np.where((rng.random(n) < MIDDLE_NAME) & (middle != surname), middle, -1)
    gp = practices.assign(rng, sk.muni)
    gp = np.where(rng.random(n) < GP_UNKNOWN, -1, gp)

    return Persons(
        n=n,
        cpr=cpr_numbers(start, sk.bday, serial),
        bday=sk.bday,
        sex=sk.sex,
        muni=sk.muni,
        first_name=first_name,
        middle_name=middle_name,
        surname=surname,
        gp=gp,
        residence=residence,
        residence_recorded=residence_recorded,
        has=has,
        code=code,
        frailty=frailty,
        s_adm=s_adm,
        s_out=s_out,
        s_death=s_death,
        s_planned=hazards.planned_scale(frailty),
        unit=unit,
        site=site,
    )
