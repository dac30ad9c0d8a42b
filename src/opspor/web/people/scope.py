"""Who may see which person, and whose identity: the one place that decides it. Every view that
shows person data gets its persons through :func:`visible_persons`, :func:`get_person` (by the
public id of a URL) or :func:`get_person_by_pk`, and asks :func:`shows_identity` before it shows
a CPR number or a name. Which *parts* of a person a role sees is the role scope policy
(:mod:`opspor.web.people.policy`).

* department specialist: persons who have been on a list of their own department;
* support nurse: persons in their own caseload (invited by the programme to them);
* programme lead: persons of their region who are eligible and not excluded on the newest list
  run, or who have a case in the region's programme; an excluded person answers 404 like one who
  does not exist. Identity only after a reveal (see :func:`record_reveal`);
* municipality / GP practice: their own citizens / listed patients once included in a programme
  (a consented Aktiv Patientstøtte case or an inclusion at screening);
* citizen: only their own person (the one their account is linked to, web/signin's CitizenLink);
* relative: the persons whose citizens granted them access, while the grant is in force (not
  revoked, its last day not passed; web/signin's RelativeGrant); which parts is the grant's;
* monitoring-centre nurse: persons with an active telemonitoring enrolment in their region
  (a nurse and a department also reach the patients they enrolled);
* monitoring secretariat, auditor, administrator: no persons (aggregates and the audit log).

The municipal acute function (:func:`acute_referrals`) adds, for each role, the citizens of the
referrals it reaches: the acute team (acute-team nurse) its municipality's referrals; a GP
practice (its users and doctors) the referrals it wrote and those of its listed patients; a
hospital department (specialists and doctors) the referrals it wrote; the region's on-call doctor
the open referrals of the region (the on-call service is responsible out of hours).

The tasks after an MDT conference (:func:`care_tasks`, web/careplan) add, for each role, the
citizens of the tasks it reaches: a municipality's users (and a GP practice's) the tasks owned by
their organisation; a department's specialists the tasks of their department's conferences and
those it owns; a support nurse the tasks of the citizens in their caseload.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.aps.models import CaseQuerySet
from opspor.web.people.models import Person
from opspor.web.people.policy import scope_of

# The lead's reveals in the session: {public id: the local day of the reveal}.
REVEALS_SESSION_KEY = "opspor.reveals"


def _included() -> Q:
    return Q(aps_cases__state__in=CaseQuerySet.INCLUDED) | Q(screenings__decision="include")


def _lead_eligible(region_code: str) -> Q:
    """Eligible and not excluded in the region on the newest run that has eligibility (as
    ``aps.queries.newest_eligibility_run``; written with the relations' names, since this app
    sits below worklists and aps)."""
    newest_run = (Person.objects.filter(eligibility__isnull=False)
                  .order_by("-eligibility__run__as_of", "-eligibility__run__published_at")
                  .values("eligibility__run")[:1])
    return Q(eligibility__run=Subquery(newest_run), eligibility__region_code=region_code,
             eligibility__excluded=False)


ACUTE_OPEN_STATES = ("clarification", "accepted")


def acute_referrals(user, prefix: str = "") -> Q | None:
    """Which acute-function referrals ``user`` reaches, as a condition on a referral's fields
    (``prefix`` "acute_referrals__" from a person); None: none. ``acute.access`` asks this too,
    so the referral pages and the persons agree."""
    org = getattr(user, "organisation", None)
    if not user.is_authenticated or not user.is_active or org is None:
        return None
    role, p = user.role, prefix
    if role == Role.ACUTE_NURSE and org.kind == OrgKind.MUNICIPALITY:
        return Q(**{f"{p}municipality_code": org.code})
    if role in (Role.MUNICIPALITY, Role.DOCTOR) and org.kind == OrgKind.GP_PRACTICE:
        return Q(**{f"{p}referrer_org": org}) | Q(**{f"{p}person__gp_provider_number": org.code})
    if role in (Role.SPECIALIST, Role.DOCTOR) and org.kind == OrgKind.DEPARTMENT:
        return Q(**{f"{p}referrer_org": org})
    if role == Role.DOCTOR and org.kind == OrgKind.REGION:
        return Q(**{f"{p}region_code": org.region_code, f"{p}state__in": ACUTE_OPEN_STATES})
    return None


def care_tasks(user, prefix: str = "") -> Q | None:
    """Which tasks after an MDT conference ``user`` reaches, as a condition on a task's fields
    (``prefix`` "care_tasks__" from a person); None: none. ``careplan.access`` asks this too, so
    the task board and the persons agree."""
    org = getattr(user, "organisation", None)
    if not user.is_authenticated or not user.is_active or org is None:
        return None
    role, p = user.role, prefix
    if role == Role.MUNICIPALITY and org.kind in (OrgKind.MUNICIPALITY, OrgKind.GP_PRACTICE):
        return Q(**{f"{p}owner_org": org})
    if role == Role.DOCTOR and org.kind == OrgKind.GP_PRACTICE:
        return Q(**{f"{p}owner_org": org})
    if role == Role.SPECIALIST and org.kind == OrgKind.DEPARTMENT:
        return Q(**{f"{p}conference__department": org}) | Q(**{f"{p}owner_org": org})
    if role == Role.NURSE:
        return Q(**{f"{p}person__aps_cases__nurse": user})
    return None


def department_patients(org) -> Q:
    """The persons a hospital department treats, as opspor knows them: on its lists, or enrolled
    in telemonitoring by it (the relations' names: those apps sit above this one)."""
    return Q(list_entries__department=org) | Q(telemonitoring_enrolments__organisation=org)


def visible_persons(user) -> QuerySet[Person]:
    persons = _visible_persons(user)
    # a nurse's tasks are those of the caseload, which the nurse reaches already
    tasks = care_tasks(user, "care_tasks__") if getattr(user, "role", None) != Role.NURSE else None
    extra = [q for q in (acute_referrals(user, "acute_referrals__"), tasks) if q is not None]
    if not extra:
        return persons
    condition = extra[0]
    for q in extra[1:]:
        condition |= q
    if not persons.query.is_empty():
        condition |= Q(pk__in=persons.values("pk"))
    return Person.objects.filter(condition).distinct()


def _visible_persons(user) -> QuerySet[Person]:
    persons = Person.objects.all()
    if not user.is_authenticated or not user.is_active:
        return persons.none()
    role = user.role
    if role == Role.CITIZEN:  # the relations' names: signin sits above this app
        return persons.filter(citizen_link__user=user)
    if role == Role.RELATIVE:
        account = getattr(user, "relative_account", None)
        if account is None:
            return persons.none()
        return persons.filter(relative_grants__relative_key=account.relative_key,
                              relative_grants__revoked_at__isnull=True,
                              relative_grants__until__gte=timezone.localdate()).distinct()
    org = getattr(user, "organisation", None)
    if org is None:
        return persons.none()
    # telemonitoring (the relations' names: that app sits above this one): the patients a nurse
    # or a department enrolled stay theirs; the region's monitoring centre sees the active ones
    if role == Role.SPECIALIST:
        return persons.filter(department_patients(org)).distinct()
    if role == Role.NURSE:
        return persons.filter(Q(aps_cases__nurse=user) | Q(telemonitoring_enrolments__enrolled_by=user)).distinct()
    if role == Role.MONITORING_NURSE:
        return persons.filter(telemonitoring_enrolments__state="active",
                              telemonitoring_enrolments__region_code=org.region_code).distinct()
    if role == Role.PROGRAMME_LEAD:
        return persons.filter(region_code=org.region_code).filter(
            _lead_eligible(org.region_code) | Q(aps_cases__region_code=org.region_code)).distinct()
    if role == Role.MUNICIPALITY:
        if org.kind == OrgKind.MUNICIPALITY:
            mine = Q(municipality_code=org.code)
        elif org.kind == OrgKind.GP_PRACTICE:
            mine = Q(gp_provider_number=org.code)
        else:
            return persons.none()
        return persons.filter(mine).filter(_included()).distinct()
    return persons.none()


def get_person(user, public_id) -> Person:
    """The person with ``public_id`` (the id in URLs) if ``user`` may see them; 404 otherwise (the
    same answer whether the person exists or not, so nobody can probe for persons)."""
    try:
        return visible_persons(user).get(public_id=public_id)
    except (Person.DoesNotExist, ValueError):
        raise Http404("not found") from None


def get_person_by_pk(user, pk: int) -> Person:
    """As :func:`get_person`, for a primary key that came from our own rows (never from a URL)."""
    try:
        return visible_persons(user).get(pk=pk)
    except (Person.DoesNotExist, ValueError):
        raise Http404("not found") from None


def record_reveal(request, person: Person) -> None:
    """Remember that the user looked up ``person``'s identity (the caller audits it with the
    reason). Valid for the rest of the local day, in this log-in session only (a new log-in
    starts a new session)."""
    reveals = {k: v for k, v in request.session.get(REVEALS_SESSION_KEY, {}).items()
               if v == timezone.localdate().isoformat()}  # yesterday's are dropped
    reveals[str(person.public_id)] = timezone.localdate().isoformat()
    request.session[REVEALS_SESSION_KEY] = reveals


def revealed(request, person: Person) -> bool:
    day = request.session.get(REVEALS_SESSION_KEY, {}).get(str(person.public_id))
    return day == timezone.localdate().isoformat()


def shows_identity(request, person: Person) -> bool:
    """May this page show ``person``'s CPR number and name to the user? The one check: the role's
    policy grants identity, and where it grants it only on reveal, the user revealed this person
    today in this session. (``person`` must already come from :func:`visible_persons`.)"""
    scope = scope_of(request.user)
    if not scope.may("identity"):
        return False
    return not scope.needs_reveal("identity") or revealed(request, person)
