"""The task register: import, list with filters, the secretariat's edit (validated, audited), the
årshjul, what is due, and the one-page PDF per follow-up group."""

from __future__ import annotations

import datetime as dt

import pytest

from opspor.monitor.register import load_register
from tests.support.clock import local_today
from tests.web.factories import *

pytestmark = pytest.mark.django_db

FILE_TASKS = load_register().tasks


def test_import_is_idempotent_and_matches_the_file(register):
    from opspor.web.monitoring.models import FollowUpGroup, MonitoringTask
    from opspor.web.monitoring.register import all_tasks, import_register

    assert register.created == len(FILE_TASKS) and register.groups_created == 4
    assert sorted(all_tasks(), key=lambda t: t.id) == sorted(FILE_TASKS, key=lambda t: t.id)  # round trip
    MonitoringTask.objects.filter(key="genoptraening-tidsfrister").update(owner="Edited in the web app")
    again = import_register()
    assert (again.created, again.updated, again.kept) == (0, 0, len(FILE_TASKS))
    assert MonitoringTask.objects.get(key="genoptraening-tidsfrister").owner == "Edited in the web app"
    assert FollowUpGroup.objects.count() == 4
    forced = import_register(update=True)
    assert forced.updated == len(FILE_TASKS)
    assert MonitoringTask.objects.get(key="genoptraening-tidsfrister").owner.startswith("Sekretariatet")


def test_register_list_and_filters(register, users, as_user):
    from opspor.web.monitoring.models import FollowUpGroup

    client = as_user(users["lead"])  # the programme lead reads the register, without edit links
    html = client.get("/overvaagning/opgaver/").content.decode()
    assert html.count('<tr id="task-') == len(FILE_TASKS) and "/opgaver/1/" not in html
    group = FollowUpGroup.objects.get(name="Følgegruppe for genoptræning og rehabilitering")
    only = client.get("/overvaagning/opgaver/", {"group": group.pk}).content.decode()
    assert only.count('<tr id="task-') == sum(t.group == group.name for t in FILE_TASKS)
    heavy = client.get("/overvaagning/opgaver/", {"weight": "resource_heavy"}).content.decode()
    assert heavy.count('<tr id="task-') == sum(t.weight is not None and t.weight.value == "resource_heavy"
                                               for t in FILE_TASKS)
    mon = client.get("/overvaagning/opgaver/", {"status": "MON"}).content.decode()
    assert mon.count('<tr id="task-') == sum(any(s.value == "MON" for s in t.status) for t in FILE_TASKS)
    from opspor.monitor import tasks as T

    overdue = [t for t in FILE_TASKS if T.due_state(t, local_today()).state == T.OVERDUE]
    html = client.get("/overvaagning/opgaver/", {"state": "overdue"}).content.decode()
    assert html.count('<tr id="task-') == len(overdue) > 0
    assert client.get("/overvaagning/opgaver/", {"state": "nonsense"}).status_code == 200  # ignored, all shown


