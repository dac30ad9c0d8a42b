"""Organisations and users. A user has one role and belongs to one organisation."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.web.accounts.roles import ROLE_ORG_KINDS, OrgKind, Role


class Organisation(models.Model):
    """A region, hospital department, municipality or GP practice.

    ``code`` is unique within a kind: the region code (``1083``), ``UNIT/DEPARTMENT`` for a
    department as the lists name it (``OUH/MED1``), the municipality code (``461``) or the GP
    practice's provider number (*ydernummer*).
    """

    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    code = models.CharField(_("code"), max_length=120)
    name = models.CharField(_("name"), max_length=200)
    region_code = models.CharField(_("region"), max_length=4, blank=True)
    hospital_unit = models.CharField(_("hospital unit"), max_length=40, blank=True)
    department = models.CharField(_("department"), max_length=80, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="org_kind_code_unique")]
        ordering = ["kind", "code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="users", verbose_name=_("organisation"),
        null=True, blank=True,
    )
    capacity = models.PositiveIntegerField(
        _("capacity (patients)"), default=0,
        help_text=_("Support nurses: how many patients the nurse can have in the programme at once."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        super().clean()
        if self.is_superuser:
            return
        kinds = ROLE_ORG_KINDS.get(self.role)
        if kinds is None:
            raise ValidationError({"role": _("Choose a role.")})
        if not kinds:  # a citizen or a relative
            if self.organisation is not None:
                raise ValidationError({"organisation": _("A citizen belongs to no organisation.")})
            return
        if self.organisation is None or self.organisation.kind not in kinds:
            raise ValidationError({"organisation": _("A user with this role belongs to an organisation of kind: %(kinds)s.")
                                   % {"kinds": ", ".join(str(OrgKind(k).label) for k in kinds)}})

    @property
    def region_code(self) -> str:
        return self.organisation.region_code if self.organisation else ""

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles
