"""Administrators manage users and organisations; person data is not in the admin at all.

Every addition, change and deletion made here writes an audit entry (``admin.add``,
``admin.change``, ``admin.delete``: the object, and the admin's own description of the change)
in the transaction of the change, like any other action."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opspor.web.accounts.models import Organisation, User
from opspor.web.audit import actions as audit


class AuditedAdmin(admin.ModelAdmin):
    """The admin's changes, audited. Django calls the ``log_*`` hooks inside the transaction of
    the add and change views; bulk deletion is wrapped here."""

    def _audit(self, request, event: audit.Event, obj, message) -> None:
        audit.record(request, event, action=audit.CHANGE, why=_("Administration of users and organisations"),
                     detail={"model": obj._meta.label, "object": obj.pk, "name": str(obj)[:200],
                             "change": message if isinstance(message, list | str) else str(message)})

    def log_addition(self, request, obj, message):
        self._audit(request, audit.Event.ADMIN_ADD, obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, audit.Event.ADMIN_CHANGE, obj, message)
        return super().log_change(request, obj, message)

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit(request, audit.Event.ADMIN_DELETE, obj, "")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, audit.Event.ADMIN_DELETE, obj, "")
            super().delete_queryset(request, queryset)


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "code", "region_code")
    list_filter = ("kind", "region_code")
    search_fields = ("name", "code")


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "organisation", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + ((gettext_lazy("Role"), {"fields": ("role", "organisation", "capacity")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((gettext_lazy("Role"), {"fields": ("role", "organisation")}),)
    autocomplete_fields = ("organisation",)

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():  # Django's view is not atomic: the new password and its entry together
            return super().user_change_password(request, id, form_url)
