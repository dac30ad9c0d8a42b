"""The role scope policy (``config/role_scope.yaml``, versioned): which parts of a person's page
each role sees, and on which legal basis. Read strictly through :mod:`opspor.config_reader`
(unknown roles, parts or keys are errors naming the file, the key and the fix).

``OPSPOR_ROLE_SCOPE`` points at another policy file (a region's own, reviewed by its legal office);
the shipped file is used otherwise. The file is re-read when it changes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from opspor import config_reader
from opspor.web.accounts.roles import Role

POLICY_FILE = Path(__file__).with_name("config") / "role_scope.yaml"

# The parts of a person's page a role can be granted, in page order, with their labels.
FIELDS = {
    "identity": _("CPR number and name"),
    "pseudonym": _("Pseudonym"),
    "facts": _("Age, sex, municipality, GP and residence"),
    "inclusion": _("Inclusion in a programme"),
    "contact_person": _("Contact person"),
    "recommendation": _("Recommendations addressed to you"),
    "programme": _("Aktiv Patientstøtte: eligibility and cases"),
    "hospital_contacts": _("Hospital contacts with action diagnoses"),
    "screenings": _("Screening decisions with the specialist's note"),
    "mdt_conferences": _("MDT conferences"),
    "messages": _("Messages to GP and municipality"),
    "telemonitoring": _("Telemonitoring: plan, measurements, thresholds and alarms"),
    "shared_plan": _("Shared plan with the tasks after the MDT"),
}


@dataclass(frozen=True)
class Grant:
    field: str
    basis: str
    reveal: bool = False  # identity only after a look-up with a logged reason

    @property
    def label(self) -> str:
        return str(FIELDS[self.field])


@dataclass(frozen=True)
class RoleScope:
    role: str
    basis: str
    grants: dict[str, Grant]
    version: str

    def may(self, field: str) -> bool:
        return field in self.grants

    def needs_reveal(self, field: str) -> bool:
        grant = self.grants.get(field)
        return grant is not None and grant.reveal

    @property
    def needs_reveal_identity(self) -> bool:  # for templates
        return self.needs_reveal("identity")


@dataclass(frozen=True)
class ScopePolicy:
    version: str
    file: str
    roles: dict[str, RoleScope]

    def for_role(self, role: str) -> RoleScope:
        """A role's scope; a user without a (known) role gets nothing."""
        return self.roles.get(role) or RoleScope(role or "", "", {}, self.version)


def load_policy(path: str | Path = POLICY_FILE) -> ScopePolicy:
    file = str(path)
    data, _digest = config_reader.read_yaml(Path(path))
    ctx = config_reader.Ctx(file)
    top = config_reader.mapping(ctx, data, ("version", "legal_review", "roles"), ("version", "roles"),
                                 examples={"version": '`version: "2026-12-04.1"`', "roles": "one entry per role"})
    version = config_reader.version(ctx.at("version"), top["version"])
    rctx = ctx.at("roles")
    raw_roles = config_reader.mapping(rctx, top["roles"], tuple(Role.values), tuple(Role.values),
                                      docs="every role needs an entry, `fields: {}` for none")
    roles = {}
    for role in Role.values:
        at = rctx.at(role)
        body = config_reader.mapping(at, raw_roles[role], ("basis", "fields"), ("basis", "fields"),
                                     examples={"basis": "the role's legal basis in Danish", "fields": "`fields: {}` for none"})
        fctx = at.at("fields")
        fields = config_reader.mapping(fctx, body["fields"] or {}, tuple(FIELDS))
        grants = {}
        for name in FIELDS:  # page order
            if name not in fields:
                continue
            gctx = fctx.at(name)
            grant = config_reader.mapping(gctx, fields[name], ("basis", "reveal"), ("basis",),
                                          examples={"basis": "the legal basis in Danish, shown on the page"})
            reveal = config_reader.boolean(gctx.at("reveal"), grant.get("reveal", False))
            if reveal and name != "identity":
                raise gctx.at("reveal").error("only `identity` can be shown on reveal",
                                              f"remove `reveal:` from `{name}`")
            grants[name] = Grant(name, config_reader.text(gctx.at("basis"), grant["basis"], "legal basis"), reveal)
        roles[role] = RoleScope(role, config_reader.text(at.at("basis"), body["basis"], "legal basis"), grants, version)
    return ScopePolicy(version, file, roles)


def policy_path() -> Path:
    configured = os.environ.get("OPSPOR_ROLE_SCOPE", "").strip()
    return Path(configured) if configured else POLICY_FILE


_cached = config_reader.reread_when_changed(load_policy)


def policy() -> ScopePolicy:
    return _cached(policy_path())


def scope_of(user) -> RoleScope:
    return policy().for_role(getattr(user, "role", "") or "")
