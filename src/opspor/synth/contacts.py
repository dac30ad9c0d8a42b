"""All hospital contacts of a chunk, built around the simulated acute admissions and deaths.

The acute admissions and deaths come from ``simulate.py`` (the process the truth describes).
Everything else is layered on top and never feeds back into it:

- acute outpatient contacts (< 12 h): a Poisson process per person (age, conditions, frailty),
  plus return visits after some admissions; none while the person is admitted;
- planned contacts: follow-up of each chronic condition (physical, telephone, video, e-mail,
  telemedicine), other outpatient visits, pregnancy checks, radiology for practice, home visits
  (AAF6/AAF7), planned admissions (surgery), companions, hospice before death of metastatic
  cancer; on weekdays in working hours, never overlapping an acute contact;
- hospital unit and departments (catchment unit, about 12 % of acute contacts at another unit of
  the region), diagnoses, procedures and DRG values.

No contact starts on or after the day of death; an admission in progress at death ends at the
time of death; contacts still running at the end of the period have no end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opspor.contract import CONTACT_TYPES
from opspor.synth import hazards
from opspor.synth.departments import units
from opspor.synth.model import DEPT, MEDICAL_KEYS, PATHWAY, Model, age_group, choose
from opspor.synth.population import Persons
from opspor.synth.simulate import (
    KIND_BIRTH,
    KIND_CONDITION,
    SimResult,
    acute_minute_of_day,
    condition_cum,
)

ACUTE_ADM, ACUTE_OUT, PLANNED_ADM, PLANNED_OUT = 0, 1, 2, 3
ACUTE, PLANNED = 0, 1  # index into contract.PRIORITIES
CT = {t: i for i, t in enumerate(CONTACT_TYPES)}
NONE = -1

P_OTHER_UNIT_ACUTE = 0.12
P_OTHER_UNIT_PLANNED = 0.06
P_RETURN_VISIT = 0.12
COMPANION_ACUTE_RATE = 0.008  # per person-year, ages 20-59
COMPANION_PLANNED_RATE = 0.005  # ages 25-49
GENERAL_PLANNED_RATE = np.array([0.5, 0.7, 1.2])  # by age group
RADIOLOGY_RATE = np.array([0.05, 0.12, 0.25])
PLANNED_ADMISSION_RATE = np.array([0.01, 0.03, 0.06])
CANCER_SURGERY_RATE = 0.3
HOME_VISIT_RATE = 0.4  # ages 75+ with a chronic condition
HOSPICE_SHARE = 0.75
SHARE_NON_TARIFF = 0.025
SHARE_DRG_MISSING = 0.01

_FOLLOWUP_TYPES = ("physical", "telephone", "video", "email", "telemedicine")
_FOLLOWUP_W = np.array([0.62, 0.20, 0.06, 0.04])
_GENERAL_TYPES = np.array([CT["physical"], CT["telephone"], CT["video"], CT["email"]])
_GENERAL_W = np.cumsum([0.80, 0.15, 0.03, 0.02])


@dataclass
class Contacts:
    pid: np.ndarray
    unit: np.ndarray
    course: np.ndarray
    contact: np.ndarray
    priority: np.ndarray
    ctype: np.ndarray
    start: np.ndarray  # minutes since start 00:00
    end: np.ndarray  # minutes since start 00:00; -1 = ongoing at the end of the period
    action: np.ndarray
    secondary: np.ndarray  # (m, n_conditions) code or -1
    extra: np.ndarray  # one more secondary code or -1
    proc: np.ndarray
    drg: np.ndarray  # -1 = not supplied
    pathway: np.ndarray
    mode: np.ndarray  # ACUTE_ADM, ACUTE_OUT, PLANNED_ADM, PLANNED_OUT

    def __len__(self) -> int:
        return len(self.pid)


class _Parts:
    """Collects contact rows as column arrays; defaults fill what a part leaves out."""

    COLS = {
        "pid": (np.int64, None), "start": (np.int64, None), "end": (np.int64, None),
        "mode": (np.int8, None), "ctype": (np.int8, None), "key": (np.int8, None),
        "action": (np.int32, None), "pathway": (np.int8, NONE), "proc": (np.int32, NONE),
        "extra": (np.int32, NONE), "exclude": (np.int16, NONE), "sec_p": (np.float64, 0.5),
    }

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, **cols) -> None:
        m = len(cols["pid"])
        if m == 0:
            return
        row = {}
        for name, (dtype, default) in self.COLS.items():
            val = cols.get(name, default)
            if val is None:
                raise ValueError(f"contact part without {name}")
            row[name] = np.broadcast_to(np.asarray(val), (m,)).astype(dtype)
        self.parts.append(row)

    def columns(self) -> dict[str, np.ndarray]:
        if not self.parts:
            return {name: np.zeros(0, dtype=dtype) for name, (dtype, _) in self.COLS.items()}
        return {name: np.concatenate([p[name] for p in self.parts]) for name in self.COLS}


class _Busy:
    """Per-person day intervals that no later contact may overlap (sorted, non-overlapping)."""

    SHIFT = 1 << 20

    def __init__(self) -> None:
        self.pid = np.zeros(0, dtype=np.int64)
        self.a = np.zeros(0, dtype=np.int64)
        self.b = np.zeros(0, dtype=np.int64)

    def add(self, pid: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        pid = np.concatenate([self.pid, pid])
        a = np.concatenate([self.a, a])
        b = np.concatenate([self.b, b])
        order = np.lexsort((a, pid))
        self.pid, self.a, self.b = pid[order], a[order], b[order]

    def overlaps(self, pid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if len(self.pid) == 0:
            return np.zeros(len(pid), dtype=bool)
        keys = self.pid * self.SHIFT + self.a
        j = np.searchsorted(keys, pid * self.SHIFT + y, side="right") - 1
        jj = np.maximum(j, 0)
        return (j >= 0) & (self.pid[jj] == pid) & (self.b[jj] >= x)


def _first_of_day(pid: np.ndarray, day: np.ndarray) -> np.ndarray:
    """For rows sorted by (pid, day): True on the first row of each person-day."""
    first = np.ones(len(pid), dtype=bool)
    first[1:] = (pid[1:] != pid[:-1]) | (day[1:] != day[:-1])
    return first


def _poisson_events(rng: np.random.Generator, rate_per_day: np.ndarray, limit: np.ndarray, who: np.ndarray):
    """Events of a homogeneous Poisson process on days [0, limit) for persons ``who``."""
    count = rng.poisson(rate_per_day * limit[who])
    pid = np.repeat(who, count)
    day = np.floor(rng.random(len(pid)) * limit[pid]).astype(np.int64)
    return pid, day


def _weekday(day: np.ndarray, weekday0: int, limit: np.ndarray, pid: np.ndarray):
    """Move weekend days to the nearest weekday; keep those still before the person's limit."""
    dow = (weekday0 + day) % 7
    day = np.where(dow == 5, day - 1, np.where(dow == 6, day + 1, day))
    keep = (day >= 0) & (day < limit[pid])
    return day, keep


