"""The roles of DESIGN.md and what each may reach. One place: views ask these helpers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SPECIALIST = "specialist", _("Department specialist")
    NURSE = "nurse", _("Support nurse")
    PROGRAMME_LEAD = "programme_lead", _("Programme lead")
    MUNICIPALITY = "municipality", _("Municipality / GP")
    SECRETARIAT = "secretariat", _("Monitoring secretariat")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")
    ACUTE_NURSE = "acute_nurse", _("Acute-team nurse")
    DOCTOR = "doctor", _("Responsible doctor")
    COORDINATOR = "coordinator", _("Cross-sector coordinator")
    MONITORING_NURSE = "monitoring_nurse", _("Monitoring-centre nurse")
    # A citizen on their own page (web/citizen): belongs to no organisation; linked to one
    # person by web/signin's CitizenLink (docs/citizen.md).
    CITIZEN = "citizen", _("Citizen")
    # A relative a citizen has given access to parts of their page, until a date (signin's
    # RelativeGrant); no organisation (docs/citizen.md, "Relatives").
    RELATIVE = "relative", _("Relative")


class OrgKind(models.TextChoices):
    REGION = "region", _("Region")
    DEPARTMENT = "department", _("Hospital department")
    MUNICIPALITY = "municipality", _("Municipality")
    GP_PRACTICE = "gp_practice", _("GP practice")


# The organisation kind each role belongs to (a user's organisation must be of this kind).
ROLE_ORG_KINDS: dict[str, tuple[str, ...]] = {
    Role.SPECIALIST: (OrgKind.DEPARTMENT,),
    Role.NURSE: (OrgKind.REGION,),
    Role.PROGRAMME_LEAD: (OrgKind.REGION,),
    Role.MUNICIPALITY: (OrgKind.MUNICIPALITY, OrgKind.GP_PRACTICE),
    Role.SECRETARIAT: (OrgKind.REGION,),
    Role.AUDITOR: (OrgKind.REGION,),
    Role.ADMIN: (OrgKind.REGION,),
    # The municipal acute team (001_5497481f8cd3c36e.txt 4395-4615).
    Role.ACUTE_NURSE: (OrgKind.MUNICIPALITY,),
    # The doctor responsible for a citizen in the acute function: the GP in the day, the
    # regional on-call service or a hospital doctor otherwise (001 4738-4907).
    Role.DOCTOR: (OrgKind.GP_PRACTICE, OrgKind.REGION, OrgKind.DEPARTMENT),
    # Keeps the directory of municipal and regional offers (001 461-507).
    Role.COORDINATOR: (OrgKind.REGION, OrgKind.MUNICIPALITY),
    # A region's monitoring centre for telemonitoring (002_1ebfba288d399e41.txt 7719-7763).
    Role.MONITORING_NURSE: (OrgKind.REGION,),
    # no organisation: a citizen reaches only their own data (people/scope.py)
    Role.CITIZEN: (),
    Role.RELATIVE: (),
}

# Roles that reach only the citizen's own area (accounts/middleware.py CitizenAreaMiddleware).
CITIZEN_ROLES = frozenset({Role.CITIZEN, Role.RELATIVE})

# Roles whose users must use a second factor (TOTP) before they reach anything.
SECOND_FACTOR_REQUIRED = frozenset({Role.ADMIN})
