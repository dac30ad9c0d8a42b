"""Placeholder views: the Aktiv Patientstøtte pages are being built."""

from django.shortcuts import render


def _todo(request):
    return render(request, "core/no_role.html")


day = caseload = programme = nurses = _todo