def _planned_minute(rng: np.random.Generator, k: int) -> np.ndarray:
    return 480 + 5 * rng.integers(0, 91, size=k)  # 08:00-15:30


def _duration(rng: np.random.Generator, ctype: np.ndarray, acute: bool) -> np.ndarray:
    k = len(ctype)
    if acute:
        physical = 30 + np.exp(np.log(150) + 0.6 * rng.standard_normal(k))
        physical = np.minimum(physical, 690)
    else:
        physical = 10 + np.exp(np.log(35) + 0.4 * rng.standard_normal(k))
    remote = 5 + rng.integers(5, 25, size=k)
    home = 40 + rng.integers(0, 50, size=k)
    dur = np.select(
        [ctype == CT["physical"], ctype == CT["home_visit"], ctype == CT["email"]],
        [physical, home, np.full(k, 5)],
        remote,
    )
    return np.rint(dur).astype(np.int64)


def _condition_action(rng: np.random.Generator, model: Model, p: Persons, pid: np.ndarray, cond: np.ndarray) -> np.ndarray:
    """Action diagnosis of an acute contact caused by condition ``cond``: its exacerbation code."""
    action = np.empty(len(pid), dtype=np.int32)
    u = rng.random(len(pid))
    for c, spec in enumerate(model.conditions):
        sel = cond == c
        if not sel.any():
            continue
        if spec.exacerbation is None:
            action[sel] = p.code[pid[sel], c]
        else:
            action[sel] = choose(spec.exacerbation, u[sel])
    return action


def _cause_action(rng: np.random.Generator, causes, ref: np.ndarray) -> np.ndarray:
    action = np.empty(len(ref), dtype=np.int32)
    u = rng.random(len(ref))
    for k in np.unique(ref):
        sel = ref == k
        action[sel] = choose(causes.codes[k], u[sel])
    return action


