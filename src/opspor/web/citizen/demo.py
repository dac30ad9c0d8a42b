"""The demo's citizen and relative: a local citizen account (user name ``borger``) linked to one
synthetic person of the demo region, and a local relative (``paaroerende``) whom that citizen
lets see the whole page for 90 days; printed beside the staff users (``opspor web demo-users``).
With ``course`` (``opspor demo``: ``demo-users --citizen-course``) the citizen's person is also in
Aktiv Patientstøtte: invited by the demo programme lead to the demo nurse, consent recorded, the
start-up session held (active), and the programme's questionnaire scheduled by e-mail from
today, each step by the ordinary audited action, so the citizen's page has a course, a contact
person and a questionnaire on its way. In a real installation citizens and relatives log in through MitID (docs/citizen.md), never with
a local password."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone

from opspor.web.accounts.demo import DemoUser
from opspor.web.accounts.models import User
from opspor.web.accounts.roles import Role
from opspor.web.aps import actions as aps
from opspor.web.aps import queries
from opspor.web.aps.models import Case, QuestionnaireRequest
from opspor.web.people.models import Person
from opspor.web.signin import actions as signin
from opspor.web.signin.models import RelativeGrant

USERNAME, RELATIVE = "borger", "paaroerende"
RELATIVE_NAME = "Pia Pårørende"
GRANT_DAYS = 90
LEAD, NURSE = "programleder", "sygeplejerske"  # the demo staff (accounts/demo.py)
DEMO_EMAIL = "borger@demo.opspor.invalid"  # .invalid: never delivered anywhere real


def _person(region_code: str) -> Person | None:
    """A person of the region with an open case in the programme if there is one, else the
    eligible, not excluded person of the newest list run with the most acute admissions (the
    programme's likely next invitation); ties by pseudonym, so a second demo picks the same."""
    linked = Person.objects.filter(citizen_link__user__username=USERNAME).first()
    if linked is not None:
        return linked
    free = Person.objects.filter(region_code=region_code, death_date__isnull=True, citizen_link__isnull=True)
    in_course = free.filter(aps_cases__state__in=Case.OPEN_STATES).order_by("person_key").first()
    if in_course is not None:
        return in_course
    entry = (queries.eligible_entries(region_code).filter(person__in=free)
             .order_by("-acute_admissions_12m", "person__person_key").select_related("person").first())
    return entry.person if entry else None


def ensure_course(person: Person) -> Case | None:
    """The person's open case made active, with the programme's questionnaire scheduled unless
    one is open already; None when the person cannot be invited (not eligible on the newest
    list run). Each step is the action the lead or nurse would take, so it is audited."""
    case = Case.objects.filter(person=person, state__in=Case.OPEN_STATES).order_by("-pk").first()
    if case is None:
        lead, nurse = User.objects.get(username=LEAD), User.objects.get(username=NURSE)
        try:
            case = aps.invite(lead, person, nurse)
        except ValidationError:
            return None
    nurse = case.nurse
    if case.state == Case.State.INVITED:
        case = aps.record_consent(nurse, case)
    if case.state == Case.State.CONSENTED:
        aps.hold_startup(nurse, case, timezone.now())
        case.refresh_from_db()
    try:
        schedule = aps.questionnaire_schedule()
    except ValidationError:  # the programme file sends no questionnaires
        return case
    if not case.questionnaire_requests.filter(state__in=QuestionnaireRequest.OPEN_STATES).exists():
        aps.schedule_questionnaires(nurse, case, channel=QuestionnaireRequest.Channel.EMAIL,
                                    address=person.contact_email or DEMO_EMAIL, first_day=timezone.localdate(),
                                    timepoints=[t for t, _months in schedule.timepoints])
    return case


def ensure_demo_citizen(region_code: str, saved: dict[str, str], course: bool = False) -> list[DemoUser]:
    person = _person(region_code)
    if person is None:
        return []
    if course:
        ensure_course(person)
    password = saved.get(USERNAME) or secrets.token_urlsafe(12)
    citizen = signin.link_local_citizen(person, USERNAME, password)
    relative_password = saved.get(RELATIVE) or secrets.token_urlsafe(12)
    _user, key = signin.local_relative(RELATIVE, relative_password, RELATIVE_NAME)
    today = timezone.localdate()
    if not RelativeGrant.objects.filter(person=person, relative_key=key, revoked_at__isnull=True,
                                        until__gte=today).exists():
        signin.grant_relative(citizen, person, key=key, name=RELATIVE_NAME, parts=list(RelativeGrant.PARTS),
                              until=today + dt.timedelta(days=GRANT_DAYS))
    return [DemoUser(USERNAME, password, str(Role.CITIZEN.label), "", person.name),
            DemoUser(RELATIVE, relative_password, str(Role.RELATIVE.label), "", RELATIVE_NAME)]
