"""Reads of the directory shared by its own pages and the pages that book from it (the acute
referral, the MDT conference): the search with the free places annotated."""

from __future__ import annotations

from django.db.models import Count, F, Q

from opspor.web.core.params import choice_param
from opspor.web.directory.models import Offer, OfferKind, Referrer


def search(params):
    """The offers in the directory matching the page's filters, with ``booked`` (places in
    force) and ``free`` annotated. Parameters: ``q`` (words in name, owner, hours, how to
    book, note), ``kind``, ``referrer``, ``municipality`` (owner code), ``free`` (1: only with
    a free place)."""
    kind = choice_param(params, "kind", OfferKind.values)
    referrer = choice_param(params, "referrer", Referrer.values)
    owner = choice_param(params, "owner", sorted({o.owner_code for o in Offer.objects.filter(active=True)}))
    only_free = choice_param(params, "free", ["1"])
    q = params.get("q", "").strip()[:100]
    rows = (Offer.objects.filter(active=True)
            .annotate(booked=Count("bookings", filter=Q(bookings__released_at__isnull=True)))
            .annotate(free=F("capacity") - F("booked")))
    if kind:
        rows = rows.filter(kind=kind)
    if owner:
        rows = rows.filter(owner_code=owner)
    for word in q.split():
        rows = rows.filter(Q(name__icontains=word) | Q(owner_name__icontains=word) | Q(opening_hours__icontains=word)
                           | Q(how_to_book__icontains=word) | Q(note__icontains=word) | Q(key__icontains=word))
    if only_free:
        rows = rows.filter(free__gt=0)
    rows = list(rows)
    if referrer:  # a JSON list: filtered here, the directory is small
        rows = [o for o in rows if referrer in o.referrers]
    return rows, {"q": q, "kind": kind, "referrer": referrer, "owner": owner, "free": only_free}
