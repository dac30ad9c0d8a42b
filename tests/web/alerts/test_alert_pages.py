"""The data-alert pages through the Django test client (real log-in, real database), on alerts
published from a real snapshot (conftest.py): who sees what, suppression outside the region,
the message queued once, all-or-nothing publishing."""

from __future__ import annotations

import re

import pytest

from tests.web.factories import *  # the fixture as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_alerts(alert_table, alert_users):
    from opspor.web.alerts.actions import publish

    result = publish(alert_table)
    assert (result.results, result.created, result.new_alerts, result.messages) == (5, 5, 2, 2)
    return result


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_municipality_sees_its_own_alert(published_alerts, alert_users, as_user):
    page = text(as_user(alert_users["odense"]).get("/datavarsler/"))
    assert "Alert for March 2024" in page
    # Odense: 30 citizens, 16 observed, 9.8 expected, ratio 1.63 (tests/alerts/test_by_hand.py)
    assert ">30<" in page and ">16<" in page and ">9.8<" in page and ">1.63<" in page
    assert "<svg" in page and 'fill="#b3261e"' in page  # the month's bar, marked as an alert
    assert "Svendborg" not in page and "479" not in page
    # who is counted, in words from the indicator's configured rule (3 contacts, 182 days)
    assert "at least contact no. 3 within 182 days at one hospital unit" in page


def test_another_municipality_does_not_see_it(published_alerts, alert_users, as_user):
    page = text(as_user(alert_users["svendborg"]).get("/datavarsler/"))
    assert "No alert for March 2024." in page and "Alert for" not in page
    assert ">50<" in page and ">5<" in page and ">11.3<" in page  # its own figures only
    assert ">16<" not in page
    nothing = text(as_user(alert_users["vejle"]).get("/datavarsler/"))  # no result published for 630
    assert "No data alerts have been published for you yet." in nothing


def test_small_numbers_suppressed_on_the_unit_page(published_alerts, alert_users, as_user):
    # Langeland: 1 observed among 2 citizens -> "<5", no ratio, not tested
    page = text(as_user(alert_users["langeland"]).get("/datavarsler/"))
    assert page.count("&lt;5") >= 2 and ">0.9<" in page and "not tested" in page
    assert ">1.11<" not in page  # 1 / 0.904762 would give the count back


def test_gp_practice_page(published_alerts, alert_users, as_user):
    page = text(as_user(alert_users["gp1"]).get("/datavarsler/"))
    assert "Lægerne i Odense" in page and "Alert for March 2024" in page and ">16<" in page
    other = text(as_user(alert_users["gp2"]).get("/datavarsler/"))
    assert "No alert for March 2024." in other and ">16<" not in other


def test_secretariat_sees_every_unit_of_the_region(published_alerts, alert_users, as_user):
    client = as_user(alert_users["secretariat"])
    page = text(client.get("/datavarsler/region/"))
    assert "2 alerts in March 2024." in page
    for unit in ("461 Odense", "479 Svendborg", "482 Langeland", "100001", "100002"):
        assert unit in page
    # inside the region nothing is suppressed: Langeland's 1 is shown
    lang = text(client.get("/datavarsler/region/municipality/482/"))
    assert ">1<" in lang and ">2<" in lang and "&lt;5" not in lang
    gps = text(client.get("/datavarsler/region/?month=2024-03&kind=gp_practice"))
    assert "100001" in gps and "479 Svendborg" not in gps
    # a GP practice's page is headed with its name (the web app's organisation), else kind and code
    h1 = re.search(r"<h1>(.*?)</h1>", text(client.get("/datavarsler/region/gp_practice/100001/"))).group(1)
    assert h1 == "Data alerts · Lægerne i Odense"
    from opspor.web.accounts.models import Organisation

    Organisation.objects.filter(kind="gp_practice", code="100002").update(name="")
    h1 = re.search(r"<h1>(.*?)</h1>", text(client.get("/datavarsler/region/gp_practice/100002/"))).group(1)
    assert h1 == "Data alerts · GP practice 100002"
    assert client.get("/datavarsler/region/?month=1999-01").status_code == 404
    assert client.get("/datavarsler/region/municipality/999/").status_code == 404
    # another region's secretariat sees none of it
    other = text(as_user(alert_users["secretariat_other"]).get("/datavarsler/region/"))
    assert "No data alerts have been published yet." in other and "Odense" not in other


