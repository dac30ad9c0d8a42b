"""The audit log: one row per person per read, change or export; append-only.

The application cannot edit or delete a row (``save`` of an existing row, ``delete`` and the
query set's ``update``/``delete`` raise), and the database refuses it too: the migration adds
triggers on SQLite and PostgreSQL that abort any UPDATE or DELETE of the table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit entries cannot be deleted")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        READ = "read", _("Read")
        CHANGE = "change", _("Change")
        EXPORT = "export", _("Export")
        LOGIN = "login", _("Log-in")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             related_name="+", verbose_name=_("user"))
    username = models.CharField(_("user name"), max_length=150)
    user_full_name = models.CharField(_("name"), max_length=300, blank=True)
    role = models.CharField(_("role"), max_length=20, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    person_key = models.CharField(_("person (pseudonym)"), max_length=64, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    what = models.CharField(_("what"), max_length=80)
    why = models.CharField(_("why"), max_length=200)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["username", "-at"], name="audit_user_at")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")
