"""After the MDT and the shared plan through HTTP (Django test client, real database): the
department adds participants (GP, municipality, patient, a relative by video) and makes tasks
from the discharge checklist and by hand; each sector's board shows only the tasks its
organisation owns; the owner completes one, another organisation cannot reach a task or a plan by
URL; the shared plan is versioned, each change audited, a stale form refused with the text kept;
the FHIR CarePlan export; the citizen sees the plan on /borger/; the checklist file's errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.support.clock import local_today
from tests.web import web_kit

pytestmark = pytest.mark.django_db
CPR_ODENSE, CPR_VEJLE = "0101401234", "0202411234"


@pytest.fixture
def world(db):
    from django.utils import timezone

    from opspor.web.accounts import organisations
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.roles import OrgKind, Role
    from opspor.web.people.models import Person
    from opspor.web.worklists import actions as worklists
    from opspor.web.worklists.models import ListEntry, ListRun

    organisations.ensure_reference_organisations()
    org = {(o.kind, o.code): o for o in Organisation.objects.all()}
    practice = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="012345", name="Lægehuset", region_code="1083")
    other_practice = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="000001", name="Lægepraksis 1",
                                                 region_code="1083")
    med1 = organisations.department("OUH", "MED1")
    mk = web_kit.make_user
    users = {
        "specialist": mk("specialist", Role.SPECIALIST, med1, last_name="Speciallæge"),
        "other_department": mk("other_department", Role.SPECIALIST, organisations.department("OUH", "KAR")),
        "odense": mk("odense", Role.MUNICIPALITY, org[(OrgKind.MUNICIPALITY, "461")], last_name="Kommune"),
        "vejle": mk("vejle", Role.MUNICIPALITY, org[(OrgKind.MUNICIPALITY, "630")]),
        "gp": mk("gp", Role.MUNICIPALITY, practice, last_name="Læge"),
        "gp_other": mk("gp_other", Role.MUNICIPALITY, other_practice),
        "acute": mk("acute", Role.ACUTE_NURSE, org[(OrgKind.MUNICIPALITY, "461")]),
    }
    persons = {
        "odense": Person.objects.create(person_key="k-odense", cpr=CPR_ODENSE, name="Ida Odense", municipality_code="461",
                                        region_code="1083", gp_provider_number="012345"),
        "vejle": Person.objects.create(person_key="k-vejle", cpr=CPR_VEJLE, name="Vagn Vejle", municipality_code="630",
                                       region_code="1083", gp_provider_number="000001"),
    }
    run = ListRun.objects.create(run_id="r1", as_of=timezone.localdate(), snapshot_id="s1")
    for i, p in enumerate(persons.values()):
        ListEntry.objects.create(run=run, department=med1, person=p, position=i, contact_id=f"c{i}",
                                 contact_start=timezone.now(), counted=True, new_today=True)
    conferences = {k: worklists.open_mdt(users["specialist"], person=p, department=med1) for k, p in persons.items()}
    return users, persons, conferences


def test_participants_checklist_tasks_and_each_sector_s_board(world, login):
    from opspor.web.audit.models import AuditEntry
    from opspor.web.careplan.models import Participant, Task

    users, persons, conferences = world
    mdt = conferences["odense"]
    c = login(users["specialist"])
    page = c.get(f"/samarbejde/mdt/{mdt.pk}/")
    assert page.status_code == 200 and "Kroniker: fast kontakt på specialafdelingen" in page.content.decode()
    for data in ({"kind": "municipality", "name": "Karen Kommune", "profession": "Visitator"},
                 {"kind": "gp", "name": "Lars Læge", "by_video": "on", "video_link": "https://video.example/abc"},
                 {"kind": "patient", "name": "Ida Odense"},
                 {"kind": "relative", "name": "Datter", "profession": "datter", "video_link": "https://video.example/d"}):
        assert c.post(f"/samarbejde/mdt/{mdt.pk}/deltager/", data).status_code == 302
    parts = {p.kind: p for p in Participant.objects.filter(conference=mdt)}
    assert parts["municipality"].organisation.code == "461" and parts["municipality"].sector == "municipality"
    assert parts["gp"].organisation.code == "012345" and parts["gp"].by_video
    assert parts["relative"].by_video and parts["patient"].sector == ""
    bad = c.post(f"/samarbejde/mdt/{mdt.pk}/deltager/", {"kind": "relative", "name": "X", "video_link": "http://x.example"},
                 follow=True)
    assert "https://" in bad.content.decode() and Participant.objects.filter(conference=mdt).count() == 4

    items = ["follow_home", "follow_home_meeting", "call_home", "new_agreements_with_gp", "fixed_contact"]
    assert c.post(f"/samarbejde/mdt/{mdt.pk}/tjekliste/", {"items": items}).status_code == 302
    again = c.post(f"/samarbejde/mdt/{mdt.pk}/tjekliste/", {"items": ["call_home"]}, follow=True)
    assert "1 havde allerede en opgave" in again.content.decode()
    due = (local_today() + dt.timedelta(days=4)).strftime("%d-%m-%Y")
    assert c.post(f"/samarbejde/mdt/{mdt.pk}/opgave/", {"title": "Faldscreening i hjemmet", "sector": "municipality",
                                                          "profession": "municipal_therapist", "due_on": due}).status_code == 302
    tasks = {t.checklist_item or t.title: t for t in Task.objects.filter(person=persons["odense"])}
    assert len(tasks) == 6
    assert tasks["follow_home_meeting"].owner_org.code == "461" and tasks["follow_home_meeting"].profession == "home_nurse"
    assert tasks["new_agreements_with_gp"].owner_org.code == "012345"
    assert tasks["call_home"].owner_org == mdt.department
    assert tasks["Faldscreening i hjemmet"].due_on.strftime("%d-%m-%Y") == due
    assert AuditEntry.objects.filter(what="careplan.task.create", person_key="k-odense").count() == 6
    # the Vejle citizen's conference: a task for Vejle municipality
    assert c.post(f"/samarbejde/mdt/{conferences['vejle'].pk}/tjekliste/", {"items": ["follow_home_meeting"]}).status_code == 302
    vejle_task = Task.objects.get(person=persons["vejle"])

    # Odense sees its two tasks, not Vejle's, not the hospital's
    odense = login(users["odense"])
    board = odense.get("/samarbejde/opgaver/").content.decode()
    assert board.count("data-task=") == 2 and "Ida Odense" in board and "Vagn Vejle" not in board
    assert "Faldscreening i hjemmet" in board and "Ringe-hjem" not in board
    assert odense.post(f"/samarbejde/opgaver/{vejle_task.pk}/status/", {"status": "done"}).status_code == 404
    assert odense.post(f"/samarbejde/opgaver/{tasks['call_home'].pk}/status/", {"status": "done"}).status_code == 404
    done = odense.post(f"/samarbejde/opgaver/{tasks['follow_home_meeting'].pk}/status/", {"status": "done"}, follow=True)
    assert "Status for opgaven er gemt." in done.content.decode()
    tasks["follow_home_meeting"].refresh_from_db()
    assert tasks["follow_home_meeting"].status == "done" and tasks["follow_home_meeting"].changed_by == users["odense"]
    assert AuditEntry.objects.filter(what="careplan.task.status", username="odense").count() == 1
    assert odense.get("/samarbejde/opgaver/").content.decode().count("data-task=") == 1  # open ones
    assert odense.get("/samarbejde/opgaver/?vis=alle").content.decode().count("data-task=") == 2
    # the municipality now reaches the citizen (a task of theirs) and the person page shows the plan's part
    assert odense.get(f"/personer/{persons['odense'].public_id}/").status_code == 200
    # the GP sees the practice's task only; another practice, Vejle and the acute team nothing of Odense
    gp_board = login(users["gp"]).get("/samarbejde/opgaver/").content.decode()
    assert gp_board.count("data-task=") == 1 and "Nye aftaler med egen læge" in gp_board
    assert "Ida Odense" not in login(users["gp_other"]).get("/samarbejde/opgaver/").content.decode()
    vejle = login(users["vejle"])
    assert "Ida Odense" not in vejle.get("/samarbejde/opgaver/").content.decode()
    assert vejle.get(f"/samarbejde/plan/{persons['odense'].public_id}/").status_code == 404
    assert login(users["acute"]).get("/samarbejde/opgaver/").status_code == 403
    # another department cannot reach the conference's follow-up page or cancel its tasks
    other = login(users["other_department"])
    assert other.get(f"/samarbejde/mdt/{mdt.pk}/").status_code == 404
    assert other.post(f"/samarbejde/opgaver/{tasks['call_home'].pk}/status/", {"status": "cancelled"}).status_code == 404
    # the conference's department may cancel the municipality's task, not complete it (one client:
    # each log-in replaces the previous one)
    c = login(users["specialist"])
    assert c.post(f"/samarbejde/opgaver/{tasks['Faldscreening i hjemmet'].pk}/status/", {"status": "done"}).status_code == 403
    c.post(f"/samarbejde/opgaver/{tasks['Faldscreening i hjemmet'].pk}/status/", {"status": "cancelled"})
    tasks["Faldscreening i hjemmet"].refresh_from_db()
    assert tasks["Faldscreening i hjemmet"].status == "cancelled"


def citizen_client_get(login, user, url) -> int:
    return login(user).get(url).status_code


def _plan_form(version: int, note: str, **sections) -> dict:
    return {"based_on": version, "change_note": note, **{f"section_{k}": v for k, v in sections.items()}}


def test_shared_plan_versions_audit_scope_fhir_and_the_citizen(world, login):
    from opspor.web.accounts.roles import Role
    from opspor.web.aps.models import Case, Goal, Plan
    from opspor.web.audit.models import AuditEntry
    from opspor.web.careplan.models import PlanVersion
    from opspor.web.signin.models import CitizenLink

    users, persons, conferences = world
    ida = persons["odense"]
    c = login(users["specialist"])
    c.post(f"/samarbejde/mdt/{conferences['odense'].pk}/tjekliste/", {"items": ["follow_home_meeting", "call_home"]})
    url = f"/samarbejde/plan/{ida.public_id}/"
    assert c.get(url).status_code == 200
    r = c.post(url + "gem/", _plan_form(0, "Første udgave efter MDT", wishes_and_goals="Vil gerne klare sig selv hjemme",
                                        end_of_life="Ønsker ikke genoplivning"))
    assert r.status_code == 302
    # the GP (a task of the practice? no: the citizen is reached through the municipality's task only for Odense)
    gp = login(users["gp"])
    assert gp.get(url).status_code == 404  # the practice has no task and the citizen is not included
    c = login(users["specialist"])
    c.post(f"/samarbejde/mdt/{conferences['odense'].pk}/tjekliste/", {"items": ["new_agreements_with_gp"]})
    gp = login(users["gp"])
    page = gp.get(url).content.decode()
    assert "Vil gerne klare sig selv hjemme" in page and "Version 1" in page
    r = gp.post(url + "gem/", _plan_form(1, "Aftale om livsforlængende behandling", wishes_and_goals="Vil gerne klare sig selv hjemme",
                                         end_of_life="Ønsker ikke genoplivning", general_practice="Kontrol hos egen læge om 14 dage"))
    assert r.status_code == 302
    # a stale form (based on version 1) is refused, the writer's text kept
    c = login(users["specialist"])
    stale = c.post(url + "gem/", _plan_form(1, "Sygehusets plan", hospital="Udskrives fredag"))
    assert stale.status_code == 400 and "Udskrives fredag" in stale.content.decode() and "Gp Læge" in stale.content.decode()
    versions = list(PlanVersion.objects.filter(plan__person=ida).order_by("number"))
    assert [v.number for v in versions] == [1, 2] and versions[1].author == users["gp"]
    assert versions[0].sections == {"wishes_and_goals": "Vil gerne klare sig selv hjemme", "end_of_life": "Ønsker ikke genoplivning"}
    changes = AuditEntry.objects.filter(what="careplan.plan.change", person_key="k-odense").order_by("at", "id")
    assert [e.username for e in changes] == ["specialist", "gp"] and changes[1].detail["sections"] == ["general_practice"]
    # the specialist sees the GP's change and the history
    page = c.get(url).content.decode()
    assert "Kontrol hos egen læge om 14 dage" in page and "Aftale om livsforlængende behandling" in page
    assert AuditEntry.objects.filter(what="careplan.plan", username="specialist").exists()

    # Aktiv Patientstøtte is a section of the plan (written by the nurse on the case page)
    nurse = web_kit.make_user("nurse", Role.NURSE, users["specialist"].organisation.__class__.objects.get(kind="region", code="1083"))
    case = Case.objects.create(person=ida, region_code="1083", nurse=nurse, invited_by=nurse, state="active")
    Goal.objects.create(case=case, text="Gå en tur hver dag")
    Plan.objects.create(case=case, text="Vej dig hver morgen", written_by=nurse)
    assert "Gå en tur hver dag" in login(users["gp"]).get(url).content.decode()
    # the support nurse reads the tasks of the caseload's citizen, changes none
    nurse_client = login(nurse)
    board = nurse_client.get("/samarbejde/opgaver/").content.decode()
    assert board.count("data-task=") == 3 and "Markér som udført" not in board
    task = ida.care_tasks.first()
    assert nurse_client.post(f"/samarbejde/opgaver/{task.pk}/status/", {"status": "done"}).status_code == 403
    person_page = nurse_client.get(f"/personer/{ida.public_id}/").content.decode()
    assert "Åbn den fælles plan" in person_page and "Version 2" in person_page

    # FHIR CarePlan
    c = login(users["specialist"])
    export = c.get(url + "careplan.json")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/fhir+json")
    resource = json.loads(export.content)
    assert resource["resourceType"] == "CarePlan" and resource["meta"]["versionId"] == "2"
    assert resource["subject"]["identifier"]["value"] == CPR_ODENSE
    assert {a["detail"]["status"] for a in resource["activity"]} == {"not-started"} and len(resource["activity"]) == 3
    assert any("Kontrol hos egen læge" in n["text"] for n in resource["note"])
    assert any("Vej dig hver morgen" in n["text"] for n in resource["note"])
    assert resource["contained"][0]["description"]["text"] == "Gå en tur hver dag"
    assert AuditEntry.objects.filter(what="careplan.plan.fhir", action="export").count() == 1
    assert login(users["vejle"]).get(url + "careplan.json").status_code == 404
    assert CPR_ODENSE not in url

    # the citizen reads the plan on their own page
    citizen = web_kit.make_user("ida", Role.CITIZEN, None)
    CitizenLink.objects.create(user=citizen, person=ida)
    home = login(citizen).get("/borger/").content.decode()
    assert "Kontrol hos egen læge om 14 dage" in home and "Ringe-hjem" in home
    assert citizen_client_get(login, citizen, url) in (403, 404)
    # a relative sees it with the "plan" part of a grant, not with "course" only
    from django.utils import timezone

    from opspor.web.signin import actions as signin
    from opspor.web.signin.models import RelativeAccount, RelativeGrant

    relative = web_kit.make_user("relative", Role.RELATIVE, None)
    RelativeAccount.objects.create(user=relative, relative_key=signin.relative_key("1212851234"))
    until = timezone.localdate() + dt.timedelta(days=5)
    grants = {parts: RelativeGrant.objects.create(person=ida, relative_key=signin.relative_key("1212851234"),
                                                  relative_name="Bo", parts=[parts], until=until, granted_by=citizen)
              for parts in ("plan", "course")}
    relative_client = login(relative)
    assert "Kontrol hos egen læge om 14 dage" in relative_client.get(
        f"/borger/adgang/{grants['plan'].public_id}/").content.decode()
    assert "Kontrol hos egen læge om 14 dage" not in relative_client.get(
        f"/borger/adgang/{grants['course'].public_id}/").content.decode()


def test_the_checklist_file_s_errors_name_the_key_and_the_fix(tmp_path):
    from opspor.web.careplan import checklist

    text = checklist.FILE.read_text(encoding="utf-8")
    bad = tmp_path / "careplan.yaml"
    bad.write_text(text.replace("profession: home_nurse", "profession: home_nurze", 1), encoding="utf-8")
    with pytest.raises(checklist.CareplanConfigError) as e:
        checklist.load(bad)
    message = str(e.value)
    assert "checklist[11].profession" in message and "home_nurse" in message and str(bad) in message
    bad.write_text(text.replace("due_days: 1\n", "due_days: -1\n", 1), encoding="utf-8")
    with pytest.raises(checklist.CareplanConfigError, match=r"checklist\[0\]\.due_days"):
        checklist.load(bad)