def test_roles_and_menus(published_alerts, alert_users, as_user):
    municipality = as_user(alert_users["odense"])
    assert municipality.get("/datavarsler/region/").status_code == 403
    assert municipality.get("/datavarsler/region/municipality/461/").status_code == 403
    assert 'href="/datavarsler/"' in municipality.get("/datavarsler/").content.decode()
    assert as_user(alert_users["secretariat"]).get("/datavarsler/").status_code == 403
    assert as_user(alert_users["lead"]).get("/datavarsler/region/").status_code == 403


def test_message_queued_once(published_alerts, alert_table):
    from opspor.web.alerts.actions import publish
    from opspor.web.alerts.models import AlertResult
    from opspor.web.messaging.models import OutboundMessage

    messages = OutboundMessage.objects.filter(kind=OutboundMessage.Kind.DATA_ALERT)
    assert sorted(messages.values_list("recipient_kind", "recipient_id")) == [
        ("gp_practice", "100001"), ("municipality", "461")]
    again = publish(alert_table)
    assert (again.created, again.changed, again.new_alerts, again.messages) == (0, 0, 0, 0)
    assert messages.count() == 2 and AlertResult.objects.count() == 5
    assert all("no person named" in m.purpose for m in messages)
    row = AlertResult.objects.get(unit_kind="municipality", unit_code="461")
    assert row.alert and row.first_alert_at is not None and row.config_version == "1"


def test_publishing_is_all_or_nothing(alert_table, alert_users, monkeypatch):
    from opspor.web.alerts import actions
    from opspor.web.alerts.models import AlertResult
    from opspor.web.messaging import actions as messaging
    from opspor.web.messaging.models import OutboundMessage

    calls = []

    def failing(**kwargs):
        calls.append(kwargs["recipient_id"])
        if len(calls) == 2:
            raise RuntimeError("the outbox is unavailable")
        return real(**kwargs)

    real = messaging.queue_data_alert
    monkeypatch.setattr(messaging, "queue_data_alert", failing)
    with pytest.raises(RuntimeError):
        actions.publish(alert_table)
    assert calls == ["461", "100001"]
    assert AlertResult.objects.count() == 0 and OutboundMessage.objects.count() == 0


def test_published_without_messages_then_with(alert_table, alert_users):
    from opspor.web.alerts.actions import publish
    from opspor.web.alerts.models import AlertResult
    from opspor.web.messaging.models import OutboundMessage

    quiet = publish(alert_table, queue_messages=False)
    assert (quiet.new_alerts, quiet.messages) == (2, 0) and OutboundMessage.objects.count() == 0
    loud = publish(alert_table)  # the messages not sent yet go now, once
    assert (loud.new_alerts, loud.messages) == (0, 2)
    assert OutboundMessage.objects.filter(kind=OutboundMessage.Kind.DATA_ALERT).count() == 2
    assert publish(alert_table).messages == 0
    assert AlertResult.objects.filter(message_queued_at__isnull=False).count() == 2


def test_region_overview_names_gp_practices_and_writes_danish_numbers(published_alerts, alert_users, login):
    """Issue 19 item 2's like: a GP practice is named in the region's list as on its own page,
    and a population of 16,252 reads 16.252 (and a ratio 1,63) on a Danish page and chart."""
    from opspor.web.alerts.models import AlertResult

    AlertResult.objects.filter(unit_kind="municipality", unit_code="461").update(population=16252)
    client = login(alert_users["secretariat"])  # Danish
    page = text(client.get("/datavarsler/region/"))
    assert "100001 Lægerne i Odense" in page
    assert ">16.252<" in page and "16,252" not in page
    unit = text(client.get("/datavarsler/region/municipality/461/"))
    assert ">16.252<" in unit and "16,252" not in unit
    assert re.search(r"<title>[^<]*: 1,63</title>", unit) and ": 1.63</title>" not in unit
    # months as Danish readers say them, not 2024-03
    assert "Varsel for marts 2024" in unit and "<td>marts 2024</td>" in unit and "2024-03<" not in unit
    assert "2 varsler i marts 2024." in page and ">marts 2024</option>" in page
