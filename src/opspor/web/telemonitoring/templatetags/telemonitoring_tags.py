"""``{% telemonitoring_part person %}``: the person page's telemonitoring section. It links to
the patient's telemonitoring page only while the person is enrolled (that page is 404 otherwise),
and offers enrolment to the clinicians who may enrol. The person view audits the read.
``{% citizen_measurements person %}``: the citizen's own page links to their measurements while
they are enrolled."""

from __future__ import annotations

from django import template

from opspor.web.telemonitoring.models import Enrolment

register = template.Library()


@register.inclusion_tag("telemonitoring/_person_part.html", takes_context=True)
def telemonitoring_part(context, person):
    user = context["request"].user
    enrolled = Enrolment.objects.filter(person=person, state=Enrolment.State.ACTIVE).exists()
    return {"person": person, "enrolled": enrolled,
            "may_enrol": not enrolled and user.role in ("nurse", "specialist")}


@register.inclusion_tag("telemonitoring/_citizen_part.html")
def citizen_measurements(person):
    enrolment = Enrolment.objects.filter(person=person, state=Enrolment.State.ACTIVE).first()
    return {"enrolment": enrolment}
