"""The risk model's monitoring page and its PDF: for the programme lead and the secretariat
(others 403). Aggregates per unit only, no person; the read is audited without a person, as the
other evaluation pages do. Thin: the run's record is made by :mod:`opspor.risk.monitoring`, its
texts and charts by :mod:`opspor.risk.monitoring_pdf`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opspor.i18n import translate_all
from opspor.risk import monitoring_pdf as texts
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.core import language
from opspor.web.riskmonitor.models import MonitoringAlert, MonitoringRun

ROLES = (Role.PROGRAMME_LEAD, Role.SECRETARIAT)
LOCAL = ("region", "municipality", "gp_practice")  # groups whose units lie in one region
CHART_SECONDS = 24 * 3600


def _run(request) -> MonitoringRun | None:
    month = request.GET.get("maaned", "")
    runs = MonitoringRun.objects.all()
    if month:
        runs = runs.filter(month=month)
        if not runs.exists():
            raise Http404
    return runs.first()


def _svg(key: str, draw) -> str:
    from django.core.cache import cache

    def make() -> str:
        text = draw().decode("utf-8")
        return text[text.find("<svg"):]

    return cache.get_or_set(f"riskmonitor:svg:{key}", make, CHART_SECONDS)


def _visible(record: dict, region: str) -> dict:
    """The record with the local groups cut to the viewer's region."""
    groups = {g: [r for r in rows if g not in LOCAL or r.get("region") == region]
              for g, rows in record["groups"].items()}
    return {**record, "groups": groups}


@role_required(*ROLES)
@require_GET
def page(request):
    run = _run(request)
    region = request.user.region_code
    lang = language.current()
    context = {"run": run, "region": region, "months": list(MonitoringRun.objects.values_list("month", flat=True)
                                                           .distinct().order_by("-month"))}
    if run is not None:
        record = _visible(run.record, region)
        alerts = run.alerts.filter(region_code__in=[region, ""])
        labels = translate_all(texts.GROUP_LABELS, lang)
        tx = translate_all(texts.TEXT, lang)
        key = f"{run.run_id}:{region}:{lang}"
        tables = []
        for group, rows in record["groups"].items():
            chart = None
            if any(r["expected"] >= record["config"]["min_expected"] for r in rows):
                chart = _svg(f"{key}:{group}", lambda group=group: texts.oe_chart(record, group, lang, "svg"))
            tables.append({"group": group, "label": labels[group], "chart": chart,
                           "caption": tx["oe_title"].format(group=labels[group].lower()),
                           "rows": list(zip(texts.oe_rows(record, group, lang), rows, strict=True))})
        context.update({
            "record": record, "alerts": [texts.alert_text(a.detail, lang) for a in alerts],
            "overall": texts.oe_rows({"groups": {"o": [{"unit": "", **record["overall"]}]}}, "o", lang)[0][1:],
            "tables": tables,
            "auroc_chart": _svg(f"{key}:auroc", lambda: texts.auroc_chart(record, lang, "svg")),
            "drift_chart": _svg(f"{key}:drift", lambda: texts.drift_chart(record, lang, "svg")),
            "tx": tx,
        })
    audit.record(request, audit.Event.RISK_MONITORING, action=audit.READ, why=_("Risk model monitoring"),
                 detail={"run": run.run_id if run else None, "region": region})
    return render(request, "riskmonitor/page.html", context)


@role_required(*ROLES)
@require_GET
def pdf(request, run_id: str):
    run = MonitoringRun.objects.filter(run_id=run_id).first()
    if run is None:
        raise Http404
    record = _visible(run.record, request.user.region_code)
    with tempfile.TemporaryDirectory(prefix="opspor-riskmonitor-") as folder:
        path = texts.write(record, Path(folder) / "report.pdf", language.current())
        body = path.read_bytes()
    audit.record(request, audit.Event.RISK_MONITORING, action=audit.EXPORT, why=_("Risk model monitoring"),
                 detail={"run": run.run_id, "region": request.user.region_code, "format": "pdf"})
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="risikomodel-{run.month}.pdf"'
    return response


__all__ = ["MonitoringAlert", "page", "pdf"]
