"""OpenID Connect log-in: start at a door, come back, or be refused with a clear page.

``start`` sends the browser to the door's provider (state, nonce and PKCE kept in the session
by mozilla-django-oidc); ``callback`` takes the answer, and the backend checks it. Whatever
stops a log-in — a state that was not started here or was used already, a signature not by the
provider's key, a citizen whose CPR number matches no person or several, claims that give no
role — is refused with a page that says why and what to do, and is audited."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from opspor.web.accounts import oidc
from opspor.web.accounts.oidc import DOOR_SESSION_KEY
from opspor.web.audit import actions as audit
from opspor.web.signin import actions
from opspor.web.signin.backend import DOORS_SESSION_KEY
from opspor.web.signin.mapping import Refused, mapping

# Why a log-in was refused, for the person at the browser.
REASONS = {
    "state": gettext_lazy("The answer from the log-in service does not belong to a log-in started here, or it "
                          "has been used already. Nothing was logged in. Start the log-in again."),
    "provider": gettext_lazy("The log-in service did not log you in (it was cancelled or failed). Start the "
                             "log-in again."),
    "signature": gettext_lazy("The answer from the log-in service was not signed with the service's key, so it "
                              "cannot be trusted. Nothing was logged in. Try again; if it happens again, tell "
                              "the region's IT support."),
    "token": gettext_lazy("The answer from the log-in service was not meant for opspor. Nothing was logged in. "
                          "Tell the region's IT support."),
    "no_cpr": gettext_lazy("The log-in service did not give your CPR number, so we cannot find your data. "
                           "Log in with MitID again and allow the CPR number to be passed on."),
    "assurance": gettext_lazy("You logged in with a lower level of security than opspor needs to show you "
                              "health data. Nothing was logged in. Log in again with MitID using the MitID app, "
                              "a code display or a code reader (a password alone is not enough)."),
    "no_person": gettext_lazy("We have no data about you in opspor. Only citizens in Aktiv Patientstøtte or the "
                              "package for repeated admissions can log in here. If you think this is wrong, call "
                              "your contact person."),
    "several_persons": gettext_lazy("Your CPR number matches more than one record here, so we show you nothing "
                                    "until the region has corrected it. The region has been told by the audit log; "
                                    "call your contact person."),
    "person_changed": gettext_lazy("Your MitID log-in now belongs to another person than before. We show you "
                                   "nothing until the region has looked at it. Call your contact person."),
    "no_role": gettext_lazy("Your user at the region's log-in gives you no role in opspor. Ask your manager to "
                            "give you access to opspor."),
    "several_roles": gettext_lazy("Your user at the region's log-in gives you more than one role in opspor. A "
                                  "user has one role: ask your manager to correct your access."),
    "no_organisation": gettext_lazy("Your user at the region's log-in names no organisation that opspor knows, "
                                    "or one your role does not belong to. Ask your manager to correct it."),
    "no_username": gettext_lazy("The region's log-in gave no user name. Tell the region's IT support."),
    "username_taken": gettext_lazy("Your user name is taken by a local account in opspor. An administrator must "
                                   "rename one of them before you can log in this way."),
}


def refused(request, door: str, reason: str, detail: dict | None = None, person_key: str = ""):
    actions.record_refusal(door, reason, detail, person_key)
    return render(request, "signin/refused.html", {
        "reason": REASONS.get(reason, REASONS["provider"]), "door": door, "code": reason,
    }, status=403)


class Start(OIDCAuthenticationRequestView):
    """Send the browser to the door's provider."""

    def __init__(self, *args, **kwargs):  # the door's settings, per request
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get_settings(self, attr, *args):
        if attr == "OIDC_RP_SCOPES":
            return mapping().scopes(self.door.name)
        return import_from_settings(attr, *args)

    def get_extra_params(self, request):
        """A citizen's log-in asks the broker for the accepted levels of assurance (checked again
        on the ID token: a request is no guarantee)."""
        if self.door.name == "citizen":
            return {"acr_values": " ".join(mapping().citizen.assurance.accepted())}
        return {}

    def get(self, request, door):
        self.door = oidc.door(door)
        if self.door is None:
            raise Http404("no such door")
        self.OIDC_OP_AUTH_ENDPOINT = self.door.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = self.door.client_id
        response = super().get(request)
        state = parse_qs(urlparse(response["Location"]).query)["state"][0]
        doors = request.session.get(DOORS_SESSION_KEY, {})
        doors[state] = self.door.name
        request.session[DOORS_SESSION_KEY] = dict(list(doors.items())[-10:])  # the newest few tabs
        return response


class Callback(OIDCAuthenticationCallbackView):
    """The provider's answer: logged in, or refused with the reason (403)."""

    def get(self, request):
        self._door = request.session.get(DOORS_SESSION_KEY, {}).get(request.GET.get("state", ""), "")
        try:
            return super().get(request)
        except Refused as refusal:
            return refused(request, self._door or "?", refusal.reason, refusal.detail, refusal.person_key)
        except SuspiciousOperation:  # a state not started here, or used already
            return refused(request, self._door or "?", "state")

    def login_failure(self):
        reason = "provider" if self.request.GET.get("error") else "state"
        return refused(self.request, self._door or "?", reason, {"error": self.request.GET.get("error", "")[:60]})

    def login_success(self):
        response = super().login_success()
        self.request.session[DOOR_SESSION_KEY] = self._door
        audit.record(self.request, audit.Event.LOGIN, action=audit.LOGIN, why=_("Log-in"),
                     detail={"door": self._door, "mapping": mapping().version})
        return response


start = login_not_required(Start.as_view())
callback = login_not_required(Callback.as_view())
