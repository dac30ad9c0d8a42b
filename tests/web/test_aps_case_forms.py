"""The case page's forms that are rendered once per process (aps_tags.form_fields, the
questionnaire's answer fields): an empty form is the same on every page; a form sent back with
errors shows its own answers and errors; the next empty form shows none of them."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import make_case

pytestmark = pytest.mark.django_db


def form_part(html: str, attribute: str) -> str:
    """The form whose opening tag has ``attribute``, without its CSRF token."""
    found = re.search(r"<form [^>]*" + re.escape(attribute) + r"[^>]*>.*?</form>", html, re.DOTALL)
    assert found, attribute
    return re.sub(r'<input type="hidden" name="csrfmiddlewaretoken"[^>]*>', "", found.group(0))


def answer_fields(html: str) -> str:
    """The questionnaire form's part after its date and time point (which follow the day)."""
    part = form_part(html, 'data-testid="questionnaire-form"')
    return part[part.index('name="item_'):]


def test_a_refusal_sent_back_with_errors_shows_them_and_the_next_empty_form_does_not(world, as_user):
    case = make_case(world.persons["p1"], world.users["nina"], world.users["pia"], "invited")
    client = as_user(world.users["nina"])
    refusal = f'action="/aps/forloeb/{case.pk}/afslag/"'
    empty = form_part(client.get(f"/aps/forloeb/{case.pk}/").content.decode(), refusal)
    assert 'id="id_refusal_reason"' in empty and "has-error" not in empty
    assert form_part(client.get(f"/aps/forloeb/{case.pk}/").content.decode(), refusal) == empty

    response = client.post(f"/aps/forloeb/{case.pk}/afslag/", {"reason": "other", "note": ""})
    sent_back = form_part(response.content.decode(), refusal)
    assert response.status_code == 400
    assert "has-error" in sent_back and "Describe the reason in the note" in sent_back
    assert '<option value="other" selected>' in sent_back

    assert form_part(client.get(f"/aps/forloeb/{case.pk}/").content.decode(), refusal) == empty


def test_questionnaire_answers_sent_back_with_an_error_are_shown_again_and_not_on_the_next_form(world, as_user):
    case = make_case(world.persons["p1"], world.users["nina"], world.users["pia"], "active",
                     started_at=timezone.now())
    client = as_user(world.users["nina"])
    empty = answer_fields(client.get(f"/aps/forloeb/{case.pk}/?instrument=who5").content.decode())
    assert 'name="item_q1"' in empty and " checked" not in empty

    response = client.post(f"/aps/forloeb/{case.pk}/spoergeskema/", {
        "instrument": "who5", "timepoint": "baseline", "taken_on": timezone.localdate().isoformat(),
        "item_q1": "9", "item_q2": "3"})
    sent_back = answer_fields(response.content.decode())
    assert response.status_code == 400
    assert re.search(r'name="item_q2" value="3"[^>]*checked', sent_back)
    assert "Select a valid choice" in sent_back

    assert answer_fields(client.get(f"/aps/forloeb/{case.pk}/?instrument=who5").content.decode()) == empty


def test_a_form_of_a_reusable_class_given_initial_values_is_rendered_with_them():
    from opspor.web.aps.forms import NoteForm
    from opspor.web.aps.templatetags.aps_tags import form_fields

    empty = form_fields(NoteForm())
    assert "Udkast til notat" not in empty
    assert "Udkast til notat" in form_fields(NoteForm(initial={"text": "Udkast til notat"}))
    assert form_fields(NoteForm()) == empty
