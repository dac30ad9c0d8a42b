"""A simulated randomised trial inside the synthetic population (``opspor synth --trial N``).

At the trial's start day T (``--trial-start``), before the day is simulated:

1. **selection**: the ``N`` adults (18+) alive at T with the highest true 12-month admission
   probability at T (``truth.probabilities``, the generator's own risk), like the trial's
   "highest-risk persons in each region". The quota is spread over the chunks in proportion to
   their size (largest remainders), and the highest-risk persons of each chunk are taken, so the
   output stays independent of the number of workers;
2. **randomisation** 1:1 within each region (per chunk: a random permutation of the region's
   selected persons, the first half — and for an odd number one more with probability 1/2 —
   to the intervention arm), from its own random stream (``STREAM_TRIAL``), so the simulation's
   streams are not touched by the draw;
3. **effect**: from T on, the intervention arm's daily hazard of a (non-birth) acute admission
   is multiplied by ``--trial-effect`` (1.0: no effect). The factor applies after the hazard's cap,
   to every later day (also the excited hazard after a discharge); deaths, outpatient and
   planned contacts are not changed.

Well-being: WHO-5 scores (0-100, multiples of 4) at months 0, 3, 6 and 12 (days T, T+91,
T+182, T+365): ``58 - 6 log(frailty) + u_i + e_it`` with ``u_i ~ N(0, 14²)``, ``e_it ~ N(0, 9²)``,
plus ``--trial-who5-effect`` points for the intervention arm at months 3, 6 and 12; clipped to
0-100. Missing when the person died before the visit, when the visit lies after the period, and
for 10 % of follow-up visits at random (non-response).

Outputs (``truth/``, not part of the drop): ``trial.<ext>`` (one row per randomised person:
cpr, region_code, municipality_code, stratum, arm, randomised_on, p_admission_12m at T) and
``trial_who5.<ext>`` (cpr, visit_month, visit_date, who5). The ground truth is unchanged: it is
the risk *without* the programme (for the intervention arm after T the observed admissions fall
below it by design).

The put-in effect is a hazard ratio on the admission hazard given the person's state. The
intention-to-treat rate ratio of admissions over a window is close to it but not identical:
fewer admissions mean less self-excitation (ratio further from 1) and less time in hospital,
hence more time at risk (ratio closer to 1). docs/monitoring.md gives the measured difference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from opspor import reference as ref
from opspor.synth import hazards, truth
from opspor.synth.population import Persons
from opspor.synth.simulate import Snapshot

ARMS = ("intervention", "control")
VISIT_MONTHS = (0, 3, 6, 12)
VISIT_DAYS = (0, 91, 182, 365)
MIN_AGE = 18
WHO5_MEAN, WHO5_FRAILTY, WHO5_PERSON_SD, WHO5_RESIDUAL_SD = 58.0, 6.0, 14.0, 9.0
NONRESPONSE = 0.10

TRIAL_SCHEMA = pa.schema([("cpr", pa.string()), ("region_code", pa.string()),
                          ("municipality_code", pa.string()), ("stratum", pa.string()),
                          ("arm", pa.string()), ("randomised_on", pa.string()),
                          ("p_admission_12m", pa.float64())])
WHO5_SCHEMA = pa.schema([("cpr", pa.string()), ("visit_month", pa.int64()), ("visit_date", pa.string()),
                         ("who5", pa.int64())])


@dataclass(frozen=True)
class TrialOptions:
    persons: int  # N randomised in all
    start: dt.date
    effect: float = 1.0  # hazard ratio of acute admission, intervention vs control
    who5_effect: float = 0.0  # WHO-5 points added at months 3, 6, 12 in the intervention arm


def quotas(total: int, sizes: list[int]) -> list[int]:
    """``total`` spread over chunks in proportion to their sizes (largest remainders, ties to
    the earlier chunk)."""
    n = sum(sizes)
    exact = [total * s / n for s in sizes]
    out = [int(x) for x in exact]
    order = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


class Selection:
    """The hook the simulation calls at the trial's start day; keeps what it chose."""

    def __init__(self, rng: np.random.Generator, p: Persons, day: int, quota: int, effect: float,
                 muni_codes: list[str]) -> None:
        self.rng, self.p, self.day, self.quota, self.effect = rng, p, day, quota, effect
        regions = {m.code: m.region_code for m in ref.municipalities()}
        self.region = np.array([regions[muni_codes[i]] for i in p.muni]) if p.n else np.zeros(0, dtype=str)
        self.chosen = np.zeros(0, dtype=np.int64)
        self.arm = np.zeros(0, dtype=np.int8)  # 0 intervention, 1 control
        self.risk = np.zeros(0)

    def __call__(self, snap: Snapshot) -> np.ndarray:
        who, _p6, p12 = truth.probabilities(self.p, snap, self.day)
        adult = hazards.age_on(self.p.bday[who], self.day) >= MIN_AGE
        cand, score = who[adult], p12[adult]
        order = np.lexsort((cand, -score))[: self.quota]
        chosen = np.sort(cand[order])
        risk = dict(zip(cand.tolist(), score.tolist()))
        arm = np.ones(len(chosen), dtype=np.int8)
        for region in sorted(set(self.region[chosen].tolist())):
            members = np.flatnonzero(self.region[chosen] == region)
            perm = self.rng.permutation(len(members))
            n_int = len(members) // 2 + (len(members) % 2 == 1 and self.rng.random() < 0.5)
            arm[members[perm[:n_int]]] = 0
        self.chosen, self.arm = chosen, arm
        self.risk = np.array([risk[i] for i in chosen.tolist()])
        factor = np.ones(self.p.n)
        factor[chosen[arm == 0]] = self.effect
        return factor

    def tables(self, cpr: pa.Array, muni_codes: list[str], start: dt.date, trial: TrialOptions,
               death_day: np.ndarray, n_days: int) -> tuple[pa.Table, pa.Table]:
        idx = pa.array(self.chosen)
        day0 = start + dt.timedelta(days=self.day)
        trial_t = pa.table({
            "cpr": cpr.take(idx),
            "region_code": pa.array(self.region[self.chosen].tolist(), pa.string()),
            "municipality_code": pa.array([muni_codes[self.p.muni[i]] for i in self.chosen.tolist()], pa.string()),
            "stratum": pa.array(self.region[self.chosen].tolist(), pa.string()),
            "arm": pa.array([ARMS[a] for a in self.arm.tolist()], pa.string()),
            "randomised_on": pa.array([day0.isoformat()] * len(self.chosen), pa.string()),
            "p_admission_12m": pa.array(self.risk, pa.float64()),
        }, schema=TRIAL_SCHEMA)
        k = len(self.chosen)
        person = self.rng.normal(0.0, WHO5_PERSON_SD, k)
        base = WHO5_MEAN - WHO5_FRAILTY * np.log(self.p.frailty[self.chosen]) + person
        rows_cpr, rows_month, rows_date, rows_score = [], [], [], []
        dead = death_day[self.chosen]
        for month, offset in zip(VISIT_MONTHS, VISIT_DAYS, strict=True):
            visit = self.day + offset
            noise = self.rng.normal(0.0, WHO5_RESIDUAL_SD, k)
            respond = self.rng.random(k) >= (NONRESPONSE if month else 0.0)
            score = base + noise + (trial.who5_effect * (self.arm == 0) if month else 0.0)
            score = np.clip(np.rint(np.clip(score, 0, 100) / 4) * 4, 0, 100).astype(np.int64)
            present = respond & ((dead < 0) | (dead >= visit)) & (visit < n_days)
            rows_cpr.append(cpr.take(idx))
            rows_month.append(np.full(k, month))
            rows_date.append(np.full(k, (start + dt.timedelta(days=visit)).isoformat()))
            rows_score.append(pa.array(score, mask=~present))
        who5_t = pa.table({
            "cpr": pa.concat_arrays(rows_cpr) if k else pa.array([], pa.string()),
            "visit_month": pa.array(np.concatenate(rows_month) if k else [], pa.int64()),
            "visit_date": pa.array(np.concatenate(rows_date).tolist() if k else [], pa.string()),
            "who5": pa.concat_arrays(rows_score) if k else pa.array([], pa.int64()),
        }, schema=WHO5_SCHEMA)
        return trial_t, who5_t