def _cause_procedures(rng: np.random.Generator, causes, ref: np.ndarray) -> np.ndarray:
    proc = np.full(len(ref), NONE, dtype=np.int32)
    u = rng.random(len(ref))
    for k in np.unique(ref):
        if causes.procedures[k] is not None:
            sel = ref == k
            proc[sel] = choose(causes.procedures[k], u[sel])
    return proc


def build(
    rng: np.random.Generator, model: Model, p: Persons, sim: SimResult, n_days: int, weekday0: int
) -> tuple[Contacts, np.ndarray]:
    """The chunk's contacts and each person's death time (minutes since start, -1 = no death)."""
    tab = hazards.tables()
    n = p.n
    period_end = n_days * 1440
    died = sim.death_day >= 0
    limit = np.where(died, sim.death_day, n_days).astype(np.int64)  # contacts start before this day
    parts = _Parts()
    onc = model.condition_index("metastatic_cancer")
    cancer = model.condition_index("cancer")

    # --- acute admissions from the simulation, cut at an in-hospital death ----------------------
    adm = sim.admissions
    death_time = np.full(n, -1, dtype=np.int64)
    death_time[died] = sim.death_day[died] * 1440 + rng.integers(0, 1440, size=int(died.sum()))
    adm_end = adm.end.copy()
    in_hosp = np.flatnonzero(sim.death_admission >= 0)
    j = sim.death_admission[in_hosp]
    t = np.maximum(death_time[in_hosp], adm.start[j] + 720)
    inside = t < adm.end[j]
    adm_end[j[inside]] = t[inside]
    death_time[in_hosp[inside]] = t[inside]
    # died on the discharge day after leaving: the death comes after the discharge
    outside = in_hosp[~inside]
    death_time[outside] = np.maximum(death_time[outside], adm.end[j[~inside]])
    kind = adm.kind
    action = np.empty(len(adm.pid), dtype=np.int32)
    key = np.empty(len(adm.pid), dtype=np.int8)
    pathway = np.full(len(adm.pid), NONE, dtype=np.int8)
    exclude = np.full(len(adm.pid), NONE, dtype=np.int16)
    extra = np.full(len(adm.pid), NONE, dtype=np.int32)
    b = kind == KIND_BIRTH
    action[b] = choose(model.birth, rng.random(int(b.sum())))
    key[b] = DEPT["GYN"]
    pathway[b] = PATHWAY["birth"]
    extra[b] = model.birth_secondary
    c = kind == KIND_CONDITION
    cref = adm.ref[c]
    action[c] = _condition_action(rng, model, p, adm.pid[c], cref)
    key[c] = np.array([x.dept for x in model.conditions], dtype=np.int8)[cref]
    pathway[c] = np.array([x.pathway for x in model.conditions], dtype=np.int8)[cref]
    exclude[c] = cref
    g = ~b & ~c
    gref = adm.ref[g]
    action[g] = _cause_action(rng, model.acute_admission, gref)
    key[g] = model.acute_admission.dept[gref]
    pathway[g] = model.acute_admission.pathway[gref]
    parts.add(
        pid=adm.pid, start=adm.start, end=adm_end, mode=ACUTE_ADM, ctype=CT["physical"], key=key,
        action=action, pathway=pathway, extra=extra, exclude=exclude, sec_p=np.where(b, 0.2, 0.75),
    )
    busy = _Busy()
    busy.add(adm.pid, adm.start // 1440, adm_end // 1440)

    # --- acute outpatient contacts ------------------------------------------------------------
    mid_day = np.where(died, sim.death_day // 2, n_days // 2)
    idx_mid = p.sex.astype(np.int64) * (hazards.tables().adm.size // 2) + hazards.age_on(p.bday, mid_day)
    rate_med = tab.out[idx_mid] * p.s_out
    rate_birth = tab.birth_out[idx_mid]
    everyone = np.arange(n)
    pid, day = _poisson_events(rng, rate_med + rate_birth, limit, everyone)
    # return visits after admissions
    ret = rng.random(len(adm.pid)) < P_RETURN_VISIT
    r_pid = adm.pid[ret]
    r_day = adm_end[ret] // 1440 + 1 + rng.integers(0, 30, size=int(ret.sum()))
    ok = r_day < limit[r_pid]
    pid = np.concatenate([pid, r_pid[ok]])
    day = np.concatenate([day, r_day[ok]])
    # drop those while admitted, and a second contact on the same day
    keep = ~busy.overlaps(pid, day, day)
    pid, day = pid[keep], day[keep]
    order = np.lexsort((day, pid))
    pid, day = pid[order], day[order]
    first = _first_of_day(pid, day)
    pid, day = pid[first], day[first]
    m = len(pid)
    age = hazards.age_on(p.bday[pid], day)
    u = rng.random((m, 6))
    is_birth = u[:, 0] * (rate_med[pid] + rate_birth[pid]) < rate_birth[pid]
    which = np.minimum((u[:, 1][:, None] >= condition_cum(model, p, "hr_outpatient")[pid]).sum(axis=1), model.n_conditions)
    general = model.acute_outpatient.draw(age_group(age), p.sex[pid], u[:, 2])
    kind = np.where(is_birth, KIND_BIRTH, np.where(which > 0, KIND_CONDITION, 2))
    action = np.empty(m, dtype=np.int32)
    key = np.empty(m, dtype=np.int8)
    pathway = np.full(m, NONE, dtype=np.int8)
    exclude = np.full(m, NONE, dtype=np.int16)
    b = kind == KIND_BIRTH
    action[b] = choose(model.birth, u[b, 3])
    key[b] = DEPT["GYN"]
    pathway[b] = PATHWAY["birth"]
    c = kind == KIND_CONDITION
    cref = which[c] - 1
    action[c] = _condition_action(rng, model, p, pid[c], cref)
    key[c] = np.array([x.dept for x in model.conditions], dtype=np.int8)[cref]
    pathway[c] = np.array([x.pathway for x in model.conditions], dtype=np.int8)[cref]
    exclude[c] = cref
    g = kind == 2
    action[g] = _cause_action(rng, model.acute_outpatient, general[g])
    key[g] = model.acute_outpatient.dept[general[g]]
    # contact type: mostly physical; some acute telephone/video; a few acute home visits (75+)
    ctype = np.full(m, CT["physical"], dtype=np.int8)
    remote = ~b & (key != DEPT["ORT"])
    ctype[remote & (u[:, 4] < 0.05)] = CT["telephone"]
    ctype[remote & (u[:, 4] >= 0.05) & (u[:, 4] < 0.07)] = CT["video"]
    proc = np.full(m, NONE, dtype=np.int32)
    old = (age >= 75) & ~b
    home = old & (u[:, 5] < 0.02)
    ctype[home] = CT["home_visit"]
    key[home] = DEPT["GER"]
    tagged = old & (ctype == CT["physical"]) & (u[:, 5] >= 0.02) & (u[:, 5] < 0.03)
    proc[home | tagged] = choose(model.home_visit_procedures, rng.random(int((home | tagged).sum())))
    start = day * 1440 + acute_minute_of_day(rng, m)
    end = start + _duration(rng, ctype, acute=True)
    parts.add(
        pid=pid, start=start, end=end, mode=ACUTE_OUT, ctype=ctype, key=key, action=action,
        pathway=pathway, proc=proc, exclude=exclude, sec_p=0.35,
    )
    # healthy companions (acute, short)
    age0 = hazards.age_on(p.bday, 0)
    who = np.flatnonzero((age0 >= 20) & (age0 < 60))
    cpid, cday = _poisson_events(rng, COMPANION_ACUTE_RATE / 365.25, limit, who)
    keep = ~busy.overlaps(cpid, cday, cday)
    cpid, cday = cpid[keep], cday[keep]
    k = len(cpid)
    cstart = cday * 1440 + acute_minute_of_day(rng, k)
    parts.add(
        pid=cpid, start=cstart, end=cstart + _duration(rng, np.full(k, CT["physical"]), acute=True),
        mode=ACUTE_OUT, ctype=CT["physical"], key=np.where(rng.random(k) < 0.7, DEPT["PAE"], DEPT["MED"]),
        action=model.companion, pathway=PATHWAY["companion"], sec_p=0.0,
    )
    busy.add(pid, day, day)
    busy.add(cpid, cday, cday)

    # --- hospice before death (metastatic cancer, death outside an acute admission) -----------
    hosp = np.flatnonzero(died & p.has[:, onc] & (sim.death_admission < 0))
    hosp = hosp[rng.random(len(hosp)) < HOSPICE_SHARE]
    length = 2 + rng.poisson(8, size=len(hosp))
    h_day = sim.death_day[hosp] - length
    # start after the person's last busy day before death
    keys = busy.pid * _Busy.SHIFT + busy.b
    jj = np.searchsorted(keys, hosp * _Busy.SHIFT + sim.death_day[hosp], side="right") - 1
    jj0 = np.maximum(jj, 0)
    last_busy = np.where((jj >= 0) & (busy.pid[jj0] == hosp), busy.b[jj0], -1) if len(busy.pid) else np.full(len(hosp), -1)
    h_day = np.maximum(h_day, last_busy + 1)
    ok = (h_day < sim.death_day[hosp]) & (h_day >= 0)
    hosp, h_day = hosp[ok], h_day[ok]
    h_start = h_day * 1440 + _planned_minute(rng, len(hosp))
    death_time[hosp] = np.maximum(death_time[hosp], h_start + 60)
    parts.add(
        pid=hosp, start=h_start, end=death_time[hosp], mode=PLANNED_ADM, ctype=CT["physical"],
        key=DEPT["MED"], action=p.code[hosp, onc], extra=model.palliative, pathway=PATHWAY["hospice"],
        exclude=onc, sec_p=0.6,
    )
    busy.add(hosp, h_day, death_time[hosp] // 1440)
    # palliative home visits in the weeks before
    hv_pid = np.repeat(hosp, 1 + rng.integers(0, 2, size=len(hosp)))
    hv_day = sim.death_day[hv_pid] - 5 - rng.integers(0, 55, size=len(hv_pid))
    hv_day, ok = _weekday(hv_day, weekday0, limit, hv_pid)
    ok &= ~busy.overlaps(hv_pid, hv_day, hv_day)
    hv_pid, hv_day = hv_pid[ok], hv_day[ok]
    k = len(hv_pid)
    hv_start = hv_day * 1440 + _planned_minute(rng, k)
    parts.add(
        pid=hv_pid, start=hv_start, end=hv_start + _duration(rng, np.full(k, CT["home_visit"]), acute=False),
        mode=PLANNED_OUT, ctype=CT["home_visit"], key=DEPT["MED"], action=p.code[hv_pid, onc],
        pathway=PATHWAY["hospice"], proc=choose(model.home_visit_procedures, rng.random(k)), exclude=onc,
    )

    # --- planned admissions ---------------------------------------------------------------------
    group0 = age_group(age0)
    pa_pid, pa_day = _poisson_events(rng, PLANNED_ADMISSION_RATE[group0] / 365.25, limit, everyone)
    pa_ref = model.planned_admission.draw(age_group(hazards.age_on(p.bday[pa_pid], pa_day)), p.sex[pa_pid], rng.random(len(pa_pid)))
    pa_action = _cause_action(rng, model.planned_admission, pa_ref)
    pa_proc = _cause_procedures(rng, model.planned_admission, pa_ref)
    pa_key = model.planned_admission.dept[pa_ref]
    pa_path = np.full(len(pa_pid), NONE, dtype=np.int8)
    pa_excl = np.full(len(pa_pid), NONE, dtype=np.int16)
    # cancer surgery
    who = np.flatnonzero(p.has[:, cancer])
    cs_pid, cs_day = _poisson_events(rng, CANCER_SURGERY_RATE / 365.25, limit, who)
    # companions admitted with a child
    who = np.flatnonzero((age0 >= 25) & (age0 < 50))
    cp_pid, cp_day = _poisson_events(rng, COMPANION_PLANNED_RATE / 365.25, limit, who)
    cp_adm = rng.random(len(cp_pid)) < 0.25
    pa_pid = np.concatenate([pa_pid, cs_pid, cp_pid[cp_adm]])
    pa_day = np.concatenate([pa_day, cs_day, cp_day[cp_adm]])
    k_cs, k_cp = len(cs_pid), int(cp_adm.sum())
    pa_action = np.concatenate([pa_action, p.code[cs_pid, cancer], np.full(k_cp, model.companion)])
    pa_proc = np.concatenate([pa_proc, np.full(k_cs + k_cp, NONE)])
    pa_key = np.concatenate([pa_key, np.full(k_cs, DEPT["KIR"]), np.full(k_cp, DEPT["PAE"])])
    pa_path = np.concatenate([pa_path, np.full(k_cs, PATHWAY["cancer"]), np.full(k_cp, PATHWAY["companion"])])
    pa_excl = np.concatenate([pa_excl, np.full(k_cs, cancer), np.full(k_cp, NONE)])
    pa_secp = np.concatenate([np.full(len(pa_pid) - k_cs - k_cp, 0.6), np.full(k_cs, 0.6), np.zeros(k_cp)])
    pa_day, ok = _weekday(pa_day, weekday0, limit, pa_pid)
    k = len(pa_pid)
    pa_start = pa_day * 1440 + _planned_minute(rng, k)
    pa_los = 720 + np.rint(60 * np.exp(np.log(40) + 0.8 * rng.standard_normal(k))).astype(np.int64)
    pa_los = np.where(pa_path == PATHWAY["companion"], 720 + rng.integers(60, 2400, size=k), pa_los)
    pa_end = pa_start + pa_los
    # cut at death (a planned admission in progress at an out-of-hospital death time)
    dt_ = death_time[pa_pid]
    pa_end = np.where((dt_ >= 0) & (pa_end > dt_), dt_, pa_end)
    ok &= pa_end > pa_start
    ok &= ~busy.overlaps(pa_pid, pa_day, pa_end // 1440)
    sel = np.flatnonzero(ok)
    order = sel[np.lexsort((pa_start[sel], pa_pid[sel]))]
    # drop planned admissions overlapping an earlier one of the same person
    s_pid, s_a, s_b = pa_pid[order], pa_day[order], pa_end[order] // 1440
    shifted = s_pid * _Busy.SHIFT + s_b
    prev_max = np.maximum.accumulate(np.r_[-1, shifted[:-1]])[: len(shifted)]
    keep = (s_pid * _Busy.SHIFT + s_a) > prev_max
    order = order[keep]
    parts.add(
        pid=pa_pid[order], start=pa_start[order], end=pa_end[order], mode=PLANNED_ADM, ctype=CT["physical"],
        key=pa_key[order], action=pa_action[order], pathway=pa_path[order], proc=pa_proc[order],
        exclude=pa_excl[order], sec_p=pa_secp[order],
    )
    busy.add(pa_pid[order], pa_day[order], pa_end[order] // 1440)

    # --- planned outpatient contacts ------------------------------------------------------------
    out_pid, out_day, out_key, out_action, out_path, out_ctype, out_proc, out_excl, out_secp = ([] for _ in range(9))

    def planned(pid_, day_, key_, action_, ctype_, path_=NONE, proc_=NONE, excl_=NONE, secp_=0.5):
        k_ = len(pid_)
        for lst, val in zip(
            (out_pid, out_day, out_key, out_action, out_ctype, out_path, out_proc, out_excl, out_secp),
            (pid_, day_, key_, action_, ctype_, path_, proc_, excl_, secp_),
        ):
            lst.append(np.broadcast_to(np.asarray(val), (k_,)))

    for ci, cond in enumerate(model.conditions):
        who = np.flatnonzero(p.has[:, ci])
        f_pid, f_day = _poisson_events(rng, cond.followup_rate / 365.25 * p.s_planned[who], limit, who)
        k = len(f_pid)
        w = np.r_[_FOLLOWUP_W * (1 - cond.telemedicine) / _FOLLOWUP_W.sum(), cond.telemedicine]
        ctype = np.array([CT[t] for t in _FOLLOWUP_TYPES])[np.minimum(np.searchsorted(np.cumsum(w), rng.random(k), side="right"), 4)]
        planned(f_pid, f_day, cond.followup_dept, p.code[f_pid, ci], ctype, cond.pathway, NONE, ci)
    # other outpatient visits
    g_pid, g_day = _poisson_events(rng, GENERAL_PLANNED_RATE[group0] / 365.25 * p.s_planned, limit, everyone)
    g_ref = model.planned_outpatient.draw(age_group(hazards.age_on(p.bday[g_pid], g_day)), p.sex[g_pid], rng.random(len(g_pid)))
    g_ctype = _GENERAL_TYPES[np.minimum(np.searchsorted(_GENERAL_W, rng.random(len(g_pid)), side="right"), 3)]
    planned(g_pid, g_day, model.planned_outpatient.dept[g_ref], _cause_action(rng, model.planned_outpatient, g_ref),
            g_ctype, model.planned_outpatient.pathway[g_ref])
    # pregnancy checks
    idx0 = p.sex.astype(np.int64) * (tab.adm.size // 2) + age0
    fert = (tab.birth_adm + tab.birth_out)[idx0]
    who = np.flatnonzero(fert > 0)
    pr_pid, pr_day = _poisson_events(rng, 4 * fert[who], limit, who)
    planned(pr_pid, pr_day, DEPT["GYN"], choose(model.pregnancy, rng.random(len(pr_pid))), CT["physical"], secp_=0.1)
    # radiology for practice
    r_pid, r_day = _poisson_events(rng, RADIOLOGY_RATE[group0] / 365.25 * p.s_planned, limit, everyone)
    planned(r_pid, r_day, DEPT["RAD"], model.radiology, CT["physical"], PATHWAY["radiology_for_practice"],
            choose(model.radiology_procedures, rng.random(len(r_pid))), secp_=0.0)
    # planned home visits for the old and chronically ill
    who = np.flatnonzero((age0 >= 75) & p.has.any(axis=1))
    h_pid, h_day = _poisson_events(rng, HOME_VISIT_RATE / 365.25 * p.s_planned[who], limit, who)
    first_cond = np.argmax(p.has[h_pid], axis=1)
    h_action = np.where(rng.random(len(h_pid)) < 0.7, p.code[h_pid, first_cond], model.home_visit)
    planned(h_pid, h_day, DEPT["GER"], h_action, CT["home_visit"], NONE,
            choose(model.home_visit_procedures, rng.random(len(h_pid))))
    # companions (outpatient part)
    planned(cp_pid[~cp_adm], cp_day[~cp_adm], DEPT["PAE"], model.companion, CT["physical"], PATHWAY["companion"], secp_=0.0)

    pid = np.concatenate(out_pid).astype(np.int64)
    day = np.concatenate(out_day).astype(np.int64)
    day, ok = _weekday(day, weekday0, limit, pid)
    ok &= ~busy.overlaps(pid, day, day)
    sel = np.flatnonzero(ok)
    sel = sel[np.lexsort((day[sel], pid[sel]))]
    sel = sel[_first_of_day(pid[sel], day[sel])]
    pid, day = pid[sel], day[sel]
    key = np.concatenate(out_key).astype(np.int8)[sel]
    ctype = np.concatenate(out_ctype).astype(np.int8)[sel]
    proc = np.concatenate(out_proc).astype(np.int32)[sel]
    # a few geriatric physical contacts carry a home-visit procedure code
    ger = (key == DEPT["GER"]) & (ctype == CT["physical"]) & (rng.random(len(pid)) < 0.03)
    proc[ger] = choose(model.home_visit_procedures, rng.random(int(ger.sum())))
    start = day * 1440 + _planned_minute(rng, len(pid))
    parts.add(
        pid=pid, start=start, end=start + _duration(rng, ctype, acute=False), mode=PLANNED_OUT, ctype=ctype,
        key=key, action=np.concatenate(out_action).astype(np.int32)[sel],
        pathway=np.concatenate(out_path).astype(np.int8)[sel], proc=proc,
        exclude=np.concatenate(out_excl).astype(np.int16)[sel], sec_p=np.concatenate(out_secp).astype(float)[sel],
    )

    cols = parts.columns()
    order = np.lexsort((cols["mode"], cols["start"], cols["pid"]))
    cols = {k: v[order] for k, v in cols.items()}
    # a short contact begun the evening before an out-of-hospital death ends at the death
    dt_ = death_time[cols["pid"]]
    cols["end"] = np.where((dt_ >= 0) & (cols["end"] > dt_), dt_, cols["end"])
    return _finish(rng, model, p, cols, period_end), death_time


def _place(rng: np.random.Generator, p: Persons, pid, key, mode, age):
    """Hospital unit, course department and contact department of each contact."""
    u_ = units()
    m = len(pid)
    unit = p.unit[pid].copy()
    acute = mode <= ACUTE_OUT
    move = rng.random(m) < np.where(acute, P_OTHER_UNIT_ACUTE, P_OTHER_UNIT_PLANNED)
    n_other = np.array([len(o) for o in u_.others])
    width = max(1, int(n_other.max()))
    pad = np.array([np.r_[o, np.zeros(width - len(o), dtype=np.int64)] for o in u_.others], dtype=np.int64)
    pick = (rng.random(m) * n_other[unit]).astype(np.int64)
    unit = np.where(move & (n_other[unit] > 0), pad[unit, np.minimum(pick, width - 1)], unit)
    key = key.astype(np.int64).copy()
    medical = np.isin(key, [DEPT[k] for k in MEDICAL_KEYS])
    key[(age < 18) & medical] = DEPT["PAE"]
    medical &= age >= 18
    u = rng.random((m, 3))
    key[(mode == ACUTE_ADM) & (key == DEPT["MED"]) & (age >= 80) & (u[:, 2] < 0.35)] = DEPT["GER"]
    unit = np.where(key == DEPT["ONK"], u_.oncology_unit[unit], unit)
    surgical = np.isin(key, [DEPT["KIR"], DEPT["ORT"]])
    course_key = key.copy()
    contact_key = key.copy()
    aku = DEPT["AKU"]
    a = mode == ACUTE_ADM
    contact_key[a & medical & (u[:, 0] < 0.45)] = aku
    contact_key[a & surgical & (u[:, 0] < 0.30)] = aku
    course_key[a & (key == aku) & (u[:, 1] < 0.5)] = DEPT["MED"]
    o = mode == ACUTE_OUT
    course_key[o & medical & (u[:, 1] < 0.6)] = aku
    contact_key[o & medical & (u[:, 0] < 0.85)] = aku
    course_key[o & surgical & (u[:, 1] < 0.5)] = aku
    contact_key[o & surgical & (u[:, 0] < 0.7)] = aku
    # remote and home contacts are held by the responsible department itself
    site = p.site[pid]
    course = u_.department(unit, course_key, site)
    contact = u_.department(unit, contact_key, site)
    return unit, course, contact


def _drg(rng: np.random.Generator, mode, ctype, duration, pathway) -> np.ndarray:
    m = len(mode)
    noise = np.exp(0.28 * rng.standard_normal(m))
    days = np.maximum(duration, 0) / 1440
    value = np.select(
        [
            (mode == ACUTE_ADM) & (pathway == PATHWAY["birth"]),
            mode == ACUTE_ADM,
            mode == PLANNED_ADM,
            pathway == PATHWAY["radiology_for_practice"],
            ctype == CT["physical"],
            ctype == CT["home_visit"],
        ],
        [
            np.full(m, 22000.0),
            20000 + 6000 * np.minimum(days, 30) ** 0.85,
            30000 + 5000 * np.minimum(days, 30) ** 0.85,
            np.full(m, 1100.0),
            np.full(m, 2500.0),
            np.full(m, 2200.0),
        ],
        np.full(m, 700.0),
    ) * noise
    outpatient = mode % 2 == 1
    physical = ctype == CT["physical"]
    value = np.where(outpatient & physical & (pathway != PATHWAY["radiology_for_practice"]), np.clip(value, 1200, 6500), value)
    value = np.where(outpatient & ~physical, np.clip(value, 300, 2500), value)
    drg = np.rint(value).astype(np.int64)
    u = rng.random(m)
    free = (pathway == PATHWAY["companion"]) | (pathway == PATHWAY["hospice"])
    drg = np.where((u < SHARE_NON_TARIFF) | (free & (u < 0.5)), 0, drg)
    drg = np.where((u >= SHARE_NON_TARIFF) & (u < SHARE_NON_TARIFF + SHARE_DRG_MISSING), -1, drg)
    return drg


def _finish(rng: np.random.Generator, model: Model, p: Persons, cols: dict, period_end: int) -> Contacts:
    pid = cols["pid"]
    m = len(pid)
    age = hazards.age_on(p.bday[pid], cols["start"] // 1440)
    unit, course, contact = _place(rng, p, pid, cols["key"], cols["mode"], age)
    duration = cols["end"] - cols["start"]
    drg = _drg(rng, cols["mode"], cols["ctype"], duration, cols["pathway"])
    # secondary diagnoses: the person's chronic conditions, each recorded with probability sec_p
    include = (rng.random((m, model.n_conditions)) < cols["sec_p"][:, None]) & p.has[pid]
    include[np.arange(m), np.maximum(cols["exclude"], 0)] &= cols["exclude"] < 0
    secondary = np.where(include, p.code[pid], -1).astype(np.int32)
    secondary[secondary == cols["action"][:, None]] = -1
    end = np.where(cols["end"] > period_end, -1, cols["end"])
    return Contacts(
        pid=pid, unit=unit, course=course, contact=contact,
        priority=np.where(cols["mode"] <= ACUTE_OUT, ACUTE, PLANNED).astype(np.int8),
        ctype=cols["ctype"], start=cols["start"], end=end, action=cols["action"], secondary=secondary,
        extra=cols["extra"], proc=cols["proc"], drg=drg, pathway=cols["pathway"], mode=cols["mode"],
    )
