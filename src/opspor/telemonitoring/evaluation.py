"""The telemonitoring evaluation: a MAST-style report (seed 002 5982-5987: standardised
evaluation, e.g. the MAST model) from the enrolments, measurements and alarms of the web database
and the acute admissions of the snapshot. Plain functions over plain rows; the web app gathers
the rows (``web/telemonitoring/evaluation.py``) and stores the report.

Per group (all patients, and each condition):

* patients enrolled, patient-years enrolled (enrolment to the report's end or death);
* measurements sent per patient-week, and against those the patients' plans asked for in the
  same time (every kind of the plan on its days from enrolment: a measure of adherence, not a
  proportion: a patient may send more than asked);
* alarms per patient-month (red, yellow, missing), their handling time (raised to acknowledged,
  the worklist's response time: median, 90th percentile, longest) and the share acted on (a step
  of ``acted_on`` in ``config/evaluation.yaml``, with a Wilson interval);
* acute admissions (the concept ``acute_admission`` of rules/config/concepts.yaml) per 1,000
  patient-years in the ``before_days`` before enrolment and after it (exact Poisson intervals),
  and the ratio after/before (Poisson, robust errors clustered by patient:
  :func:`opspor.monitor.effect.before_after`) — not an effect estimate;
* the triage's **sensitivity**: the share of admissions after enrolment with a red alarm measured
  in the ``warning_days`` before the admission's start; its **burden**: the share of red alarms
  with no admission starting within ``followed_days`` after the measurement (alarms measured
  closer than that to the report's end are not judged). Both with Wilson intervals.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from opspor import config_reader
from opspor.i18n import gettext_lazy as _
from opspor.monitor.rates import poisson_interval, wilson

CONFIG_FILE = Path(__file__).with_name("config") / "evaluation.yaml"
ACTED_ON_STEPS = ("acknowledged", "contact", "note", "escalated", "closed")  # AlarmEvent kinds
DAYS_PER_YEAR = 365.25
ALL = "all"


@dataclass(frozen=True)
class Config:
    file: str
    version: str
    warning_days: int
    followed_days: int
    before_days: int
    acted_on: tuple[str, ...]
    export_suppression_below: int


def load(path: str | Path | None = None) -> Config:
    path = Path(path) if path is not None else CONFIG_FILE
    data, _digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    keys = ("version", "warning_days", "followed_days", "before_days", "acted_on", "export_suppression_below")
    top = config_reader.mapping(ctx, data, keys, keys)
    return Config(str(path), config_reader.version(ctx.at("version"), top["version"]),
                  config_reader.integer(ctx.at("warning_days"), top["warning_days"], 1, "warning_days: 7"),
                  config_reader.integer(ctx.at("followed_days"), top["followed_days"], 1, "followed_days: 7"),
                  config_reader.integer(ctx.at("before_days"), top["before_days"], 1, "before_days: 365"),
                  config_reader.choices(ctx.at("acted_on"), top["acted_on"], ACTED_ON_STEPS, "[contact, escalated]"),
                  config_reader.integer(ctx.at("export_suppression_below"), top["export_suppression_below"], 1,
                                        "export_suppression_below: 5"))


@cache
def shipped() -> Config:
    return load()


@dataclass(frozen=True)
class Patient:
    key: str  # person_key
    condition: str
    enrolled: dt.datetime  # naive Danish wall-clock time, as the snapshot's
    until: dt.datetime  # the report's end, or death
    measurements: int  # sent in [enrolled, until]
    before: int  # acute admissions in the before_days before enrolment
    before_days: float  # days observed in that window
    admissions: tuple[dt.datetime, ...]  # starts of acute admissions in [enrolled, until)
    planned: int = 0  # measurements the plan asked for in [enrolled, until]


@dataclass(frozen=True)
class AlarmRow:
    key: str
    category: str  # measurement | questionnaire | missing
    colour: str
    measured: dt.datetime  # naive Danish time
    raised: dt.datetime
    acknowledged: dt.datetime | None
    steps: frozenset[str]  # the kinds of its AlarmEvents


def _share(k: int, n: int) -> dict:
    if n == 0:
        return {"k": 0, "n": 0, "value": None, "low": None, "high": None}
    low, high = wilson(k, n)
    return {"k": k, "n": n, "value": k / n, "low": low, "high": high}


def _rate(count: int, days: float, per_days: float) -> dict:
    """``count`` over ``days`` of patient-time, per ``per_days`` days of patient-time (a
    patient-month: 30.44; 1,000 patient-years: 365,250), with the exact Poisson interval."""
    if days <= 0:
        return {"count": count, "time": 0.0, "value": None, "low": None, "high": None}
    low, high = poisson_interval(count)
    return {"count": count, "time": days / per_days, "value": count / days * per_days,
            "low": low / days * per_days, "high": high / days * per_days}


def _minutes(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "median": None, "p90": None, "longest": None}
    v = sorted(values)
    mid = len(v) // 2
    median = v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2
    return {"n": len(v), "median": median, "p90": v[max(0, math.ceil(0.9 * len(v)) - 1)], "longest": v[-1]}


def _days(delta: dt.timedelta) -> float:
    return max(delta.total_seconds(), 0.0) / 86400


def group(cfg: Config, patients: list[Patient], alarms: list[AlarmRow], end: dt.datetime) -> dict:
    """The figures of one group of patients (``alarms`` of those patients only)."""
    enrolled_days = sum(_days(p.until - p.enrolled) for p in patients)
    warn, follow = dt.timedelta(days=cfg.warning_days), dt.timedelta(days=cfg.followed_days)
    red_times: dict[str, list[dt.datetime]] = {}
    flagged = [a for a in alarms if a.category != "missing"]
    for a in flagged:
        if a.colour == "red":
            red_times.setdefault(a.key, []).append(a.measured)
    for times in red_times.values():
        times.sort()
    warned = total = 0
    starts: dict[str, list[dt.datetime]] = {}
    for p in patients:
        starts[p.key] = sorted(p.admissions)
        for s in p.admissions:
            total += 1
            times = red_times.get(p.key, [])
            i = bisect.bisect_left(times, s - warn)
            warned += i < len(times) and times[i] < s
    judged = followed = 0
    for a in flagged:
        if a.colour != "red" or a.measured + follow > end:
            continue
        judged += 1
        adm = starts.get(a.key, [])
        i = bisect.bisect_right(adm, a.measured)
        followed += i < len(adm) and adm[i] <= a.measured + follow
    handled = [(a.acknowledged - a.raised).total_seconds() / 60 for a in alarms if a.acknowledged is not None]
    red_handled = [(a.acknowledged - a.raised).total_seconds() / 60 for a in alarms
                   if a.acknowledged is not None and a.colour == "red" and a.category != "missing"]
    acted = set(cfg.acted_on)
    counts = {c: sum(1 for a in alarms if (a.category == "missing") == (c == "missing") and
                     (c == "missing" or a.colour == c)) for c in ("red", "yellow", "missing")}
    return {
        "patients": len(patients),
        "patient_years": enrolled_days / DAYS_PER_YEAR,
        "measurements": sum(p.measurements for p in patients),
        "measurements_per_patient_week": (sum(p.measurements for p in patients) / (enrolled_days / 7)
                                          if enrolled_days > 0 else None),
        "planned": sum(p.planned for p in patients),
        "sent_of_planned": (sum(p.measurements for p in patients) / sum(p.planned for p in patients)
                            if sum(p.planned for p in patients) else None),
        "alarms": {"all": _rate(len(alarms), enrolled_days, DAYS_PER_YEAR / 12),
                   **{c: _rate(k, enrolled_days, DAYS_PER_YEAR / 12) for c, k in counts.items()}},
        "handling_minutes": {"all": _minutes(handled), "red": _minutes(red_handled)},
        "acknowledged": _share(sum(1 for a in alarms if a.acknowledged is not None), len(alarms)),
        "acted_on": _share(sum(1 for a in alarms if a.steps & acted), len(alarms)),
        "red_acted_on": _share(sum(1 for a in flagged if a.colour == "red" and a.steps & acted),
                               sum(1 for a in flagged if a.colour == "red")),
        "admissions_before": _rate(sum(p.before for p in patients), sum(p.before_days for p in patients),
                                   DAYS_PER_YEAR * 1000),
        "admissions_after": _rate(total, enrolled_days, DAYS_PER_YEAR * 1000),
        "sensitivity": _share(warned, total),
        "burden": _share(judged - followed, judged),
    }


def report(cfg: Config, patients: list[Patient], alarms: list[AlarmRow], end: dt.datetime,
           ratios: dict[str, dict | None] | None = None) -> dict:
    """The report: ``groups`` all patients first, then each condition (in ``conditions`` order);
    ``ratios``: {group: the after/before rate ratio (estimate, low, high, model) or None}."""
    conditions = sorted({p.condition for p in patients})
    groups = []
    for name in (ALL, *conditions):
        members = patients if name == ALL else [p for p in patients if p.condition == name]
        keys = {p.key for p in members}
        figures = group(cfg, members, [a for a in alarms if a.key in keys], end)
        figures["ratio"] = (ratios or {}).get(name)
        groups.append({"group": name, **figures})
    first = min((p.enrolled for p in patients), default=None)
    return {"config": cfg.file.rsplit("/", 1)[-1], "config_version": cfg.version, "warning_days": cfg.warning_days,
            "followed_days": cfg.followed_days, "before_days": cfg.before_days, "acted_on": list(cfg.acted_on),
            "first_enrolment": first.isoformat() if first else None, "end": end.isoformat(), "groups": groups}


# --------------------------------------------------------------------------- the report as a table

# MAST's seven domains (seed 002 7046-7078), the first words of each in the seed's order
MAST_DOMAINS = (
    _("The health problem and the application"),
    _("Safety (clinical and technical)"),
    _("Clinical effectiveness"),
    _("Patient perspectives"),
    _("Economic aspects"),
    _("Organisational aspects"),
    _("Socio-cultural, ethical and legal aspects"),
)
# the domains this report has figures for; the others need other data (interviews, costs)
COVERED = (1, 2, 3, 4, 6)
ROW_LABELS = {
    "patients": _("Patients enrolled"),
    "patient_years": _("Patient-years enrolled"),
    "measurements": _("Measurements sent per patient-week"),
    "sent_of_planned": _("Measurements sent of those the plan asked for"),
    "alarms": _("Alarms per patient-month"),
    "red": _("red alarms per patient-month"),
    "yellow": _("yellow alarms per patient-month"),
    "missing": _("missing measurements per patient-month"),
    "handling": _("Handling time, alarm to acknowledgement (minutes): median; 90th percentile"),
    "handling_red": _("Handling time of red alarms (minutes): median; 90th percentile"),
    "acted_on": _("Alarms acted on"),
    "red_acted_on": _("Red alarms acted on"),
    "before": _("%(admissions)s per 1,000 patient-years, %(days)s days before enrolment"),
    "after": _("%(admissions)s per 1,000 patient-years after enrolment"),
    "ratio": _("Ratio after/before (not an effect estimate)"),
    "sensitivity": _("Sensitivity: admissions with a red alarm in the %(days)s days before"),
    "burden": _("Burden: red alarms followed by no admission within %(days)s days"),
}
DOMAIN_OF = {"patients": 1, "patient_years": 1, "measurements": 4, "sent_of_planned": 4, "alarms": 6, "red": 6, "yellow": 6, "missing": 6,
             "handling": 6, "handling_red": 6, "acted_on": 6, "red_acted_on": 6, "before": 3, "after": 3, "ratio": 3,
             "sensitivity": 2, "burden": 2}
GROUP_LABELS = {ALL: _("All")}
NONE_TEXT = "–"


def _fmt(value, digits: int, lang: str) -> str:
    from opspor.i18n import decimal

    return NONE_TEXT if value is None else decimal(value, digits, lang)


def _interval(low, high, digits: int, lang: str, scale: float = 1.0) -> str:
    if low is None or high is None:
        return ""
    return f" ({_fmt(low * scale, digits, lang)}–{_fmt(high * scale, digits, lang)})"


def _cell(key: str, g: dict, lang: str, of: str) -> str:
    if key == "patients":
        return _fmt(g["patients"], 0, lang)
    if key == "patient_years":
        return _fmt(g["patient_years"], 1, lang)
    if key == "measurements":
        return _fmt(g["measurements_per_patient_week"], 1, lang)
    if key == "sent_of_planned":
        if g.get("sent_of_planned") is None:
            return NONE_TEXT
        return (f"{_fmt(g['measurements'], 0, lang)} {of} {_fmt(g['planned'], 0, lang)}: "
                f"{_fmt(100 * g['sent_of_planned'], 0, lang)} %")
    if key in ("alarms", "red", "yellow", "missing"):
        r = g["alarms"]["all" if key == "alarms" else key]
        return f"{_fmt(r['value'], 2, lang)} (n = {_fmt(r['count'], 0, lang)})"
    if key in ("handling", "handling_red"):
        h = g["handling_minutes"]["all" if key == "handling" else "red"]
        if not h["n"]:
            return NONE_TEXT
        return f"{_fmt(h['median'], 0, lang)}; {_fmt(h['p90'], 0, lang)} (n = {_fmt(h['n'], 0, lang)})"
    if key in ("acted_on", "red_acted_on", "sensitivity", "burden"):
        s = g[key]
        if not s["n"]:
            return NONE_TEXT
        return (f"{_fmt(s['k'], 0, lang)} {of} {_fmt(s['n'], 0, lang)}: {_fmt(100 * s['value'], 0, lang)} %"
                f"{_interval(s['low'], s['high'], 0, lang, 100)}")
    if key in ("before", "after"):
        r = g["admissions_before" if key == "before" else "admissions_after"]
        return f"{_fmt(r['value'], 0, lang)}{_interval(r['low'], r['high'], 0, lang)} (n = {_fmt(r['count'], 0, lang)})"
    if key == "ratio":
        r = g["ratio"]
        return NONE_TEXT if not r else f"{_fmt(r['estimate'], 2, lang)}{_interval(r['low'], r['high'], 2, lang)}"
    raise KeyError(key)


def table(report: dict, lang: str) -> dict:
    """The report as rows for a page or a terminal, in ``lang``: ``header`` (the groups),
    ``rows`` [{key, domain, label, cells}] (intervals in brackets: 95 %), and the MAST domains
    with whether the report covers them."""
    from opspor.i18n import localized, translator
    from opspor.telemonitoring import protocols

    t = translator(lang)
    conditions = protocols.shipped().conditions
    header = [t(GROUP_LABELS[g["group"]]) if g["group"] in GROUP_LABELS else
              (localized(conditions[g["group"]], "title", lang) if g["group"] in conditions else g["group"])
              for g in report["groups"]]
    admissions = report["concept"][f"label_{lang}"]
    admissions = admissions[:1].upper() + admissions[1:]
    values = {"before": {"admissions": admissions, "days": report["before_days"]},
              "after": {"admissions": admissions}, "sensitivity": {"days": report["warning_days"]},
              "burden": {"days": report["followed_days"]}}
    of = t("of")
    rows = [{"key": key, "domain": DOMAIN_OF[key], "label": t(label) % values.get(key, {}) if key in values else t(label),
             "cells": [_cell(key, g, lang, of) for g in report["groups"]]} for key, label in ROW_LABELS.items()]
    domains = [{"number": i, "name": t(name), "covered": i in COVERED} for i, name in enumerate(MAST_DOMAINS, start=1)]
    return {"header": header, "rows": rows, "domains": domains}


def for_export(report: dict, lang: str, below: int) -> dict:
    """``table`` for a file that may leave the app: a group of fewer than ``below`` patients shows
    only that; if exactly one condition group would be hidden, the next smallest is hidden too, so
    that it cannot be worked out from the region's total."""
    from opspor.i18n import translator

    out = table(report, lang)
    groups = report["groups"]
    parts = sorted((g["patients"], i) for i, g in enumerate(groups) if g["group"] != ALL)
    hidden = {i for n, i in parts if n < below}
    if len(hidden) == 1 and len(parts) > 1:
        hidden.add(next(i for _, i in parts if i not in hidden))
    if any(g["group"] == ALL and g["patients"] < below for g in groups):
        hidden = set(range(len(groups)))
    few = translator(lang)("fewer than %(n)s") % {"n": below}
    for row in out["rows"]:
        for i in hidden:
            row["cells"][i] = few if row["key"] == "patients" else NONE_TEXT
    out["hidden"] = len(hidden)
    return out


def planned(plan: dict[str, int], enrolled: dt.datetime, until: dt.datetime) -> int:
    """Measurements a plan ({kind: every_days}) asks for from ``enrolled`` up to ``until``: each
    kind on the enrolment day and every ``every_days`` after it."""
    days = _days(until - enrolled)
    return sum(math.ceil(days / every) for every in plan.values()) if days > 0 else 0
