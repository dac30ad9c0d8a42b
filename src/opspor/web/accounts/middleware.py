"""Second factor: users who must (administrators) or chose to (anyone who enrolled a TOTP
device) use one reach nothing but the second-factor pages until they have passed it."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from opspor.web.accounts.roles import CITIZEN_ROLES, SECOND_FACTOR_REQUIRED

OPEN_PREFIXES = ("/konto/", "/account/", "/static/", "/healthz", "/i18n/")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path.startswith(OPEN_PREFIXES):
            has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            if has_device:
                return redirect(f"{reverse('accounts:verify')}?next={request.get_full_path()}")
            if user.role in SECOND_FACTOR_REQUIRED or user.is_superuser:
                return redirect(reverse("accounts:totp_setup"))
        return self.get_response(request)


# Where a citizen may go: their own area, the account pages, static files.
CITIZEN_AREA = "/borger/"
CITIZEN_OPEN_PREFIXES = (CITIZEN_AREA, "/konto/", "/static/", "/healthz", "/i18n/", "/favicon.ico")


class CitizenAreaMiddleware:
    """A citizen reaches only the citizen's area (and log-out): the home page sends them there,
    every other page of the staff answers 404, whatever its own checks would say. Defence in
    depth: the staff pages also refuse a citizen by role (``role_required``, ``people.scope``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.role in CITIZEN_ROLES and not request.path.startswith(CITIZEN_OPEN_PREFIXES):
            if request.path == "/":
                return redirect(CITIZEN_AREA)
            raise Http404("not in the citizen's area")
        return self.get_response(request)
