"""Which referrals a user reaches: the condition of ``people.scope.acute_referrals`` (the one
place that decides it), applied to the referrals."""

from __future__ import annotations

from django.http import Http404

from opspor.web.acute.models import Referral
from opspor.web.people.scope import acute_referrals


def visible_referrals(user):
    condition = acute_referrals(user)
    return Referral.objects.none() if condition is None else Referral.objects.filter(condition).distinct()


def get_referral(user, public_id) -> Referral:
    """The referral with ``public_id`` if ``user`` reaches it; 404 otherwise (the same answer
    whether it exists or not)."""
    try:
        return visible_referrals(user).select_related("person", "referrer", "referrer_org").get(public_id=public_id)
    except (Referral.DoesNotExist, ValueError):
        raise Http404("not found") from None
