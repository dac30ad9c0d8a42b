"""Views that hold no person data: health check and the role's home page."""

from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opspor import __version__
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.core.context import MENUS
from opspor.web.core.params import BadParameter
from opspor.web.people.scope import shows_identity, visible_persons
from opspor.web.worklists.models import ListEntry, ListRun, Screening


def bad_request(request, exception):
    """The 400 page (``handler400``): what was wrong with a parameter, in the user's language."""
    message = str(exception) if isinstance(exception, BadParameter) else ""
    return render(request, "400.html", {"message": message}, status=400)


@login_not_required
@require_GET
def healthz(request):
    """Liveness for load balancers: the process answers and its database is reachable."""
    from django.db import connection

    connection.ensure_connection()
    return JsonResponse({"status": "ok", "version": __version__})


@require_GET
def home(request):
    """Send each user to the first page of their role's menu."""
    menu = MENUS.get(request.user.role)
    if menu:
        return redirect(menu[0][0])
    return render(request, "core/no_role.html", status=403)


@role_required(Role.MUNICIPALITY)
@require_GET
def citizens(request):
    """A municipality's or GP practice's citizens who are included in a programme."""
    persons = list(visible_persons(request.user).prefetch_related("aps_cases", "screenings").order_by("name")[:500])
    audit.record(request, audit.Event.CITIZENS, action=audit.READ, why=_("Our citizens in the programmes"),
                 persons=[p.person_key for p in persons])
    for p in persons:
        p.show_identity = shows_identity(request, p)  # the role scope policy grants identity or not
    return render(request, "core/citizens.html", {"persons": persons})


@role_required(Role.SECRETARIAT)
@require_GET
def overview(request):
    """Aggregates only: the newest list day per department, screened and included."""
    run = ListRun.objects.order_by("-as_of", "-published_at").first()
    rows = []
    if run:
        rows = (ListEntry.objects.filter(run=run).values("department__name")
                .annotate(patients=Count("person", distinct=True)).order_by("department__name"))
    screened = dict(Screening.objects.filter(run=run).values_list("department__name").annotate(n=Count("person", distinct=True))) if run else {}
    included = dict(Screening.objects.filter(run=run, decision="include").values_list("department__name")
                    .annotate(n=Count("person", distinct=True))) if run else {}
    table = [{"department": r["department__name"], "patients": r["patients"],
              "screened": screened.get(r["department__name"], 0), "included": included.get(r["department__name"], 0)}
             for r in rows]
    return render(request, "core/overview.html", {"run": run, "table": table})
