"""Log-in, log-out and the second factor (TOTP)."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from opspor.web.accounts import actions, oidc
from opspor.web.accounts.forms import LoginForm, TokenForm
from opspor.web.audit import actions as audit


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "oidc_doors": [d.name for d in oidc.open_doors()]}

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(self.request, audit.Event.LOGIN, action=audit.LOGIN, why=_("Log-in"))
        return response


class LogoutView(auth_views.LogoutView):
    """Log out here; after a log-in through an OpenID provider, also at the provider (its
    end-session endpoint, which comes back to the log-in page)."""

    def post(self, request, *args, **kwargs):
        door = oidc.door(request.session.get(oidc.DOOR_SESSION_KEY, ""))
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if door and id_token:
            url = door.logout_url(id_token, request.build_absolute_uri(reverse("accounts:login")))
            if url:
                return HttpResponseRedirect(url)
        return response


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request):
    """Enrol an authenticator app: show the key as a QR code, confirm with one code."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists() and not request.user.is_verified():
        return redirect_to_login(request.get_full_path(), login_url="accounts:verify")
    device = actions.start_second_factor(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if actions.enrol_second_factor(request.user, device, form.cleaned_data["token"]):
            otp_login(request, device)
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("core:home")
        form.add_error("token", _("The code was not accepted. Check the time on your phone and try the newest code."))
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/totp_setup.html", {
        "form": form, "qr": _qr_svg(device.config_url), "secret": secret,
    })


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """Pass the second factor after the password."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_safe_next(request, "core:home"))
        form.add_error("token", _("The code was not accepted. Try the newest code from your app."))
    return render(request, "accounts/verify.html", {"form": form, "next": _safe_next(request, "")})
