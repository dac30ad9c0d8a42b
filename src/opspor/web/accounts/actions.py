"""Changes to a user's account that the user makes: making a key for and enrolling an
authenticator app (TOTP).
Each writes its audit entry in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from opspor.web.audit import actions as audit


@transaction.atomic
def start_second_factor(user) -> TOTPDevice:
    """The user's unconfirmed authenticator key, made (and audited) on the first visit to the
    set-up page; later visits show the same key until it is confirmed."""
    device, created = TOTPDevice.objects.get_or_create(user=user, confirmed=False,
                                                       defaults={"name": "authenticator"})
    if created:
        audit.record(user, audit.Event.SECOND_FACTOR_KEY, action=audit.CHANGE,
                     why=_("Key for a second factor made"))
    return device


@transaction.atomic
def enrol_second_factor(user, device: TOTPDevice, token: str) -> bool:
    """Confirm ``device`` with one ``token`` from the app and remove the user's other devices.
    False (and nothing changed but django-otp's throttling count) when the code is not accepted."""
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save()
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    audit.record(user, audit.Event.SECOND_FACTOR, action=audit.CHANGE, why=_("Second factor set up"))
    return True
