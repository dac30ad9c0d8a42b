"""Data-alert pages: the own unit's page (municipality / GP practice) and the region overview.

Aggregates only; which rows a user reaches is decided by :mod:`opspor.web.alerts.access`.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from opspor.alerts.settings import load_config
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.models import Organisation
from opspor.web.accounts.roles import Role
from opspor.web.alerts import access
from opspor.web.alerts.display import chart, shown
from opspor.web.alerts.models import UnitKind
from opspor.web.core import language

HISTORY_MONTHS = 12


def _history(results, *, outside_region: bool) -> list:
    months = list(results.order_by("-month").values_list("month", flat=True).distinct()[:HISTORY_MONTHS])
    rows = results.filter(month__in=months).order_by("month")
    return [shown(r, outside_region=outside_region) for r in rows]


def _unit_names(results) -> dict[tuple[str, str], str]:
    """(kind, code) → the unit's name for headings and lists: the computed name (municipalities),
    else the organisation's name in the web app (GP practices), else its kind and code."""
    names = {(r.unit_kind, r.unit_code): r.unit_name for r in results}
    missing = {key for key, name in names.items() if not name}
    if missing:
        for kind, code, name in Organisation.objects.filter(
                kind__in={k for k, _c in missing}, code__in={c for _k, c in missing}).values_list("kind", "code", "name"):
            if (kind, code) in missing and name:
                names[(kind, code)] = name
    return {(k, c): name or f"{UnitKind(k).label} {c}" for (k, c), name in names.items()}


def _counted() -> str:
    return load_config().counted(language.current())


@role_required(Role.MUNICIPALITY)
@require_GET
def mine(request):
    """The own municipality's or GP practice's ratio over the last 12 published months."""
    unit = access.own_unit(request.user)
    rows = _history(access.visible_results(request.user), outside_region=True) if unit else []
    return render(request, "alerts/unit.html", {
        "rows": rows, "latest": rows[-1] if rows else None, "unit_kind": unit and UnitKind(unit[0]).label,
        "unit_code": unit and unit[1], "unit_name": request.user.organisation.name,
        "chart": chart(rows), "own": True, "counted": _counted(),
    })


@role_required(Role.SECRETARIAT)
@require_GET
def overview(request):
    """Every unit of the region in one month (default: the newest published), alerts first."""
    results = access.visible_results(request.user)
    months = list(results.order_by("-month").values_list("month", flat=True).distinct())
    month = request.GET.get("month") or (months[0] if months else None)
    if month is not None and month not in months:
        raise Http404("no published alerts for that month")
    kind = request.GET.get("kind") or ""
    rows = results.filter(month=month) if month else results.none()
    if kind:
        if kind not in UnitKind.values:
            raise Http404("unknown unit kind")
        rows = rows.filter(unit_kind=kind)
    rows = list(rows.order_by("-alert", "unit_kind", "unit_code"))
    names = _unit_names(rows)
    return render(request, "alerts/overview.html", {
        "rows": [(shown(r, outside_region=False), names[(r.unit_kind, r.unit_code)]) for r in rows], "months": months, "month": month,
        "kind": kind, "kinds": UnitKind.choices, "alerts": sum(r.alert for r in rows),
    })


@role_required(Role.SECRETARIAT)
@require_GET
def unit(request, kind: str, code: str):
    """One unit of the region over the last 12 published months (secretariat)."""
    results = access.visible_results(request.user).filter(unit_kind=kind, unit_code=code)
    rows = _history(results, outside_region=False)
    if not rows:
        raise Http404("no published alerts for that unit")
    return render(request, "alerts/unit.html", {
        "rows": rows, "latest": rows[-1], "unit_kind": UnitKind(kind).label, "unit_code": code,
        "unit_name": _unit_names([rows[-1].r])[(kind, code)], "chart": chart(rows), "own": False,
        "counted": _counted(),
    })
