"""The claims mapping of OpenID Connect log-in (``config/oidc.yaml``, versioned): which claims of
the region's identity provider make which role and organisation, and which claim of the MitID
broker holds the citizen's CPR number. Read strictly through :mod:`opspor.config_reader`; an
error names the file, the key and the fix. ``OPSPOR_OIDC_MAPPING`` names another file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from opspor import config_reader
from opspor.web.accounts.roles import ROLE_ORG_KINDS, OrgKind, Role

MAPPING_FILE = Path(__file__).with_name("config") / "oidc.yaml"
# Roles a provider's claims may give: not the administrator (local account with TOTP) and not
# the citizen or relative (the citizen's door maps a CPR number to a person or a relative's grant).
MAPPABLE_ROLES = tuple(r for r in Role.values if r not in (Role.ADMIN, Role.CITIZEN, Role.RELATIVE))


@dataclass(frozen=True)
class StaffMapping:
    scopes: str
    username_claim: str
    name_claim: str
    role_claim: str
    roles: dict[str, str]
    organisation_claim: str


@dataclass(frozen=True)
class Assurance:
    """The level of assurance a citizen's log-in must have: the ID token's ``claim`` (``acr``)
    must be one of ``levels`` (lowest first) at or above ``minimum``."""
    claim: str
    levels: tuple[str, ...]
    minimum: str

    def accepted(self) -> tuple[str, ...]:
        return self.levels[self.levels.index(self.minimum):]


@dataclass(frozen=True)
class CitizenMapping:
    scopes: str
    cpr_claim: str
    name_claim: str
    assurance: Assurance


@dataclass(frozen=True)
class ClaimsMapping:
    version: str
    file: str
    staff: StaffMapping
    citizen: CitizenMapping

    def scopes(self, door: str) -> str:
        return getattr(self, door).scopes


def load(path: str | Path = MAPPING_FILE) -> ClaimsMapping:
    data, _digest = config_reader.read_yaml(Path(path))
    ctx = config_reader.Ctx(str(path))
    top = config_reader.mapping(ctx, data, ("version", "staff", "citizen"), ("version", "staff", "citizen"),
                                examples={"version": '`version: "2026-12-05.1"`'})
    text = config_reader.text
    s_ctx = ctx.at("staff")
    s_keys = ("scopes", "username_claim", "name_claim", "role_claim", "roles", "organisation_claim")
    staff = config_reader.mapping(s_ctx, top["staff"], s_keys, s_keys)
    r_ctx = s_ctx.at("roles")
    if not isinstance(staff["roles"], dict) or not staff["roles"]:
        raise r_ctx.error("expected a mapping of claim values to opspor roles",
                          "write e.g. `opspor-sygeplejerske: nurse`")
    roles = {str(value): config_reader.choice(r_ctx.at(str(value)), role, MAPPABLE_ROLES, "role")
             for value, role in staff["roles"].items()}
    c_ctx = ctx.at("citizen")
    c_keys = ("scopes", "cpr_claim", "name_claim", "assurance")
    citizen = config_reader.mapping(c_ctx, top["citizen"], c_keys, c_keys)
    assurance = _assurance(c_ctx.at("assurance"), citizen["assurance"])
    for door_ctx, body in ((s_ctx, staff), (c_ctx, citizen)):
        scopes = text(door_ctx.at("scopes"), body["scopes"], "scopes")
        if "openid" not in scopes.split():
            raise door_ctx.at("scopes").error("the scopes must include `openid`", 'write e.g. `scopes: "openid profile"`')
    return ClaimsMapping(
        version=config_reader.version(ctx.at("version"), top["version"]), file=str(path),
        staff=StaffMapping(
            scopes=text(s_ctx.at("scopes"), staff["scopes"]),
            username_claim=text(s_ctx.at("username_claim"), staff["username_claim"], "claim name"),
            name_claim=text(s_ctx.at("name_claim"), staff["name_claim"], "claim name"),
            role_claim=text(s_ctx.at("role_claim"), staff["role_claim"], "claim name"),
            roles=roles,
            organisation_claim=text(s_ctx.at("organisation_claim"), staff["organisation_claim"], "claim name"),
        ),
        citizen=CitizenMapping(
            scopes=text(c_ctx.at("scopes"), citizen["scopes"]),
            cpr_claim=text(c_ctx.at("cpr_claim"), citizen["cpr_claim"], "claim name"),
            name_claim=text(c_ctx.at("name_claim"), citizen["name_claim"], "claim name"),
            assurance=assurance,
        ),
    )


def _assurance(ctx: config_reader.Ctx, value) -> Assurance:
    keys = ("claim", "levels", "minimum")
    body = config_reader.mapping(ctx, value, keys, keys)
    raw = body["levels"]
    if not isinstance(raw, list) or not raw:
        raise ctx.at("levels").error("expected a list of the provider's acr values, lowest first",
                                     "write e.g. `levels: [https://data.gov.dk/concept/core/nsis/loa/Low, "
                                     "https://data.gov.dk/concept/core/nsis/loa/Substantial]`")
    levels = tuple(config_reader.text(ctx.at(f"levels[{i}]"), v, "acr value") for i, v in enumerate(raw))
    if len(set(levels)) != len(levels):
        raise ctx.at("levels").error("a level is listed twice", "list each acr value once, lowest first")
    return Assurance(claim=config_reader.text(ctx.at("claim"), body["claim"], "claim name"), levels=levels,
                     minimum=config_reader.choice(ctx.at("minimum"), body["minimum"], levels, "level"))


def mapping_path() -> Path:
    configured = os.environ.get("OPSPOR_OIDC_MAPPING", "").strip()
    return Path(configured) if configured else MAPPING_FILE


_cached = config_reader.reread_when_changed(load)


def mapping() -> ClaimsMapping:
    return _cached(mapping_path())


# --- what the claims say ----------------------------------------------------------------------

class Refused(Exception):
    """A log-in that must not go on: ``reason`` is one of :data:`REASONS` (views/refused page)."""

    def __init__(self, reason: str, detail: dict | None = None, person_key: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or {}
        self.person_key = person_key


def _values(claim) -> list[str]:
    if claim is None:
        return []
    if isinstance(claim, (list, tuple)):
        return [str(v) for v in claim]
    return [str(claim)]


def staff_role(m: StaffMapping, claims: dict) -> str:
    """The one opspor role the claims give; :class:`Refused` ``no_role`` when none, ``several_roles``
    when they give different ones."""
    found = sorted({m.roles[v] for v in _values(claims.get(m.role_claim)) if v in m.roles})
    if not found:
        raise Refused("no_role", {"claim": m.role_claim})
    if len(found) > 1:
        raise Refused("several_roles", {"roles": found})
    return found[0]


def assurance_level(a: Assurance, token: dict) -> str:
    """The level of the ID token ``token`` if it is at or above the minimum; :class:`Refused`
    ``assurance`` otherwise (a lower level, one not listed, or none)."""
    level = token.get(a.claim)
    if not isinstance(level, str) or level not in a.accepted():
        raise Refused("assurance", {"claim": a.claim, "acr": str(level or "")[:80], "minimum": a.minimum})
    return level


def staff_organisation(m: StaffMapping, claims: dict, role: str) -> tuple[str, str]:
    """``(kind, code)`` of the organisation claim, of a kind the role belongs to; :class:`Refused`
    ``no_organisation`` otherwise (the organisation itself is looked up by the caller)."""
    value = claims.get(m.organisation_claim)
    kind, _sep, code = str(value or "").partition(":")
    if not code or kind not in OrgKind.values or kind not in ROLE_ORG_KINDS.get(role, ()):
        raise Refused("no_organisation", {"claim": m.organisation_claim, "role": role})
    return kind, code
