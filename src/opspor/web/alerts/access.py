"""Which published alert results a user may see (aggregates, so per organisation, not per person).

* municipality / GP practice user (``Role.MUNICIPALITY``): the results of their own unit — the
  municipality with the organisation's code, or the GP practice with its provider number — and,
  when the organisation has a region, only that region's;
* monitoring secretariat: every unit of their own region;
* everybody else: nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet

from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.alerts.models import AlertResult, UnitKind

_ORG_UNIT = {OrgKind.MUNICIPALITY: UnitKind.MUNICIPALITY, OrgKind.GP_PRACTICE: UnitKind.GP_PRACTICE}


def own_unit(user) -> tuple[str, str] | None:
    """(unit kind, code) of a municipality / GP practice user's organisation, else None."""
    org = getattr(user, "organisation", None)
    if org is None or user.role != Role.MUNICIPALITY or org.kind not in _ORG_UNIT:
        return None
    return str(_ORG_UNIT[org.kind]), org.code


def visible_results(user) -> QuerySet[AlertResult]:
    results = AlertResult.objects.all()
    org = getattr(user, "organisation", None)
    if not user.is_authenticated or not user.is_active or org is None:
        return results.none()
    if user.role == Role.MUNICIPALITY:
        unit = own_unit(user)
        if unit is None:
            return results.none()
        mine = results.filter(unit_kind=unit[0], unit_code=unit[1])
        return mine.filter(region_code=org.region_code) if org.region_code else mine
    if user.role == Role.SECRETARIAT and org.region_code:
        return results.filter(region_code=org.region_code)
    return results.none()
