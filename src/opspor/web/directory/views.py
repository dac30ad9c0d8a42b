"""The service directory's pages: search and export (every care role), one offer with its
places (booking by the keeper and the acute team, the keeper's edit), and loading a directory
file (the coordinator). Thin: rules and changes are in ``actions``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opspor import reference
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.core.params import choice_param
from opspor.web.core.tables import table_response
from opspor.web.directory import actions, loader
from opspor.web.directory.forms import BookForm, LoadForm, OfferForm
from opspor.web.directory.models import Offer, OfferKind, Referrer
from opspor.web.directory.queries import search

# who may read the directory: everyone who triages, refers or books
READERS = (Role.SPECIALIST, Role.NURSE, Role.PROGRAMME_LEAD, Role.MUNICIPALITY, Role.ACUTE_NURSE, Role.DOCTOR,
           Role.COORDINATOR)


def _owners():
    names = {m.code: m.name for m in reference.municipalities()} | {r.code: r.name for r in reference.regions()}
    codes = sorted({o.owner_code for o in Offer.objects.filter(active=True)})
    return [(c, names.get(c, c)) for c in codes]


@role_required(*READERS)
@require_GET
def offers(request):
    rows, filters = search(request.GET)
    fmt = choice_param(request.GET, "format", ["csv", "xlsx"])
    if fmt:
        event = audit.export_event("directory", fmt)
        audit.record(request, event, action=audit.EXPORT,
                     why=_("Service directory exported"), detail={"filters": filters, "offers": len(rows)})
        header = [_("Municipality or region"), _("Kind"), _("Name"), _("Who may refer"), _("Opening hours"),
                  _("How to book"), _("Phone"), _("Capacity"), _("Free today"), _("File version"), _("Updated")]
        body = ([o.owner_name, o.get_kind_display(), o.name, ", ".join(o.referrer_labels()), o.opening_hours,
                 o.how_to_book, o.phone, o.capacity, max(o.free, 0), o.source_version, o.updated_at] for o in rows)
        return table_response(header, body, f"tilbudsoversigt_{timezone.localdate():%Y-%m-%d}", fmt, _("Offers"))
    for o in rows:
        o.keeper = actions.keeps_offer(request.user, o)
    return render(request, "directory/offers.html", {
        "rows": rows, "filters": filters, "kinds": OfferKind.choices, "referrers": Referrer.choices,
        "owners": _owners(), "query": request.GET.urlencode(),
        "coordinator": request.user.has_role(Role.COORDINATOR),
    })


def _offer_page(request, offer, *, form=None, book_form=None, status=200):
    bookings = list(offer.bookings.in_force().select_related("booked_by"))
    return render(request, "directory/offer.html", {
        "offer": offer, "booked": len(bookings), "free": max(offer.capacity - len(bookings), 0),
        # places held by hand (no person) are listed; places for a citizen are counted only
        "held": [b for b in bookings if b.person_id is None],
        "keeper": actions.keeps_offer(request.user, offer), "may_book": actions.may_book(request.user, offer),
        "form": form or OfferForm(instance=offer), "book_form": book_form or BookForm(),
    }, status=status)


@role_required(*READERS)
@require_GET
def offer(request, key: str):
    return _offer_page(request, get_object_or_404(Offer, key=key, active=True))


@role_required(Role.COORDINATOR)
@require_POST
def edit(request, key: str):
    offer = get_object_or_404(Offer, key=key, active=True)
    if not actions.keeps_offer(request.user, offer):
        raise PermissionDenied
    form = OfferForm(request.POST, instance=Offer.objects.get(pk=offer.pk))
    if form.is_valid():
        try:
            actions.update_offer(request.user, offer, **{k: form.cleaned_data[k] for k in actions.EDITABLE})
        except ValidationError as e:
            form.add_error("capacity", e.messages[0])
        else:
            messages.success(request, _("Offer updated."))
            return redirect("directory:offer", key=offer.key)
    return _offer_page(request, offer, form=form, status=400)


@role_required(Role.COORDINATOR, Role.ACUTE_NURSE)
@require_POST
def hold(request, key: str):
    """Hold a place by hand (no citizen named: e.g. a transfer being arranged by phone)."""
    offer = get_object_or_404(Offer, key=key, active=True)
    form = BookForm(request.POST)
    if form.is_valid():
        try:
            actions.book(request.user, offer, note=form.cleaned_data["note"])
        except ValidationError as e:
            form.add_error(None, e.messages[0])
        else:
            messages.success(request, _("Place booked."))
            return redirect("directory:offer", key=offer.key)
    return _offer_page(request, offer, book_form=form, status=400)


@role_required(Role.COORDINATOR, Role.ACUTE_NURSE)
@require_POST
def release(request, key: str, booking: int):
    offer = get_object_or_404(Offer, key=key)
    held = get_object_or_404(offer.bookings, pk=booking, person__isnull=True)
    try:
        actions.release(request.user, held)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, _("Place released."))
    return redirect("directory:offer", key=offer.key)


@role_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def load(request):
    """Load a directory file (YAML) uploaded by the coordinator: the whole file or nothing."""
    form = LoadForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8")
                result = actions.load_file(request.user, loader.read_text(text, upload.name))
            except UnicodeDecodeError:
                form.add_error("file", _("The file is not UTF-8 text. Save it as UTF-8 and load it again."))
            except loader.DirectoryFileError as e:
                form.add_error("file", str(e))
            except (ValidationError, PermissionDenied) as e:
                form.add_error("file", e.messages[0] if isinstance(e, ValidationError) else str(e))
            else:
                status = 200
    return render(request, "directory/load.html", {"form": form, "result": result}, status=status)
