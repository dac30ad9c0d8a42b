"""The municipality's and the GP practice's inbox says what each message asks of them and by
when (issue 19 item 8), from the policy's ``asks`` and ``answer_within_days``; each sees only the
messages sent to its own organisation. Messages queued by the real actions (consent, data alert)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web.factories import *
from tests.web.factories import make_case

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    table = html.split('data-testid="sent-to-us"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr data-state=.*?</tr>", table, re.S)


def test_each_message_says_what_is_asked_and_by_when_to_its_own_recipient_only(world, login):
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.roles import OrgKind, Role
    from opspor.web.aps import actions as aps
    from opspor.web.messaging import actions
    from opspor.web.messaging.models import OutboundMessage
    from opspor.web.messaging.policy import policy
    from tests.web import web_kit

    u = world.users
    practice = Organisation.objects.get_or_create(kind=OrgKind.GP_PRACTICE, code="012345",
                                                  defaults={"name": "Lægehuset", "region_code": "1083"})[0]
    other = Organisation.objects.get_or_create(kind=OrgKind.GP_PRACTICE, code="000001",
                                               defaults={"name": "Lægepraksis 1", "region_code": "1083"})[0]
    gp = web_kit.make_user("gp", Role.MUNICIPALITY, practice)
    gp_other = web_kit.make_user("gp_other", Role.MUNICIPALITY, other)
    # p1 (Odense, practice 012345) consents: the real action queues aps_included to both
    aps.record_consent(u["nina"], make_case(world.persons["p1"], u["nina"], u["pia"], "invited"))
    month = dt.date(2026, 2, 1)
    for kind, code in (("municipality", "461"), ("gp_practice", "012345")):
        actions.queue_data_alert(recipient_kind=kind, recipient_id=code, month=month, indicator="repeated_acute",
                                 observed=14, expected=6.2, ratio=2.26, p_value=0.004,
                                 alert_key=f"2026-02:{kind}:{code}", reason="")
    sent = {(m.event, m.recipient_kind): m for m in OutboundMessage.objects.all()}
    assert set(sent) == {("aps_included", "gp_practice"), ("aps_included", "municipality"),
                         ("data_alert", "gp_practice"), ("data_alert", "municipality")}
    pol = policy()
    alert_rule = pol.rule("data_alert", "municipality")
    assert alert_rule.answer_within_days == 30  # as configured in policy.yaml
    queued_day = sent[("data_alert", "municipality")].created_at
    from django.utils import timezone

    due = (timezone.localdate(queued_day) + dt.timedelta(days=alert_rule.answer_within_days)).strftime("%d-%m-%Y")

    odense = login(u["odense"]).get("/meddelelser/indbakke/").content.decode()  # Danish
    assert "<th>Hvad I bedes gøre</th>" in odense
    rows = _rows(odense)
    assert len(rows) == 2  # its own two messages only
    alert = next(r for r in rows if "Dataalarm" in r)
    assert pol.rule("data_alert", "municipality").asks in alert and f"Senest {due}" in alert
    info = next(r for r in rows if "inkluderet" in r)
    assert pol.rule("aps_included", "municipality").asks in info and "Ingen svarfrist." in info
    assert pol.rule("data_alert", "gp_practice").asks not in odense  # not the practice's text

    practice_page = login(gp).get("/meddelelser/indbakke/").content.decode()
    rows = _rows(practice_page)
    assert len(rows) == 2
    assert any(pol.rule("data_alert", "gp_practice").asks in r and f"Senest {due}" in r for r in rows)
    assert any(pol.rule("aps_included", "gp_practice").asks in r and "Ingen svarfrist." in r for r in rows)
    assert pol.rule("data_alert", "municipality").asks not in practice_page

    for nobody in (gp_other, u["vejle"]):  # another practice, another municipality: nothing of these
        page = login(nobody).get("/meddelelser/indbakke/").content.decode()
        assert _rows(page) == [] and "Ingen meddelelser." in page


def test_a_policy_without_what_it_asks_of_a_practice_is_refused_naming_the_key(tmp_path):
    from opspor.web.messaging import policy as P

    text = P.POLICY_FILE.read_text(encoding="utf-8")
    first = text.index("        asks: ")
    broken = text[:first] + text[text.index("\n", first) + 1:]
    bad = tmp_path / "policy.yaml"
    bad.write_text(broken, encoding="utf-8")
    with pytest.raises(P.MessagesConfigError, match=r"events\.aps_included\.recipients\.gp_practice\.asks.*plain Danish"):
        P.load_policy(bad)
    bad.write_text(text.replace("answer_within_days: 30", "answer_within_days: -3", 1), encoding="utf-8")
    with pytest.raises(P.MessagesConfigError, match=r"answer_within_days.*whole number of days"):
        P.load_policy(bad)


def test_a_passed_date_without_a_reply_is_flagged(world, login):
    """A message whose date to answer by has passed, and no reply from the recipient has come,
    says so; one still within its date does not."""
    from opspor.web.messaging import actions
    from opspor.web.messaging.models import OutboundMessage
    from opspor.web.messaging.policy import policy

    within = policy().rule("data_alert", "municipality").answer_within_days
    queued = {}
    for month, key in ((dt.date(2026, 1, 1), "old"), (dt.date(2026, 2, 1), "new")):
        queued[key] = actions.queue_data_alert(recipient_kind="municipality", recipient_id="461", month=month,
                                 indicator="repeated_acute", observed=14, expected=6.2, ratio=2.26, p_value=0.004,
                                 alert_key=f"{key}:municipality:461", reason="")
    from django.utils import timezone

    OutboundMessage.objects.filter(pk=queued["old"].pk).update(created_at=timezone.now() - dt.timedelta(days=within + 1))
    rows = _rows(login(world.users["odense"]).get("/meddelelser/indbakke/").content.decode())
    assert len(rows) == 2
    flagged = [r for r in rows if 'data-testid="overdue"' in r]
    assert len(flagged) == 1 and "Fristen er overskredet, og der er ikke modtaget svar." in flagged[0]
    passed = (timezone.localdate() - dt.timedelta(days=1)).strftime("%d-%m-%Y")
    assert f"Senest {passed}" in flagged[0]
