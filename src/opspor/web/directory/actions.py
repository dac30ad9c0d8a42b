"""Every change of the directory: loading a directory file, the coordinator's edit of an offer,
booking and releasing a place. Each checks who may do it, changes the rows and writes its audit
entry in one transaction.

Who keeps an offer: the cross-sector coordinator of its owner (a municipality's coordinator its
municipality's offers; a region's coordinator every offer in the region). Who books a place: its
keeper, or the acute team (acute-team nurse) of the owning municipality or, for a region's offer,
of a municipality in that region; or, for a citizen, an action of an app above that has checked
that its user may book for that citizen (``checked_by``: the MDT conference's department in
``careplan``): then only offers that serve the citizen (their municipality's, their region's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.audit import actions as audit
from opspor.web.directory.loader import DirectoryFile
from opspor.web.directory.models import Booking, Offer, OwnerKind

EDITABLE = ("capacity", "opening_hours", "how_to_book", "phone", "note")


def keeps(user, owner_kind: str, owner_code: str, region_code: str) -> bool:
    """Is ``user`` the coordinator who keeps offers of this owner?"""
    org = getattr(user, "organisation", None)
    if org is None or not user.has_role(Role.COORDINATOR):
        return False
    if org.kind == OrgKind.MUNICIPALITY:
        return owner_kind == OwnerKind.MUNICIPALITY and owner_code == org.code
    if org.kind == OrgKind.REGION:
        return region_code == org.region_code
    return False


def keeps_offer(user, offer: Offer) -> bool:
    return keeps(user, offer.owner_kind, offer.owner_code, offer.region_code)


def may_book(user, offer: Offer) -> bool:
    if keeps_offer(user, offer):
        return True
    org = getattr(user, "organisation", None)
    if org is None or not user.has_role(Role.ACUTE_NURSE) or org.kind != OrgKind.MUNICIPALITY:
        return False
    if offer.owner_kind == OwnerKind.MUNICIPALITY:
        return offer.owner_code == org.code
    return offer.region_code == org.region_code


def serves(offer: Offer, person) -> bool:
    """Is ``offer`` one for the citizen: their municipality's, or their region's?"""
    if offer.owner_kind == OwnerKind.MUNICIPALITY:
        return offer.owner_code == person.municipality_code
    return offer.region_code == person.region_code


def _check_booker(user, offer: Offer, person, checked_by: str) -> None:
    if checked_by:
        if person is None or not serves(offer, person):
            raise PermissionDenied
    elif not may_book(user, offer):
        raise PermissionDenied


def in_force(offer: Offer) -> int:
    return offer.bookings.in_force().count()


def free_places(offer: Offer) -> int:
    return max(offer.capacity - in_force(offer), 0)


def _actor_name(actor) -> str:
    return actor.get_username()[:150]


# --------------------------------------------------------------------------- the directory file

@dataclass(frozen=True)
class LoadResult:
    file: str
    version: str
    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int
    retired: tuple[str, ...]


def _fields(row) -> dict:
    return {"owner_kind": row.owner_kind, "owner_code": row.owner_code, "owner_name": row.owner_name,
            "region_code": row.region_code, "kind": row.kind, "name": row.name, "referrers": list(row.referrers),
            "opening_hours": row.opening_hours, "how_to_book": row.how_to_book, "phone": row.phone,
            "capacity": row.capacity, "note": row.note, "active": True}


@transaction.atomic
def load_file(actor, directory: DirectoryFile) -> LoadResult:
    """Make the directory say what ``directory`` says for its owners: offers added or changed by
    key, and offers of the same owners that the file no longer lists taken out of the directory
    (kept for their bookings' history). A user may load only offers they keep; a command
    (``SystemActor``) any. Refused as a whole, naming the offer, when a capacity would fall below
    the places booked now, or a retired offer still has places booked."""
    if getattr(actor, "pk", None) is not None:
        for row in directory.offers:
            if not keeps(actor, row.owner_kind, row.owner_code, row.region_code):
                raise PermissionDenied(_("You do not keep the offers of %(owner)s (offer “%(key)s”).")
                                       % {"owner": row.owner_name, "key": row.key})
    existing = {o.key: o for o in Offer.objects.select_for_update().filter(key__in=[r.key for r in directory.offers])}
    added, changed, unchanged = [], [], 0
    for row in directory.offers:
        wanted = _fields(row)
        offer = existing.get(row.key)
        if offer is None:
            offer = Offer(key=row.key, **wanted)
            added.append(row.key)
        else:
            if (offer.owner_kind, offer.owner_code) != (row.owner_kind, row.owner_code):
                raise ValidationError(_("%(file)s: offer “%(key)s” belongs to %(old)s in the directory; a file "
                                        "cannot give it to another owner. Give the offer a new key.")
                                      % {"file": directory.file, "key": row.key, "old": offer.owner_name})
            booked = in_force(offer)
            if row.capacity < booked:
                raise ValidationError(_("%(file)s: offer “%(key)s”: capacity %(capacity)s is below the %(booked)s "
                                        "places booked now. Release places first or keep the capacity.")
                                      % {"file": directory.file, "key": row.key, "capacity": row.capacity,
                                         "booked": booked})
            if all(getattr(offer, k) == v for k, v in wanted.items()):
                unchanged += 1
                continue
            for k, v in wanted.items():
                setattr(offer, k, v)
            changed.append(row.key)
        offer.source_file, offer.source_version = directory.file[-200:], directory.version
        offer.updated_by = _actor_name(actor)
        offer.save()
    retired = []
    owners = directory.owners
    for offer in Offer.objects.select_for_update().filter(active=True).exclude(
            key__in=[r.key for r in directory.offers]):
        if (offer.owner_kind, offer.owner_code) not in owners:
            continue
        if in_force(offer):
            raise ValidationError(_("%(file)s no longer lists offer “%(key)s”, which has places booked now. "
                                    "Release them first or keep the offer in the file.")
                                  % {"file": directory.file, "key": offer.key})
        offer.active, offer.updated_by = False, _actor_name(actor)
        offer.source_version = directory.version
        offer.save(update_fields=["active", "updated_by", "source_version", "updated_at"])
        retired.append(offer.key)
    result = LoadResult(directory.file, directory.version, tuple(added), tuple(changed), unchanged, tuple(retired))
    audit.record(actor, audit.Event.DIRECTORY_LOAD, action=audit.CHANGE, why=_("Directory file loaded"),
                 detail={"file": directory.file[-200:], "version": directory.version, "sha256": directory.sha256,
                         "added": list(added), "changed": list(changed), "retired": retired,
                         "unchanged": unchanged})
    return result


# --------------------------------------------------------------------------- the coordinator's edit

@transaction.atomic
def update_offer(user, offer: Offer, **values) -> Offer:
    """The keeper changes capacity, opening hours, how to book, phone or note."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if not keeps_offer(user, offer):
        raise PermissionDenied
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    booked = in_force(offer)
    if "capacity" in values and values["capacity"] < booked:
        raise ValidationError(_("The capacity cannot be below the %(booked)s places booked now.") % {"booked": booked})
    before = {k: getattr(offer, k) for k in values}
    for k, v in values.items():
        setattr(offer, k, v)
    offer.updated_by = _actor_name(user)
    offer.save()
    audit.record(user, audit.Event.DIRECTORY_UPDATE, action=audit.CHANGE, why=_("Offer updated in the directory"),
                 detail={"offer": offer.key, "before": before, "after": values})
    return offer


# --------------------------------------------------------------------------- places

@transaction.atomic
def book(user, offer: Offer, *, person=None, source: str = "", note: str = "", starts_on: dt.date | None = None,
         checked_by: str = "") -> Booking:
    """Take a free place of ``offer`` (for ``person`` when given). Refused with the reason when
    the user may not book it, the offer has left the directory, or no place is free.
    ``checked_by``: the action that checked that ``user`` may book for ``person`` (module docs)."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)  # one booking at a time per offer
    _check_booker(user, offer, person, checked_by)
    if not offer.active:
        raise ValidationError(_("“%(offer)s” is no longer in the directory.") % {"offer": offer.name})
    booked = in_force(offer)
    if booked >= offer.capacity:
        raise ValidationError(_("No free place: all %(capacity)s places of “%(offer)s” are booked. Ask %(phone)s "
                                "or choose another offer.")
                              % {"capacity": offer.capacity, "offer": offer.name, "phone": offer.phone or _("the offer")})
    if person is not None and Booking.objects.in_force().filter(offer=offer, person=person).exists():
        raise ValidationError(_("The citizen already has a place booked in “%(offer)s”.") % {"offer": offer.name})
    booking = Booking.objects.create(offer=offer, person=person, source=source[:80], note=note.strip()[:300],
                                     starts_on=starts_on or timezone.localdate(), booked_by=user)
    audit.record(user, audit.Event.DIRECTORY_BOOK, action=audit.CHANGE, why=_("Place booked"),
                 persons=[person.person_key] if person else [],
                 detail={"offer": offer.key, "booking": booking.pk, "source": booking.source,
                         "free_after": offer.capacity - booked - 1, **({"checked_by": checked_by} if checked_by else {})})
    return booking


@transaction.atomic
def release(user, booking: Booking, *, why: str = "", checked_by: str = "") -> Booking:
    """Free the place of ``booking``; ``checked_by`` as for ``book``."""
    booking = Booking.objects.select_for_update(of=("self",)).select_related("offer", "person").get(pk=booking.pk)
    _check_booker(user, booking.offer, booking.person, checked_by)
    if booking.released_at:
        raise ValidationError(_("The place has already been released."))
    booking.released_at, booking.released_by = timezone.now(), user
    booking.save(update_fields=["released_at", "released_by"])
    audit.record(user, audit.Event.DIRECTORY_RELEASE, action=audit.CHANGE, why=why or _("Place released"),
                 persons=[booking.person.person_key] if booking.person else [],
                 detail={"offer": booking.offer.key, "booking": booking.pk, "source": booking.source,
                         **({"checked_by": checked_by} if checked_by else {})})
    return booking
