"""Indicator results and target status of a snapshot into the web app's database.

Computing the indicators takes seconds to minutes on a real snapshot, so the dashboard reads
what this job stored. One transaction per publication; publishing the same snapshot with the
same configuration (indicators.yaml, its code lists and targets.yaml, by version and sha256)
again changes nothing. Each publication writes its audit entry in its transaction, by the system
actor ``opspor monitor publish``.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from opspor.monitor import suppression
from opspor.monitor import targets as tg
from opspor.monitor.definitions import load_indicators
from opspor.monitor.indicators import compute
from opspor.web.audit import actions as audit
from opspor.web.monitoring.models import IndicatorValue, Publication, TargetValue

PUBLISHER = audit.system("opspor monitor publish")

_VALUE_FIELDS = ("indicator_id", "indicator_version", "title_da", "title_en", "label_da", "label_en", "kind",
                 "unit_da", "unit_en", "per", "level", "unit_code", "unit_name", "region_code", "period",
                 "period_start", "numerator", "count", "denominator", "crude", "crude_low", "crude_high",
                 "standardised", "standardised_low", "standardised_high", "period_complete", "lookback_complete",
                 "lookback_missing_days")


@dataclass(frozen=True)
class PublishResult:
    publication_id: int
    snapshot_id: str
    already: bool
    values: int
    targets: int
    seconds: float


def config_key(cfg, target_set) -> str:
    lists = ",".join(d[:8] for _f, _v, d in cfg.code_lists)
    return f"i{cfg.version}:{cfg.digest[:12]}+{lists}/t{target_set.version}:{target_set.digest[:12]}"


def publish(snapshot: str | None = None, actor=PUBLISHER, engine: str | None = None) -> PublishResult:
    """Compute every indicator version per year and month (municipality and region) on the
    snapshot (default: the current one) with the engine ``engine`` names (default: DuckDB),
    evaluate the targets, and store it all, audited as ``actor`` in the same transaction."""
    from opspor import engines

    t0 = time.perf_counter()
    cfg = load_indicators()
    target_set = tg.load_targets(None, cfg)
    key = config_key(cfg, target_set)
    with engines.connect(engine, snapshot=snapshot) as con:
        from opspor.monitor.indicators import from_synthetic_drop, snapshot_id

        sid = snapshot_id(con) or snapshot or ""
        existing = Publication.objects.filter(snapshot_id=sid, config_key=key).first()
        if existing is not None:
            return PublishResult(existing.pk, sid, True, existing.values.count(), existing.targets.count(), 0.0)
        yearly = compute(con, period="year", config=cfg)
        monthly = compute(con, period="month", config=cfg)
        synthetic = from_synthetic_drop(con)
    statuses = tg.evaluate(target_set, yearly)
    titles = {t.id: (t.title_da, t.title_en) for t in target_set.targets}
    values = []
    for kind, table in (("year", yearly), ("month", monthly)):
        flagged = suppression.suppress(table.rows, table.threshold)
        for raw, shown in zip(table.rows, flagged, strict=True):
            if raw.period_start > table.data_end.date():
                continue  # a period the data do not reach yet
            values.append(IndicatorValue(period_kind=kind, suppressed=shown.suppressed,
                                         suppression_reason=shown.suppression_reason,
                                         **{f: getattr(raw, f) for f in _VALUE_FIELDS}))
    with transaction.atomic():
        pub = Publication.objects.create(
            snapshot_id=sid, config_key=key, indicators_version=cfg.version, targets_version=target_set.version,
            standard_population=cfg.standard.key, threshold=yearly.threshold,
            data_start=_aware(yearly.data_start), data_end=_aware(yearly.data_end), synthetic=synthetic,
            seconds=time.perf_counter() - t0)
        for v in values:
            v.publication = pub
        IndicatorValue.objects.bulk_create(values, batch_size=2000)
        TargetValue.objects.bulk_create([
            TargetValue(publication=pub, target_id=s.target_id, title_da=titles[s.target_id][0],
                        title_en=titles[s.target_id][1], indicator_id=s.indicator_id,
                        indicator_version=s.indicator_version, region_code=s.region, year=s.year,
                        path_value=s.path_value, after_target_year=s.after_target_year, actual=s.actual,
                        actual_low=s.actual_low, actual_high=s.actual_high, compare=s.compare, status=s.status,
                        difference=s.difference, suppressed=s.suppressed, period_complete=s.period_complete)
            for s in statuses])
        audit.record(actor, audit.Event.MONITORING_PUBLISH, action=audit.CHANGE, why=_("Indicators published"),
                     detail={"publication": pub.pk, "snapshot": sid, "config": key, "values": len(values),
                             "targets": len(statuses)})
    return PublishResult(pub.pk, sid, False, len(values), len(statuses), time.perf_counter() - t0)


def _aware(moment: dt.datetime) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# --------------------------------------------------------------------------- effect estimates

_EFFECT_FIELDS = {"outcome": str, "months": int, "measure": str, "estimate": float, "low": float, "high": float,
                  "p_value": float, "n_intervention": int, "n_control": int, "value_intervention": float,
                  "value_control": float, "relative": float, "model": str, "note": str}
_REQUIRED = ("outcome", "months", "measure", "estimate", "low", "high", "n_intervention", "n_control", "model")
OUTCOMES = ("admissions", "bed_days", "who5", "before_after")
MEASURES = ("rate_ratio", "difference")


class EffectFileError(ValueError):
    """A bad estimates file; the message names the file, the entry, the field and the fix."""


@dataclass(frozen=True)
class EffectPublishResult:
    result_id: int
    already: bool
    estimates: int


def _effect_rows(path) -> list[dict]:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise EffectFileError(f"{path}: cannot be read ({error}). Fix: name the .json file written by "
                              "`opspor monitor effect --out`") from None
    except ValueError as error:
        raise EffectFileError(f"{path}: line {error.lineno}: not JSON ({error.msg}). Fix: use the file written "
                              "by `opspor monitor effect --out`") from None
    if not isinstance(data, list) or not data:
        raise EffectFileError(f"{path}: expected a non-empty list of estimates. Fix: use the file written by "
                              "`opspor monitor effect --out`")
    rows = []
    for i, raw in enumerate(data):
        where = f"{path}: estimate [{i}]"
        if not isinstance(raw, dict):
            raise EffectFileError(f"{where}: expected an object with {', '.join(_REQUIRED)}")
        unknown = sorted(set(raw) - set(_EFFECT_FIELDS))
        if unknown:
            raise EffectFileError(f"{where}: unknown field(s) {', '.join(unknown)}. Fix: remove them; fields: "
                                  f"{', '.join(_EFFECT_FIELDS)}")
        row = {}
        for name, kind in _EFFECT_FIELDS.items():
            value = raw.get(name)
            if value is None:
                if name in _REQUIRED:
                    raise EffectFileError(f"{where}, field {name}: missing. Fix: give it (see "
                                          "docs/monitoring.md, Effect)")
                row[name] = "" if kind is str else None
                continue
            ok = isinstance(value, str) if kind is str else (
                isinstance(value, (int, float)) and not isinstance(value, bool)
                and (kind is float or float(value).is_integer()))
            if not ok:
                raise EffectFileError(f"{where}, field {name}: {value!r} is not {'text' if kind is str else 'a number'}")
            row[name] = kind(value)
        if row["outcome"] not in OUTCOMES:
            raise EffectFileError(f"{where}, field outcome: {row['outcome']!r}. Fix: one of {', '.join(OUTCOMES)}")
        if row["measure"] not in MEASURES:
            raise EffectFileError(f"{where}, field measure: {row['measure']!r}. Fix: one of {', '.join(MEASURES)}")
        if not row["low"] <= row["estimate"] <= row["high"]:
            raise EffectFileError(f"{where}: the estimate {row['estimate']} is outside its interval "
                                  f"{row['low']}-{row['high']}. Fix: check the file")
        rows.append(row)
    return rows


def publish_effect(path, actor=PUBLISHER) -> EffectPublishResult:
    """The estimates of ``opspor monitor effect --out FILE.json`` into the web app (idempotent by the
    file's content); a bad file is refused whole."""
    import hashlib
    from pathlib import Path

    from opspor.web.monitoring.models import EffectEstimate, EffectResult

    path = Path(path)
    rows = _effect_rows(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    existing = EffectResult.objects.filter(sha256=digest).first()
    if existing is not None:
        return EffectPublishResult(existing.pk, True, existing.estimates.count())
    with transaction.atomic():
        result = EffectResult.objects.create(source_name=path.name[:200], sha256=digest)
        EffectEstimate.objects.bulk_create([EffectEstimate(result=result, **r) for r in rows])
        audit.record(actor, audit.Event.MONITORING_EFFECT, action=audit.CHANGE, why=_("Effect estimates published"),
                     detail={"result": result.pk, "file": path.name[:200], "sha256": digest, "estimates": len(rows)})
    return EffectPublishResult(result.pk, False, len(rows))