def _form(row, **changes) -> dict:
    data = {"status": [s for s in row.status.split("/") if s], "monitoring": row.monitoring, "weight": row.weight,
            "owner": row.owner, "frequency": row.frequency, "data_source": row.data_source,
            "indicators": row.indicators or "", "anchor_month": row.anchor_month or "",
            "first_year": row.first_year or "", "due_date": row.due_date or "", "last_done": row.last_done or "",
            "start": row.start or "", "note": row.note}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_secretariat_edits_a_task_audited_and_sees_it_in_the_aarshjul(register, users, as_user):
    from opspor.web.audit.models import AuditEntry
    from opspor.web.monitoring.models import MonitoringTask

    client = as_user(users["secretariat"])
    row = MonitoringTask.objects.get(key="genoptraening-tidsfrister")  # yearly, January, MON
    url = f"/overvaagning/opgaver/{row.pk}/"
    assert client.get(url).status_code == 200
    done = local_today() - dt.timedelta(days=3)
    r = client.post(url, _form(row, status=["REV", "EVAL"], anchor_month="5", last_done=done.isoformat()))
    assert r.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.anchor_month, row.last_done) == ("REV/EVAL", 5, done)
    entry = AuditEntry.objects.get(what="monitoring.task")
    assert entry.action == "change" and entry.person_key == "" and entry.username == "secretariat"
    assert entry.detail["task"] == row.key
    assert entry.detail["changes"]["status"] == {"old": "MON", "new": "REV/EVAL"}
    assert entry.detail["changes"]["anchor_month"] == {"old": "1", "new": "5"}
    year = local_today().year
    wheel = client.get("/overvaagning/opgaver/aarshjul/", {"year": year}).content.decode()
    line = wheel.split(f'<tr id="wheel-{row.key}">')[1].split("</tr>")[0]
    cells = line.split('<td class="m')[1:]
    assert ["●" in c for c in cells] == [m == 5 for m in range(1, 13)]  # May, not January any more
    assert "(REV/EVAL)" in line
    # saving the same values again changes nothing and writes no entry
    client.post(url, _form(row))
    assert AuditEntry.objects.filter(what="monitoring.task").count() == 1


def test_invalid_changes_are_refused_with_the_field_named(register, users, as_user):
    from opspor.web.audit.models import AuditEntry
    from opspor.web.monitoring.models import MonitoringTask

    client = as_user(users["secretariat"])
    row = MonitoringTask.objects.get(key="genoptraening-tidsfrister")
    url = f"/overvaagning/opgaver/{row.pk}/"
    r = client.post(url, _form(row, anchor_month=""))  # a yearly task needs its month
    assert r.status_code == 400 and "needs anchor_month" in r.content.decode()
    assert 'class="field has-error"' in r.content.decode()
    future = (local_today() + dt.timedelta(days=10)).isoformat()
    r = client.post(url, _form(row, last_done=future))
    assert r.status_code == 400 and "cannot lie in the future" in r.content.decode()
    r = client.post(url, _form(row, frequency="weekly"))
    assert r.status_code == 400
    once = MonitoringTask.objects.get(key="forebyg-hygiejne")
    r = client.post(f"/overvaagning/opgaver/{once.pk}/", _form(once, due_date=""))
    assert r.status_code == 400 and "needs due_date" in r.content.decode()
    row.refresh_from_db()
    assert row.anchor_month == 1 and row.frequency == "yearly"
    assert not AuditEntry.objects.filter(what="monitoring.task").exists()


def test_only_the_secretariat_edits(register, users, as_user):
    from opspor.web.monitoring.models import MonitoringTask

    row = MonitoringTask.objects.first()
    assert as_user(users["lead"]).post(f"/overvaagning/opgaver/{row.pk}/", _form(row)).status_code == 403
    assert as_user(users["odense"]).get("/overvaagning/opgaver/").status_code == 403
    assert as_user(users["secretariat"]).get("/overvaagning/opgaver/99999/").status_code == 404


def test_due_page_and_group_pdf(register, users, as_user):
    from opspor.monitor import tasks as T
    from opspor.web.monitoring.models import FollowUpGroup

    client = as_user(users["secretariat"])
    html = client.get("/overvaagning/opgaver/forfaldne/").content.decode()
    due = [i for i in T.due_list(list(FILE_TASKS), local_today()) if i.state in (T.OVERDUE, T.DUE)]
    assert html.count("<tr><td class=\"state-") == len(due)
    for i in due:
        assert i.task.title.replace('"', "&quot;") in html
    group = FollowUpGroup.objects.get(name="Følgegruppe for forebyggelse")
    pdf = client.get(f"/overvaagning/opgaver/foelgegruppe/{group.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf.content.count(b"/Type /Page\n") + pdf.content.count(b"/Type /Page ") >= 1
    assert client.get("/overvaagning/opgaver/foelgegruppe/99999.pdf").status_code == 404
