"""The changes a log-in through an OpenID provider makes, each audited in its transaction:
a staff member's account set from the claims, a citizen's account linked to their person, a
relative's account, and the record of a refused log-in; and the citizen's grants of access to a
relative and their revocation."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor import cpr as cprlib
from opspor.store.key import pseudonym_key
from opspor.web.accounts.models import Organisation, User
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.people.models import Person
from opspor.web.signin.mapping import ClaimsMapping, Refused, staff_organisation, staff_role
from opspor.web.signin.models import CitizenLink, ExternalIdentity, RelativeAccount, RelativeGrant


def actor(door: str) -> audit.SystemActor:
    return audit.system(f"OpenID Connect log-in ({door})")


def _identity(issuer: str, claims: dict) -> ExternalIdentity | None:
    return ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=claims["sub"]).first()


@transaction.atomic
def staff_sign_in(m: ClaimsMapping, issuer: str, claims: dict) -> User:
    """The staff member of ``claims``: made at the first log-in, role and organisation set from
    the claims at every log-in (the provider is the source of truth; a change is audited)."""
    sm = m.staff
    role = staff_role(sm, claims)
    kind, code = staff_organisation(sm, claims, role)
    organisation = Organisation.objects.filter(kind=kind, code=code).first()
    if organisation is None:
        raise Refused("no_organisation", {"claim": sm.organisation_claim, "kind": kind})
    found = _identity(issuer, claims)
    name = str(claims.get(sm.name_claim) or "")
    first, _sep, last = name.partition(" ")
    if found is None:
        username = str(claims.get(sm.username_claim) or "").strip()[:150]
        if not username:
            raise Refused("no_username", {"claim": sm.username_claim})
        if User.objects.filter(username=username).exists():
            raise Refused("username_taken", {"claim": sm.username_claim})
        user = User(username=username, role=role, organisation=organisation, first_name=first[:150], last_name=last[:150])
        user.set_unusable_password()
        user.full_clean()
        user.save()
        ExternalIdentity.objects.create(door="staff", issuer=issuer, subject=claims["sub"], user=user)
        audit.record(user, audit.Event.SIGNIN_STAFF, action=audit.CHANGE,
                     why=_("Account made from the identity provider's claims"),
                     detail={"role": role, "organisation": f"{kind}:{code}", "mapping": m.version, "new": True})
        return user
    user = found.user
    before = (user.role, user.organisation_id)
    if before != (role, organisation.pk):
        user.role, user.organisation = role, organisation
        user.full_clean()
        user.save(update_fields=["role", "organisation"])
        audit.record(user, audit.Event.SIGNIN_STAFF, action=audit.CHANGE,
                     why=_("Role or organisation changed by the identity provider's claims"),
                     detail={"role": role, "organisation": f"{kind}:{code}", "mapping": m.version, "new": False})
    return user


def _cpr(value) -> str:
    digits = str(value or "").replace("-", "").strip()
    return digits if cprlib.birth_date(digits) is not None else ""


def person_key_of(m: ClaimsMapping, claims: dict) -> str:
    """The pseudonym of the CPR number of ``claims`` (for a refusal's audit entry), or ""."""
    cpr = _cpr(claims.get(m.citizen.cpr_claim))
    return cprlib.pseudonym(cpr, pseudonym_key()) if cpr else ""


@transaction.atomic
def citizen_sign_in(m: ClaimsMapping, issuer: str, claims: dict) -> User:
    """The citizen of ``claims``: the CPR number of the token must match exactly one person
    (none or several: :class:`Refused`); their account is made and linked at the first log-in."""
    cm = m.citizen
    cpr = _cpr(claims.get(cm.cpr_claim))
    if not cpr:
        raise Refused("no_cpr", {"claim": cm.cpr_claim})
    key = cprlib.pseudonym(cpr, pseudonym_key())
    persons = list(Person.objects.filter(cpr=cpr)[:2])
    if not persons and RelativeGrant.objects.filter(relative_key=key, revoked_at__isnull=True,
                                                    until__gte=timezone.localdate()).exists():
        return _relative(m, issuer, claims, key)
    if len(persons) != 1:
        raise Refused("no_person" if not persons else "several_persons", person_key=key)
    person = persons[0]
    found = _identity(issuer, claims)
    if found is not None:
        link = CitizenLink.objects.filter(user=found.user).select_related("person").first()
        if link is None or link.person_id != person.pk:  # the provider's subject now names someone else
            raise Refused("person_changed", person_key=key)
        return found.user
    link = CitizenLink.objects.filter(person=person).select_related("user").first()
    if link is not None:  # known through another provider (or subject): the same citizen
        user = link.user
    else:
        user = _new_account(str(claims.get(cm.name_claim) or person.name))
        CitizenLink.objects.create(user=user, person=person, how=CitizenLink.How.OIDC)
    ExternalIdentity.objects.create(door="citizen", issuer=issuer, subject=claims["sub"], user=user)
    audit.record(user, audit.Event.SIGNIN_CITIZEN, action=audit.CHANGE,
                 why=_("Citizen's account linked to the person by the CPR number of the log-in"),
                 persons=[person.person_key], detail={"mapping": m.version})
    return user


def _relative(m: ClaimsMapping, issuer: str, claims: dict, key: str) -> User:
    """A relative with a grant in force: their account, made at the first log-in (audited)."""
    found = _identity(issuer, claims)
    if found is not None:
        return found.user
    account = RelativeAccount.objects.filter(relative_key=key).select_related("user").first()
    if account is None:
        user = _new_account(str(claims.get(m.citizen.name_claim) or ""), Role.RELATIVE, "paaroerende")
        account = RelativeAccount.objects.create(user=user, relative_key=key)
    ExternalIdentity.objects.create(door="citizen", issuer=issuer, subject=claims["sub"], user=account.user)
    audit.record(account.user, audit.Event.SIGNIN_RELATIVE, action=audit.CHANGE,
                 why=_("Relative's account made"), detail={"mapping": m.version})
    return account.user


def _new_account(name: str, role: str = Role.CITIZEN, prefix: str = "borger") -> User:
    first, _sep, last = name.partition(" ")
    user = User(username=f"{prefix}-{secrets.token_hex(5)}", role=role, organisation=None,
                first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def link_local_citizen(person: Person, username: str, password: str) -> User:
    """A local citizen's account (the demo's) for ``person``, made or given ``password``."""
    link = CitizenLink.objects.filter(person=person).select_related("user").first()
    user = link.user if link else User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username, role=Role.CITIZEN, organisation=None)
        first, _sep, last = person.name.partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
    if created or not user.check_password(password):
        user.set_password(password)
        user.full_clean()
        user.save()
    if link is None:
        CitizenLink.objects.create(user=user, person=person, how=CitizenLink.How.LOCAL)
        audit.record(user, audit.Event.SIGNIN_CITIZEN, action=audit.CHANGE,
                     why=_("Citizen's local account linked to the person"), persons=[person.person_key],
                     detail={"how": "local"})
    return user


@transaction.atomic
def record_refusal(door: str, reason: str, detail: dict | None = None, person_key: str = "") -> None:
    audit.record(actor(door), audit.Event.LOGIN_REFUSED, action=audit.LOGIN, why=_("Log-in refused"),
                 persons=[person_key] if person_key else [], detail={"door": door, "reason": reason, **(detail or {})})


# --- relatives by the citizen's consent -------------------------------------------------------

def relative_key(cpr: str) -> str:
    """The key a grant names a relative by: the pseudonym of their CPR number."""
    return cprlib.pseudonym(cpr, pseudonym_key())


def _check_citizen(user, person: Person) -> None:
    if not (user.has_role(Role.CITIZEN) and CitizenLink.objects.filter(user=user, person=person).exists()):
        raise PermissionDenied


@transaction.atomic
def grant_relative(user, person: Person, *, key: str, name: str, parts: Sequence[str],
                   until: dt.date) -> RelativeGrant:
    """The citizen ``user`` lets the relative named by ``key`` (:func:`relative_key` of their CPR
    number: the number itself is never kept) see ``parts`` of their page up to and including
    ``until``."""
    _check_citizen(user, person)
    parts = [p for p in RelativeGrant.PARTS if p in set(parts)]
    if not parts:
        raise ValidationError(_("Choose what your relative may see."))
    if until < timezone.localdate():
        raise ValidationError(_("Choose a day from today on."))
    if key == relative_key(person.cpr):
        raise ValidationError(_("That is your own CPR number. Type your relative's."))
    if RelativeGrant.objects.filter(person=person, relative_key=key, revoked_at__isnull=True,
                                    until__gte=timezone.localdate()).exists():
        raise ValidationError(_("This relative already has access. Take it back first if you want to change it."))
    grant = RelativeGrant.objects.create(person=person, relative_key=key, relative_name=name.strip()[:200],
                                         parts=parts, until=until, granted_by=user)
    audit.record(user, audit.Event.RELATIVE_GRANT, action=audit.CHANGE, why=_("Relative given access by the citizen"),
                 persons=[person.person_key], detail={"grant": str(grant.public_id), "parts": parts,
                                                      "until": until.isoformat()})
    return grant


@transaction.atomic
def revoke_relative(user, grant: RelativeGrant) -> RelativeGrant:
    _check_citizen(user, grant.person)
    grant = RelativeGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    audit.record(user, audit.Event.RELATIVE_REVOKE, action=audit.CHANGE, why=_("Relative's access revoked by the citizen"),
                 persons=[grant.person.person_key], detail={"grant": str(grant.public_id)})
    return grant


@transaction.atomic
def local_relative(username: str, password: str, name: str) -> tuple[User, str]:
    """The demo's local relative account and the key grants name it by (``local:<user name>``)."""
    key = f"local:{username}"
    account = RelativeAccount.objects.filter(relative_key=key).select_related("user").first()
    user = account.user if account else None
    if user is None:
        first, _sep, last = name.partition(" ")
        user = User(username=username, role=Role.RELATIVE, organisation=None, first_name=first, last_name=last)
    if account is None or not user.check_password(password):
        user.set_password(password)
        user.full_clean()
        user.save()
    if account is None:
        RelativeAccount.objects.create(user=user, relative_key=key)
        audit.record(user, audit.Event.SIGNIN_RELATIVE, action=audit.CHANGE, why=_("Relative's account made"),
                     detail={"how": "local"})
    return user, key
