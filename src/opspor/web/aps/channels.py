"""How a questionnaire invitation reaches the citizen: e-mail over SMTP (Django's SMTP e-mail
backend) or SMS through an HTTP gateway. Both are set up by the environment, read when a
round sends (``opspor web questionnaire-reminders``), never at import:

    OPSPOR_PUBLIC_URL=https://opspor.region.example   # the site's address, for the link
    OPSPOR_SMTP_HOST=smtp.region.example  OPSPOR_SMTP_PORT=587
    OPSPOR_SMTP_SECURITY=starttls          # starttls (default) | tls | none
    OPSPOR_SMTP_USER=...  OPSPOR_SMTP_PASSWORD=...     # optional
    OPSPOR_MAIL_FROM="Aktiv Patientstøtte <no-reply@region.example>"
    OPSPOR_SMS_URL=https://sms-gateway.example/send    # POST, JSON {"to", "from", "text"}
    OPSPOR_SMS_TOKEN=...                               # optional: sent as a Bearer token
    OPSPOR_SMS_FROM=Region                             # optional: the sender's name

The texts are plain Danish and carry nothing about the citizen's health and no number of theirs:
that a nurse asks for an answer, by when, and the link (the questionnaire's random id). A channel
that is not set up, or a delivery that fails, raises ``DeliveryError`` with the reason; the
round records it and tries again next time."""

from __future__ import annotations

import json
import os
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend
from django.urls import reverse
from django.utils.translation import gettext as _

from opspor import contact_details
from opspor.web.aps.models import QuestionnaireRequest

EMAIL, SMS = QuestionnaireRequest.Channel.EMAIL, QuestionnaireRequest.Channel.SMS

TIMEOUT = 15.0
SECURITY = ("starttls", "tls", "none")


class DeliveryError(Exception):
    """The invitation did not go out (reason in the message; no address in it)."""


def clean_address(channel: str, value: str) -> str:
    """The address as stored (``opspor.contact_details``): an e-mail address, or a Danish mobile
    number as +45XXXXXXXX."""
    if channel == EMAIL:
        address = contact_details.email(value)
        if address is None:
            raise ValidationError(_("Write the citizen's e-mail address, e.g. navn@eksempel.dk."))
        return address
    if channel == SMS:
        number = contact_details.phone(value)
        if number is None:
            raise ValidationError(_("Write the citizen's Danish mobile number: 8 digits, e.g. 20 12 34 56."))
        return number
    raise ValidationError(_("Choose e-mail or SMS."))


@dataclass(frozen=True)
class Invitation:
    channel: str
    address: str
    link: str
    questionnaire: str  # its name, e.g. "WHO-5 Trivselsindeks"
    deadline: str       # dd-mm-åååå
    reminder: bool


def link(public_id) -> str:
    base = os.environ.get("OPSPOR_PUBLIC_URL", "").rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise DeliveryError("OPSPOR_PUBLIC_URL is not set: set it to the site's address (https://...), "
                            "so the invitation can carry the link")
    return base + reverse("citizen:questionnaire", args=[public_id])


def _subject(inv: Invitation) -> str:
    return _("Reminder: a questionnaire from your nurse") if inv.reminder else _("A questionnaire from your nurse")


def _email_text(inv: Invitation) -> str:
    first = (_("This is a reminder. ") if inv.reminder else "") + _(
        "Your nurse in Aktiv Patientstøtte asks you to answer a short questionnaire: %(name)s. "
        "Please answer by %(deadline)s.") % {"name": inv.questionnaire, "deadline": inv.deadline}
    return "\n\n".join([
        _("Hello"), first,
        _("Open the link and log in with MitID:") + "\n" + inv.link,
        _("It takes a few minutes. If you have questions, write to your nurse on your page or wait for the next call."),
        _("Kind regards\nAktiv Patientstøtte"),
    ]) + "\n"


def _sms_text(inv: Invitation) -> str:
    return ((_("Reminder: ") if inv.reminder else "")
            + _("Your nurse asks you to answer a questionnaire by %(deadline)s. Log in with MitID: %(link)s")
            % {"deadline": inv.deadline, "link": inv.link})


def smtp() -> tuple[EmailBackend, str, str]:
    """Django's SMTP backend as the environment sets it up, the sender, and where it sends
    ("host:port"); ``DeliveryError`` naming the setting to fix when it is not set up."""
    host = os.environ.get("OPSPOR_SMTP_HOST", "")
    sender = os.environ.get("OPSPOR_MAIL_FROM", "")
    if not host or not sender:
        raise DeliveryError("e-mail is not set up: set OPSPOR_SMTP_HOST and OPSPOR_MAIL_FROM")
    security = os.environ.get("OPSPOR_SMTP_SECURITY", "starttls")
    if security not in SECURITY:
        raise DeliveryError(f"OPSPOR_SMTP_SECURITY={security!r} is not one of {', '.join(SECURITY)}")
    try:
        port = int(os.environ.get("OPSPOR_SMTP_PORT", "587"))
    except ValueError:
        raise DeliveryError("OPSPOR_SMTP_PORT is not a port number") from None
    backend = EmailBackend(host=host, port=port, username=os.environ.get("OPSPOR_SMTP_USER", ""),
                           password=os.environ.get("OPSPOR_SMTP_PASSWORD", ""), use_tls=security == "starttls",
                           use_ssl=security == "tls", timeout=TIMEOUT, fail_silently=False)
    return backend, sender, f"{host}:{port}"


def send(message: EmailMessage, where: str) -> str:
    """Send ``message`` (made with the backend of :func:`smtp`); what took it, or ``DeliveryError``."""
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as e:  # refused sender or recipients, time-outs, no server
        raise DeliveryError(f"the SMTP server {where} did not take the e-mail: {type(e).__name__}") from None
    return f"smtp {where}"


def send_email(inv: Invitation) -> str:
    backend, sender, where = smtp()
    return send(EmailMessage(_subject(inv), _email_text(inv), sender, [inv.address], connection=backend), where)


def send_sms(inv: Invitation) -> str:
    url = os.environ.get("OPSPOR_SMS_URL", "")
    if not url.startswith(("https://", "http://")):
        raise DeliveryError("SMS is not set up: set OPSPOR_SMS_URL to the gateway's address")
    body = json.dumps({"to": inv.address, "from": os.environ.get("OPSPOR_SMS_FROM", "opspor"),
                       "text": _sms_text(inv)}, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if os.environ.get("OPSPOR_SMS_TOKEN"):
        headers["Authorization"] = f"Bearer {os.environ['OPSPOR_SMS_TOKEN']}"
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as e:
        raise DeliveryError(f"the SMS gateway answered HTTP {e.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise DeliveryError(f"no answer from the SMS gateway: {getattr(e, 'reason', e)}") from None
    return f"sms gateway HTTP {status}"


def deliver(inv: Invitation) -> str:
    """Send ``inv``; what took it (for the audit log), or ``DeliveryError``."""
    return send_email(inv) if inv.channel == EMAIL else send_sms(inv)
