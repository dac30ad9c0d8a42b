"""The OpenID Connect doors: where each provider is and how opspor is known to it, from the
environment. Two doors: ``staff`` (the region's identity provider) and ``citizen`` (in Denmark a
MitID broker). A door is open when ``OPSPOR_OIDC_<DOOR>_ISSUER`` is set; with it
``OPSPOR_OIDC_<DOOR>_CLIENT_ID`` and ``_CLIENT_SECRET`` are required, and ``_JWKS_URI`` may name
the key set to verify the provider's signatures by (its discovery document's ``jwks_uri``
otherwise). The endpoints come from the provider's discovery document
(``<issuer>/.well-known/openid-configuration``), fetched on the first log-in through the door
and kept for the process. Which claims make which role, organisation or person is
``web/signin/config/oidc.yaml`` (docs/citizen.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

import requests
from django.core.exceptions import ImproperlyConfigured

DOORS = ("staff", "citizen")
# The door of the current log-in session (the log-out ends the provider's session too).
DOOR_SESSION_KEY = "opspor.oidc_door"
TIMEOUT = 15


@dataclass(frozen=True)
class Door:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    jwks_uri: str = ""

    def endpoints(self) -> dict:
        return discovery(self.issuer)

    @property
    def authorization_endpoint(self) -> str:
        return self.endpoints()["authorization_endpoint"]

    @property
    def token_endpoint(self) -> str:
        return self.endpoints()["token_endpoint"]

    @property
    def userinfo_endpoint(self) -> str:
        return self.endpoints()["userinfo_endpoint"]

    @property
    def keys_endpoint(self) -> str:
        return self.jwks_uri or self.endpoints()["jwks_uri"]

    def logout_url(self, id_token: str, return_to: str) -> str | None:
        """The provider's end-session URL (RP-initiated log-out) for the session of ``id_token``,
        coming back to ``return_to``; None when the provider offers none."""
        end = self.endpoints().get("end_session_endpoint")
        if not end:
            return None
        query = {"id_token_hint": id_token, "post_logout_redirect_uri": return_to, "client_id": self.client_id}
        return f"{end}?{urlencode(query)}"


def _env(door: str, key: str) -> str:
    return os.environ.get(f"OPSPOR_OIDC_{door.upper()}_{key}", "").strip()


def door(name: str) -> Door | None:
    """The door ``name`` if it is open; None otherwise. A door opened without its client is a
    configuration error naming the variable to set."""
    if name not in DOORS:
        return None
    issuer = _env(name, "ISSUER").rstrip("/")
    if not issuer:
        return None
    values = {key: _env(name, key) for key in ("CLIENT_ID", "CLIENT_SECRET")}
    for key, value in values.items():
        if not value:
            raise ImproperlyConfigured(
                f"OPSPOR_OIDC_{name.upper()}_ISSUER is set but OPSPOR_OIDC_{name.upper()}_{key} is not: set it "
                f"(the client registered for opspor at {issuer}), or unset the issuer to close the door.")
    return Door(name, issuer, values["CLIENT_ID"], values["CLIENT_SECRET"], _env(name, "JWKS_URI"))


def open_doors() -> list[Door]:
    return [d for d in map(door, DOORS) if d is not None]


@lru_cache(maxsize=8)
def discovery(issuer: str) -> dict:
    """The provider's discovery document; its ``issuer`` must be the configured one."""
    url = f"{issuer}/.well-known/openid-configuration"
    response = requests.get(url, timeout=TIMEOUT)
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ImproperlyConfigured(f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}: "
                                   "set OPSPOR_OIDC_<DOOR>_ISSUER to the provider's issuer exactly.")
    return document
