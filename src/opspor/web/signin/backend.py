"""The authentication backend of OpenID Connect log-in: mozilla-django-oidc's code flow (token
request, signature by the provider's published keys, nonce, PKCE), with the door chosen at the
start of the log-in, the ID token's issuer and audience checked, and the user found by the
claims mapping (``mapping.py``, ``actions.py``) instead of by e-mail; a citizen's log-in must
have the configured level of assurance (the ID token's ``acr``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from opspor.web.accounts import oidc
from opspor.web.signin import actions
from opspor.web.signin.mapping import Refused, assurance_level, mapping

# The door of each log-in under way, by its state: {state: door}.
DOORS_SESSION_KEY = "opspor.oidc_doors"


class OpenIdBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):  # the settings are the door's, chosen per log-in
        self.UserModel = get_user_model()
        self.door = None

    def authenticate(self, request, **kwargs):
        """Only the callback of a log-in started here asks this backend (``nonce`` given)."""
        if request is None or "nonce" not in kwargs:
            return None
        doors = request.session.get(DOORS_SESSION_KEY, {})
        door = oidc.door(doors.pop(request.GET.get("state", ""), ""))
        request.session[DOORS_SESSION_KEY] = doors
        if door is None:
            raise Refused("state")
        self.door = door
        self.OIDC_OP_TOKEN_ENDPOINT = door.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = door.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = door.keys_endpoint
        self.OIDC_RP_CLIENT_ID = door.client_id
        self.OIDC_RP_CLIENT_SECRET = door.client_secret
        self.OIDC_RP_SIGN_ALGO = self.get_settings("OIDC_RP_SIGN_ALGO")
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The signature (by the key the provider publishes), the nonce, and that the token is
        the provider's and for opspor."""
        try:
            payload = super().verify_token(token, **kwargs)
        except SuspiciousOperation as error:
            raise Refused("signature", {"error": str(error)[:120]}) from None
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss", "").rstrip("/") != self.door.issuer or self.door.client_id not in audiences:
            raise Refused("token", {"iss_ok": payload.get("iss", "").rstrip("/") == self.door.issuer})
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):  # OpenID Connect Core 5.3.2
            raise Refused("token", {"userinfo_sub": False})
        m = mapping()
        if self.door.name == "citizen":
            try:  # the level of assurance is the ID token's (signed), never the userinfo's
                assurance_level(m.citizen.assurance, payload)
            except Refused as refusal:
                refusal.person_key = actions.person_key_of(m, claims)
                raise
            return actions.citizen_sign_in(m, self.door.issuer, claims)
        return actions.staff_sign_in(m, self.door.issuer, claims)
