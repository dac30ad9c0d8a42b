"""CSV and XLSX downloads of the programme pool (pseudonymised) and of a nurse's caseload."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from opspor.web.aps import labels, queries, rules
from opspor.web.aps.models import Case
from opspor.web.aps.templatetags.aps_tags import route_labels
from opspor.web.core.tables import table_response


def pool(rows: list[queries.PoolRow], ranking: queries.Ranking, region_code: str, fmt: str) -> HttpResponse:
    header = [_("Rank"), _("Person (pseudonym)"), _("Age band"), _("Sex"), _("Municipality"), _("Routes"),
              labels.admissions_column(), _("Risk score (%)"), _("Risk model"), _("Status"), _("Nurse")]
    body = ([r.rank, r.person.short_key, queries.age_band(r.person), capfirst(r.person.sex_label),
             queries.municipality_name(r.entry.municipality_code), route_labels(r.entry.routes),
             r.entry.acute_admissions_12m, round(r.score, 1) if r.score is not None else "",
             ranking.model_id if ranking.by_risk else "",
             r.case.get_state_display() if r.case else "", (r.case.nurse.get_full_name() if r.case else "")]
            for r in rows)
    name = f"aps-pulje_{region_code}_{timezone.localdate():%Y-%m-%d}"
    return table_response(header, body, name, fmt, _("Pool"))


def caseload(cases: list[Case], username: str, fmt: str) -> HttpResponse:
    header = [_("CPR number"), _("Name"), _("Age"), _("Municipality"), _("State"), _("Invited"), _("Answered"),
              _("Start-up session"), _("End due"), _("Next session"), _("Last contact"), _("Ended"),
              _("Reason for ending")]
    body = ([c.person.cpr_display, c.person.name, c.person.age, queries.municipality_name(c.person.municipality_code),
             c.get_state_display(), c.invited_at, c.answered_at, c.started_at, c.end_due_on,
             c.next_session_at, c.last_contact_at, c.ended_at, c.get_end_reason_display()]
            + ([_arm_cell(c)] if rules.TRIAL.enabled else [])
            for c in cases)
    if rules.TRIAL.enabled:
        header.append(_("Trial group"))
    name = f"aps-forloeb_{username}_{timezone.localdate():%Y-%m-%d}"
    return table_response(header, body, name, fmt, _("Caseload"))


def _arm_cell(case: Case) -> str:
    """The trial group once consent revealed it; before that only that it is not shown."""
    if case.allocation_id is None:
        return ""
    return case.allocation.get_arm_display() if case.allocation.shown_arm else _("not shown before consent")
