"""Concealment: before consent the arm is on no page or export the programme lead or the nurse
can reach (the allocation exists since the invitation); consent reveals it, audited with the
arm; a refusal never reveals it."""

from __future__ import annotations

import io

import openpyxl
import pytest

from opspor.web.audit.models import AuditEntry
from opspor.web.trial.models import Allocation
from tests.web.factories import *  # the fixture as_user
from tests.web.trial.trial_kit import ARM_TEXT, LABELS, cases_of, invite

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return "\n".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None)
    return response.content.decode("utf-8-sig")


def _pages(client, w, cases, role: str) -> dict[str, str]:
    urls = [f"/aps/forloeb/{c.pk}/" for c in cases] + [f"/personer/{c.person.public_id}/" for c in cases]
    if role == "lead":
        urls += ["/aps/program/", "/aps/program/?status=open", "/aps/program/eksport.csv", "/aps/program/eksport.xlsx",
                 "/aps/sygeplejersker/"]
    else:
        urls += ["/aps/min-dag/", "/aps/forloeb/", "/aps/forloeb/eksport.csv", "/aps/forloeb/eksport.xlsx"]
        urls += [f"/aps/forloeb/?state={s}" for s in ("invited", "consented", "refused")]
    return {url: _text(client.get(url)) for url in urls}


@pytest.mark.slow
def test_the_arm_is_concealed_until_consent_and_never_after_a_refusal(trial_on, tworld, as_user):
    w = tworld
    persons = [w.persons[f"s{i:02d}"] for i in range(1, 9)]
    invite(as_user(w.users["pia"]), persons, w.users["tina"])
    cases = cases_of(persons)
    assert Allocation.objects.count() == 8 and {c.allocation.arm for c in cases} == {"intervention", "control"}
    for role, user in (("lead", w.users["pia"]), ("nurse", w.users["tina"])):
        for url, text in _pages(as_user(user), w, cases, role).items():
            assert not ARM_TEXT.search(text), (role, url, ARM_TEXT.search(text))
    assert "runs as the randomised trial aps-2026: every invitation randomises the person (8 so far" in _text(
        as_user(w.users["pia"]).get("/aps/program/"))
    nurse = as_user(w.users["tina"])
    assert "The person has been randomised. The group is shown when consent is recorded." in _text(
        nurse.get(f"/aps/forloeb/{cases[0].pk}/"))

    consented, refused = cases[:6], cases[6:]
    for c in consented:
        assert nurse.post(f"/aps/forloeb/{c.pk}/samtykke/", {"confirmed": "1"}).status_code == 302
    for c in refused:
        assert nurse.post(f"/aps/forloeb/{c.pk}/afslag/", {"reason": "not_interested"}).status_code == 302

    for role, user in (("lead", w.users["pia"]), ("nurse", w.users["tina"])):
        client = as_user(user)
        for c in consented:
            c.allocation.refresh_from_db()
            page = _text(client.get(f"/aps/forloeb/{c.pk}/"))
            assert LABELS[c.allocation.arm] in page and LABELS[_other(c.allocation.arm)] not in page
        for c in refused:
            page = _text(client.get(f"/aps/forloeb/{c.pk}/"))
            assert not ARM_TEXT.search(page) and "the group is not shown without consent" in page
    caseload = _text(nurse.get("/aps/forloeb/eksport.csv"))
    assert all(LABELS[c.allocation.arm] in caseload for c in consented)
    refused_rows = [line for line in caseload.splitlines() if "Refused" in line]
    assert len(refused_rows) == 2 and not any(ARM_TEXT.search(line) for line in refused_rows)

    reveals = {e.person_key: e for e in AuditEntry.objects.filter(what="trial.reveal")}
    assert len(reveals) == 6 and not Allocation.objects.filter(person__in=[c.person for c in refused],
                                                              revealed_at__isnull=False).exists()
    for c in consented:
        e = reveals[c.person.person_key]
        assert e.username == "tina" and e.detail["arm"] == c.allocation.arm and e.detail["case"] == c.pk


def _other(arm: str) -> str:
    return "control" if arm == "intervention" else "intervention"
