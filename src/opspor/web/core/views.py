"""Views that hold no person data."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from opspor import __version__


@require_GET
def healthz(request):
    """Liveness for load balancers: the process answers and its database is reachable."""
    from django.db import connection

    connection.ensure_connection()
    return JsonResponse({"status": "ok", "version": __version__})
