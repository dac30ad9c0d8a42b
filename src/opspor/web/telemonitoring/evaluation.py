"""The rows of the telemonitoring evaluation (:mod:`opspor.telemonitoring.evaluation`): the
enrolments, measurements and alarms of the web database, the acute admissions (the concept
``acute_admission``) and deaths of the snapshot; and the report published per region.

Times: the snapshot keeps Danish wall-clock times without offset; the web database's aware times
are turned into the same before they are compared.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pyarrow as pa
from django.db.models import Count
from django.utils import timezone

from opspor.rules import concepts as clinical
from opspor.telemonitoring import evaluation as ev
from opspor.web.telemonitoring.actions import ENTERED_IN_ERROR
from opspor.web.telemonitoring.models import Alarm, AlarmEvent, Enrolment, Measurement, PlanItem

LOCAL = zoneinfo.ZoneInfo("Europe/Copenhagen")


def _naive(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value, LOCAL).replace(tzinfo=None)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=LOCAL)


def data_end(con) -> dt.datetime:
    """The snapshot's last contact time (its data end), as the effect analysis takes it."""
    [end] = con.row('SELECT max(greatest("start", COALESCE("end", "start"))) FROM contacts')
    if end is None:
        raise ValueError("the snapshot has no contacts, so no admission can be counted")
    return end


def _snapshot(con, keys: list[str], since: dt.datetime, end: dt.datetime):
    """({key: death date}, {key: [acute admission starts from ``since``]}, data start)."""
    con.register("tm_enrolled", pa.table({"person_key": keys}))
    try:
        deaths = dict(con.rows("SELECT p.person_key, p.death_date FROM persons p JOIN tm_enrolled USING (person_key)"))
        admission = clinical.shipped().sql("acute_admission", con.dialect, "c", end)
        starts: dict[str, list[dt.datetime]] = {}
        for key, start in con.rows(f"""
                SELECT c.person_key, c."start" FROM contacts c JOIN tm_enrolled USING (person_key)
                WHERE c."start" >= ? AND c."start" <= ? AND {admission} ORDER BY 1, 2""", [since, end]):
            starts.setdefault(key, []).append(start)
        [first] = con.row('SELECT min("start") FROM contacts')
    finally:
        con.unregister("tm_enrolled")
    return deaths, starts, first


def gather(con, region_code: str | None = None, end: dt.date | None = None,
           cfg: ev.Config | None = None) -> dict[str, dict]:
    """{region code: report} for every region with enrolments (or ``region_code``), up to
    ``end`` (default: the snapshot's data end)."""
    import pandas as pd

    from opspor.monitor import effect

    cfg = cfg or ev.shipped()
    last = data_end(con)
    until_all = min(last, dt.datetime.combine(end, dt.time.max)) if end else last
    enrolments = Enrolment.objects.select_related("person").order_by("region_code", "enrolled_at", "pk")
    if region_code:
        enrolments = enrolments.filter(region_code=region_code)
    enrolments = [e for e in enrolments if _naive(e.enrolled_at) < until_all]
    if not enrolments:
        return {}
    keys = sorted({e.person.person_key for e in enrolments})
    first_enrolled = min(_naive(e.enrolled_at) for e in enrolments)
    deaths, starts, data_start = _snapshot(con, keys, first_enrolled - dt.timedelta(days=cfg.before_days), until_all)
    counts = dict(Measurement.objects.filter(person__in=[e.person_id for e in enrolments], version=1,
                                             effective__lte=_aware(until_all))
                  .exclude(status=ENTERED_IN_ERROR).values_list("person_id").annotate(n=Count("id"))
                  .values_list("person_id", "n"))
    alarms = list(Alarm.objects.filter(enrolment__in=enrolments, measured_at__lte=_aware(until_all))
                  .values_list("pk", "enrolment_id", "category", "colour", "measured_at", "raised_at", "acknowledged_at"))
    steps: dict[int, set[str]] = {}
    for alarm_id, kind in AlarmEvent.objects.filter(alarm_id__in=[a[0] for a in alarms]).values_list("alarm_id", "kind"):
        steps.setdefault(alarm_id, set()).add(kind)
    by_enrolment = {e.pk: e for e in enrolments}
    plans: dict[int, dict[str, int]] = {}
    for enrolment_id, kind, every in PlanItem.objects.filter(enrolment__in=enrolments).values_list(
            "enrolment_id", "kind", "every_days"):
        plans.setdefault(enrolment_id, {})[kind] = every
    out: dict[str, dict] = {}
    for region in sorted({e.region_code for e in enrolments}):
        patients, rows = [], []
        for e in (x for x in enrolments if x.region_code == region):
            key, enrolled = e.person.person_key, _naive(e.enrolled_at)
            death = deaths.get(key)
            until = min(until_all, dt.datetime.combine(death, dt.time(12))) if death else until_all
            if e.ended_at is not None:  # an ended telemonitoring counts up to its end
                until = min(until, _naive(e.ended_at))
            window = enrolled - dt.timedelta(days=cfg.before_days)
            mine = starts.get(key, [])
            before_from = max(window, data_start) if data_start else window
            patients.append(ev.Patient(
                key, e.condition, enrolled, until, counts.get(e.person_id, 0),
                sum(1 for s in mine if window <= s < enrolled), max((enrolled - before_from).total_seconds(), 0) / 86400,
                tuple(s for s in mine if enrolled <= s < until), ev.planned(plans.get(e.pk, {}), enrolled, until)))
            rows += [(key, e.condition, 0.0, patients[-1].before, patients[-1].before_days),
                     (key, e.condition, 1.0, len(patients[-1].admissions),
                      max((until - enrolled).total_seconds(), 0) / 86400)]
        alarm_rows = [ev.AlarmRow(by_enrolment[a[1]].person.person_key, a[2], a[3], _naive(a[4]), _naive(a[5]),
                                  _naive(a[6]) if a[6] else None, frozenset(steps.get(a[0], ())))
                      for a in alarms if by_enrolment[a[1]].region_code == region]
        frame = pd.DataFrame(rows, columns=["pid", "condition", "period", "admissions", "exposure"])
        frame["pid"] = pd.factorize(frame["pid"])[0]
        ratios = {}
        for name in (ev.ALL, *sorted({p.condition for p in patients})):
            part = frame if name == ev.ALL else frame[frame.condition == name]
            try:
                rr, low, high, p = effect.period_ratio(part)
                ratios[name] = {"estimate": rr, "low": low, "high": high, "p": p, "model": effect.PERIOD_RATIO_MODEL}
            except Exception:  # noqa: BLE001 - too few admissions for a model: no ratio, said on the page
                ratios[name] = None
        report = ev.report(cfg, patients, alarm_rows, until_all, ratios)
        report["region"] = region
        report["concept"] = {"name": "acute_admission", "label_da": clinical.shipped().label("acute_admission", "da"),
                             "label_en": clinical.shipped().label("acute_admission", "en"),
                             "concepts_version": clinical.shipped().version}
        out[region] = report
    return out

