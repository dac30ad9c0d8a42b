"""Synthetic telemonitoring (``opspor synth --telemonitoring N``): enrolled COPD and heart-failure
patients, their home measurements as FHIR R4 Observations (NDJSON, what ``opspor telemonitoring
import`` reads), deteriorations before a share of their acute admissions, and an optional effect.

At the start day T (``--telemonitoring-start``), before the day is simulated:

1. **selection**: the ``N`` adults alive at T with COPD or heart failure (the latent conditions)
   and the highest true 12-month admission probability at T, spread over the chunks as the
   trial's (``trial.quotas``); each enrolled for the first condition of the configuration
   (``data/telemonitoring.yaml``) they have, on a day drawn uniformly from T to T +
   ``enrolment_days`` (a patient who dies before it is never enrolled);
2. **effect**: from their enrolment day on, their acute-admission hazard is multiplied by
   ``--telemonitoring-effect`` (1.0: none), as the trial's intervention arm.

After the simulation, per patient, from the enrolment day to the period's end or death, never
while admitted:

* each kind of the protocol's default plan (``telemonitoring/config/protocols.yaml``) on its
  days, sent with probability ``adherence``, at a time between ``hours``; the value is the
  patient's own level plus day-to-day noise (``values``);
* before each acute admission after T, with probability ``share_of_admissions``, a
  deterioration of ``lead_days`` days that ends the day before the admission: the ``change``
  of each kind (a shift, a gain per day, or a level);
* false deteriorations (``false_per_year``, ``false_days`` long) at random days: the patient
  recovers at home; a true one may by chance lie before an admission too.

The measurements never feed back into the process: the signal is put before admissions the
simulation drew (as the hospice before a death). Outputs (``telemonitoring/``, not part of the
drop): ``observations.ndjson`` (the patient named by CPR number), ``enrolments.csv`` (for
``opspor telemonitoring enrolments``); in ``truth/``: ``telemonitoring_admissions.csv`` (every
acute admission of an enrolled patient from T: whether a deterioration was put before it).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from opspor import config_reader
from opspor.fhir.contract.systems import CPR_SYSTEM
from opspor.synth import hazards, truth
from opspor.synth.population import Persons
from opspor.synth.simulate import SimResult, Snapshot

CONFIG_FILE = "telemonitoring.yaml"
MIN_AGE = 18
IDENTIFIER_SYSTEM = "https://opspor.dk/synth/observation"
EQUIPMENT = {"copd": "Tablet, pulsoximeter, termometer, spirometer", "heart_failure": "Tablet, vægt, blodtryksmåler, pulsoximeter"}
USABILITY_NOTE = "Patienten målte og sendte selv ved tilmeldingen (syntetisk)"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
CHANGES = ("shift", "per_day", "level")


@dataclass(frozen=True)
class Values:
    mean: tuple[float, ...]  # one, or one per component (blood pressure: systolic, diastolic)
    between_sd: tuple[float, ...]
    within_sd: tuple[float, ...]
    decimals: int


@dataclass(frozen=True)
class Change:
    how: str  # shift | per_day | level
    amount: float
    sd: float = 0.0


@dataclass(frozen=True)
class ConditionModel:
    name: str
    adherence: float
    hours: tuple[int, int]
    values: dict[str, Values]
    share: float
    lead_days: tuple[int, int]
    change: dict[str, Change]
    false_per_year: float
    false_days: tuple[int, int]


@dataclass(frozen=True)
class Config:
    file: str
    version: str
    digest: str
    conditions: dict[str, ConditionModel]  # in the file's order (priority)
    enrolment_days: int = 0  # enrolments spread over this many days from the start (0: all on it)


@dataclass(frozen=True)
class TelemonitoringOptions:
    persons: int  # N enrolled in all
    start: dt.date  # the enrolment day
    effect: float = 1.0  # hazard ratio of acute admission from enrolment (1.0: none)
    config: Path | None = None  # default: the shipped data/telemonitoring.yaml


def _span(ctx, value, what: str, low: float, high: float, whole: bool) -> tuple:
    if not isinstance(value, list) or len(value) != 2:
        raise ctx.error(f"expected [from, to], got {config_reader.show(value)}", f"write e.g. `{what}`")
    a = [config_reader.integer(ctx.at(i), v, int(low), what) if whole else
         config_reader.number(ctx.at(i), v, what, low, high) for i, v in enumerate(value)]
    if a[1] < a[0] or a[1] > high:
        raise ctx.error(f"must be [from, to] with from <= to <= {high:g}, got {value}", f"write e.g. `{what}`")
    return tuple(a)


def _numbers(ctx, value, n: int, what: str, low: float | None = None) -> tuple[float, ...]:
    items = value if isinstance(value, list) else [value]
    if len(items) != n:
        raise ctx.error(f"expected {n} number(s) (one per component), got {config_reader.show(value)}",
                        f"write e.g. `{what}`" if n == 1 else "write e.g. `[128, 76]` (systolic, diastolic)")
    return tuple(config_reader.number(ctx.at(i) if n > 1 else ctx, v, what, low) for i, v in enumerate(items))


def load_config(path: str | Path | None = None) -> Config:
    """Read and check a synthetic-telemonitoring file (default: the shipped one) against the
    protocols (the plan's kinds) and the measurement catalogue; problems raise
    :class:`~opspor.config_reader.ConfigError` with the file, the key and the fix."""
    from opspor.telemonitoring import kinds, protocols

    if path is None:
        text = resources.files("opspor.synth").joinpath("data", CONFIG_FILE).read_text(encoding="utf-8")
        name = f"opspor/synth/data/{CONFIG_FILE}"
        import hashlib

        data, digest = config_reader.parse_yaml(text, name), hashlib.sha256(text.encode()).hexdigest()
    else:
        name = str(path)
        data, digest = config_reader.read_yaml(Path(path))
    ctx = config_reader.Ctx(name)
    top = config_reader.mapping(ctx, data, ("version", "enrolment_days", "conditions"),
                                ("version", "enrolment_days", "conditions"))
    version = config_reader.version(ctx.at("version"), top["version"])
    proto, catalogue = protocols.shipped(), kinds.shipped()
    cctx = ctx.at("conditions")
    if not isinstance(top["conditions"], dict) or not top["conditions"]:
        raise cctx.error("expected a mapping of conditions", f"write e.g. `copd: {{...}}`; conditions: "
                         f"{', '.join(proto.conditions)}")
    out: dict[str, ConditionModel] = {}
    for cname, body in top["conditions"].items():
        c = cctx.at(str(cname))
        config_reader.choice(c, cname, tuple(proto.conditions), "condition")
        keys = ("adherence", "hours", "values", "deterioration", "false_per_year", "false_days")
        body = config_reader.mapping(c, body, keys, keys)
        plan = proto.conditions[cname].plan
        vctx = c.at("values")
        if not isinstance(body["values"], dict) or set(body["values"]) != set(plan):
            raise vctx.error(f"expected values for exactly the kinds of the protocol's plan ({', '.join(plan)})",
                             "give `kind: {mean, between_sd, within_sd, decimals}` for each of them")
        values = {}
        for kind, v in body["values"].items():
            k = vctx.at(kind)
            v = config_reader.mapping(k, v, ("mean", "between_sd", "within_sd", "decimals"),
                                      ("mean", "between_sd", "within_sd", "decimals"))
            n = len(catalogue.kinds[kind].parts)
            values[kind] = Values(_numbers(k.at("mean"), v["mean"], n, "mean: 72"),
                                  _numbers(k.at("between_sd"), v["between_sd"], n, "between_sd: 5", 0),
                                  _numbers(k.at("within_sd"), v["within_sd"], n, "within_sd: 2", 0),
                                  config_reader.integer(k.at("decimals"), v["decimals"], 0, "decimals: 1"))
        d = c.at("deterioration")
        det = config_reader.mapping(d, body["deterioration"], ("share_of_admissions", "lead_days", "change"),
                                    ("share_of_admissions", "lead_days", "change"))
        change = {}
        ch = d.at("change")
        if not isinstance(det["change"], dict):
            raise ch.error("expected a mapping of kinds to changes", "write e.g. `spo2: {level: 84, sd: 1.5}`")
        for kind, spec in det["change"].items():
            k = ch.at(kind)
            config_reader.choice(k, kind, tuple(plan), "kind of the plan")
            if len(catalogue.kinds[kind].parts) != 1:
                raise k.error("a kind with components cannot change", "change single-value kinds only")
            spec = config_reader.mapping(k, spec, ("shift", "per_day", "level", "sd"))
            how = [h for h in CHANGES if h in spec]
            if len(how) != 1 or ("sd" in spec) != (how == ["level"]):
                raise k.error("expected exactly one of shift, per_day, level (level with sd)",
                              "write e.g. `{shift: 10}`, `{per_day: 1.2}` or `{level: 84, sd: 1.5}`")
            change[kind] = Change(how[0], config_reader.number(k.at(how[0]), spec[how[0]], f"{how[0]}: 1"),
                                  config_reader.number(k.at("sd"), spec["sd"], "sd: 1.5", 0) if "sd" in spec else 0.0)
        out[cname] = ConditionModel(
            cname,
            config_reader.number(c.at("adherence"), body["adherence"], "adherence: 0.9", 0, 1),
            _span(c.at("hours"), body["hours"], "hours: [7, 11]", 0, 23, True),
            values,
            config_reader.number(d.at("share_of_admissions"), det["share_of_admissions"], "share_of_admissions: 0.6",
                                 0, 1),
            _span(d.at("lead_days"), det["lead_days"], "lead_days: [2, 5]", 1, 30, True),
            change,
            config_reader.number(c.at("false_per_year"), body["false_per_year"], "false_per_year: 2.0", 0, 365),
            _span(c.at("false_days"), body["false_days"], "false_days: [1, 2]", 1, 30, True),
        )
    return Config(name, version, digest, out,
                  config_reader.integer(ctx.at("enrolment_days"), top["enrolment_days"], 0, "enrolment_days: 60"))


@cache
def shipped() -> Config:
    return load_config()


def condition_columns(model, config: Config) -> list[tuple[str, int]]:
    """(condition, index into the persons' ``has``) in the configuration's order."""
    return [(name, model.condition_index(name)) for name in config.conditions]


class Selection:
    """The hook the simulation calls on the start day: whom it enrolled, for what, and on which
    day (``enrol_day``, spread over ``spread`` days); the effect starts on each patient's day
    (``schedule``: {day: (persons, factor)}, read by the simulation)."""

    def __init__(self, rng: np.random.Generator, p: Persons, day: int, quota: int, effect: float,
                 columns: list[tuple[str, int]], spread: int = 0) -> None:
        self.rng, self.p, self.day, self.quota, self.effect = rng, p, day, quota, effect
        self.columns, self.spread = columns, spread
        self.chosen = np.zeros(0, dtype=np.int64)
        self.enrol_day = np.zeros(0, dtype=np.int64)
        self.condition: list[str] = []
        self.schedule: dict[int, tuple[np.ndarray, float]] = {}

    def __call__(self, snap: Snapshot) -> np.ndarray:
        who, _p6, p12 = truth.probabilities(self.p, snap, self.day)
        has_any = np.zeros(len(who), dtype=bool)
        for _, col in self.columns:
            has_any |= self.p.has[who, col]
        keep = (hazards.age_on(self.p.bday[who], self.day) >= MIN_AGE) & has_any
        cand, score = who[keep], p12[keep]
        self.chosen = np.sort(cand[np.lexsort((cand, -score))[: self.quota]])
        self.condition = [next(name for name, col in self.columns if self.p.has[i, col]) for i in self.chosen.tolist()]
        self.enrol_day = self.day + self.rng.integers(0, self.spread + 1, size=len(self.chosen))
        factor = np.ones(self.p.n)
        today = self.enrol_day == self.day
        factor[self.chosen[today]] = self.effect
        for d in np.unique(self.enrol_day[~today]).tolist():
            self.schedule[d] = (self.chosen[self.enrol_day == d], self.effect)
        return factor


def _coding(parts_or_kind) -> dict:
    system, code = min(parts_or_kind.codes)
    return {"coding": [{"system": system, "code": code}]}


def _quantity(part, value):
    if part.integer:
        return {"valueInteger": int(value)}
    return {"valueQuantity": {"value": value, "unit": part.unit, "system": "http://unitsofmeasure.org",
                              "code": part.unit}}


def _round(x: float, decimals: int):
    return int(round(x)) if decimals == 0 else round(float(x), decimals)


@dataclass
class Streams:
    lines: list[str]
    enrolments: list[dict]
    admissions: list[dict]  # truth rows


def streams(rng: np.random.Generator, cfg: Config, sel: Selection, sim: SimResult, cpr: list[str],
            start: dt.date, n_days: int, chunk: int) -> Streams:
    """The enrolled patients' Observations (one JSON text per line, each patient's in time
    order), their enrolment rows and the truth of their admissions (see the module's text)."""
    from opspor.telemonitoring import kinds, protocols

    catalogue, proto = kinds.shipped(), protocols.shipped()
    adm = sim.admissions
    out = Streams([], [], [])
    serial = 0
    for i, cname, first in zip(sel.chosen.tolist(), sel.condition, sel.enrol_day.tolist(), strict=True):
        m = cfg.conditions[cname]
        end = int(sim.death_day[i]) if sim.death_day[i] >= 0 else n_days  # exclusive
        if first >= end:
            continue  # died (or the period ended) before the enrolment day: never enrolled
        mine = np.flatnonzero(adm.pid == i)
        hospital: set[int] = set()
        episode: dict[int, int] = {}  # day -> day of the deterioration (1, 2, ...)
        for j in mine.tolist():
            in_day, out_day = int(adm.start[j] // 1440), int(adm.end[j] // 1440)
            hospital.update(range(in_day, out_day + 1))
        for j in mine.tolist():
            a_day = int(adm.start[j] // 1440)
            if a_day < first:
                continue
            signal = bool(rng.random() < m.share)
            lead = int(rng.integers(m.lead_days[0], m.lead_days[1] + 1))
            days = [(k, d) for k, d in enumerate(range(a_day - lead, a_day), start=1) if d >= first]
            signal = signal and bool(days)  # an admission on the enrolment day has no days before it to warn
            if signal:
                episode.update((d, k) for k, d in days)
            out.admissions.append({"cpr": cpr[i], "condition": cname,
                                   "admission_start": _local(start, int(adm.start[j])).isoformat(),
                                   "deterioration_before": int(signal), "lead_days": lead if signal else 0})
        years = max(end - first, 0) / 365.25
        for _ in range(int(rng.poisson(m.false_per_year * years))):
            d0 = int(rng.integers(first, max(end, first + 1)))
            for k, d in enumerate(range(d0, d0 + int(rng.integers(m.false_days[0], m.false_days[1] + 1))), start=1):
                episode.setdefault(d, k)
        level = {kind: [rng.normal(mu, sd) for mu, sd in zip(v.mean, v.between_sd, strict=True)]
                 for kind, v in m.values.items()}
        out.enrolments.append({"cpr": cpr[i], "condition": cname,
                               "enrolled_on": (start + dt.timedelta(days=first)).isoformat(),
                               "equipment": EQUIPMENT.get(cname, "Tablet"), "usability_note": USABILITY_NOTE,
                               "source": "direct"})
        rows = []
        for kind, plan in proto.conditions[cname].plan.items():
            v, kd = m.values[kind], catalogue.kinds[kind]
            for d in range(first, end, plan.every_days):
                if d in hospital or rng.random() >= m.adherence:
                    continue
                minute = int(rng.integers(m.hours[0] * 60, m.hours[1] * 60 + 60))
                vals = [lv + rng.normal(0, sd) for lv, sd in zip(level[kind], v.within_sd, strict=True)]
                change = m.change.get(kind)
                if change is not None and d in episode:
                    if change.how == "shift":
                        vals[0] += change.amount
                    elif change.how == "per_day":
                        vals[0] += change.amount * episode[d]
                    else:
                        vals[0] = rng.normal(change.amount, change.sd)
                vals = [_round(min(max(x, p.low), p.high), v.decimals) for x, p in zip(vals, kd.parts, strict=True)]
                rows.append((d * 1440 + minute, kind, vals))
        rows.sort(key=lambda r: r[0])
        for minute, kind, vals in rows:
            serial += 1
            kd = catalogue.kinds[kind]
            ob = {"resourceType": "Observation",
                  "identifier": [{"system": IDENTIFIER_SYSTEM, "value": f"c{chunk}-{serial}"}],
                  "status": "final", "code": _coding(kd),
                  "subject": {"identifier": {"system": CPR_SYSTEM, "value": cpr[i]}},
                  "effectiveDateTime": _local(start, minute).isoformat()}
            if kd.has_components:
                ob["component"] = [{"code": _coding(p), **_quantity(p, x)} for p, x in zip(kd.parts, vals, strict=True)]
            else:
                ob.update(_quantity(kd.parts[0], vals[0]))
            out.lines.append(json.dumps(ob, separators=(",", ":")))
    return out


def _local(start: dt.date, minute: int) -> dt.datetime:
    """Minutes since the period's first day 00:00, as a Copenhagen wall-clock time with its offset."""
    day, rest = divmod(minute, 1440)
    naive = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(rest // 60, rest % 60))
    return naive.replace(tzinfo=COPENHAGEN)


ENROLMENT_COLUMNS = ("cpr", "condition", "enrolled_on", "equipment", "usability_note", "source")
TRUTH_COLUMNS = ("cpr", "condition", "admission_start", "deterioration_before", "lead_days")


class Files:
    """The telemonitoring outputs of a run, written chunk by chunk in chunk order."""

    def __init__(self, out: Path) -> None:
        from opspor import csv_safe

        folder = Path(out) / "telemonitoring"
        folder.mkdir(parents=True, exist_ok=True)
        self.paths = {"observations": folder / "observations.ndjson", "enrolments": folder / "enrolments.csv",
                      "admissions": Path(out) / "truth" / "telemonitoring_admissions.csv"}
        self._ndjson = open(self.paths["observations"], "w", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self._csv_files = [open(self.paths[k], "w", newline="", encoding="utf-8") for k in ("enrolments", "admissions")]  # noqa: SIM115
        self._enrol = csv_safe.DictWriter(self._csv_files[0], fieldnames=ENROLMENT_COLUMNS)
        self._truth = csv_safe.DictWriter(self._csv_files[1], fieldnames=TRUTH_COLUMNS)
        self._enrol.writeheader()
        self._truth.writeheader()
        self.rows = {str(p): 0 for p in self.paths.values()}
        self.signalled = 0

    def write(self, s: Streams) -> None:
        for line in s.lines:
            self._ndjson.write(line + "\n")
        self._enrol.writerows(s.enrolments)
        self._truth.writerows(s.admissions)
        for key, n in (("observations", len(s.lines)), ("enrolments", len(s.enrolments)),
                       ("admissions", len(s.admissions))):
            self.rows[str(self.paths[key])] += n
        self.signalled += sum(a["deterioration_before"] for a in s.admissions)

    def close(self) -> None:
        self._ndjson.close()
        for f in self._csv_files:
            f.close()

    def counts(self) -> dict[str, int]:
        r = {k: self.rows[str(p)] for k, p in self.paths.items()}
        return {"patients": r["enrolments"], "observations": r["observations"],
                "admissions_after_enrolment": r["admissions"], "admissions_with_deterioration_before": self.signalled}
