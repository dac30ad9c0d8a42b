"""Per-section ownership of the shared plan through HTTP (Django test client, real database;
issue 16 item 4): each section has an owning sector in careplan.yaml; the owner's users change it,
everybody else who reaches the plan reads it; a non-owner's change is refused with the section and
its owner named, the text kept and nothing saved; every change a new version, audited with the
owner. The file's errors for a missing or unknown owner."""

from __future__ import annotations

import pytest

from tests.web.careplan.test_careplan_http import _plan_form, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_each_sector_changes_only_its_own_sections(world, login):  # noqa: F811
    from opspor.web.audit.models import AuditEntry
    from opspor.web.careplan.models import PlanVersion

    users, persons, conferences = world
    ida = persons["odense"]
    url = f"/samarbejde/plan/{ida.public_id}/"
    c = login(users["specialist"])
    # the municipality and the practice reach the citizen through their tasks
    c.post(f"/samarbejde/mdt/{conferences['odense'].pk}/tjekliste/", {"items": ["follow_home_meeting",
                                                                                 "new_agreements_with_gp"]})
    page = c.get(url).content.decode()
    assert 'name="section_hospital"' in page and 'name="section_municipality"' not in page
    assert "Skrives af kommunen" in page and "Skrives af sygehuset" in page
    assert c.post(url + "gem/", _plan_form(0, "Sygehusets del", hospital="Udskrives fredag",
                                           wishes_and_goals="Vil hjem")).status_code == 302
    # the hospital cannot write the municipality's section
    refused = c.post(url + "gem/", _plan_form(1, "Kommunens del", municipality="Hjemmepleje dagligt"))
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Afsnittet “Kommunens indsats” skrives af kommunen: du kan læse det, men ikke ændre det." in text

    odense = login(users["odense"])
    page = odense.get(url).content.decode()
    assert 'name="section_municipality"' in page and 'name="section_hospital"' not in page
    assert "Udskrives fredag" in page  # reads the hospital's section
    # the municipality cannot change (nor empty) the hospital's section
    for hospital in ("Udskrives mandag", ""):
        refused = odense.post(url + "gem/", _plan_form(1, "Ændret", hospital=hospital, municipality="Hjemmepleje"))
        assert refused.status_code == 400 and "“Sygehusets plan” skrives af sygehuset" in refused.content.decode()
    assert PlanVersion.objects.filter(plan__person=ida).count() == 1
    # its own section: a new version that keeps the hospital's sections
    assert odense.post(url + "gem/", _plan_form(1, "Kommunens indsats", municipality="Hjemmepleje dagligt",
                                                hospital="Udskrives fredag")).status_code == 302
    v2 = PlanVersion.objects.get(plan__person=ida, number=2)
    assert v2.sections == {"wishes_and_goals": "Vil hjem", "hospital": "Udskrives fredag",
                           "municipality": "Hjemmepleje dagligt"}
    # the GP practice: not the municipality's section, its own yes
    gp = login(users["gp"])
    assert gp.post(url + "gem/", _plan_form(2, "x", municipality="Intet")).status_code == 400
    assert gp.post(url + "gem/", _plan_form(2, "Kontrol", general_practice="Kontrol om 14 dage")).status_code == 302
    assert PlanVersion.objects.get(plan__person=ida, number=3).sections["municipality"] == "Hjemmepleje dagligt"
    # the municipality empties its own section
    odense = login(users["odense"])
    assert odense.post(url + "gem/", _plan_form(3, "Hjemmepleje stoppet", municipality="")).status_code == 302
    assert "municipality" not in PlanVersion.objects.get(plan__person=ida, number=4).sections
    changes = AuditEntry.objects.filter(what="careplan.plan.change", person_key="k-odense").order_by("at", "id")
    assert [(e.username, e.detail["owner"], e.detail["sections"]) for e in changes] == [
        ("specialist", "hospital", ["hospital", "wishes_and_goals"]), ("odense", "municipality", ["municipality"]),
        ("gp", "general_practice", ["general_practice"]), ("odense", "municipality", ["municipality"])]


def test_a_section_s_owner_is_checked_in_the_file(tmp_path):
    from opspor.web.careplan import checklist

    text = checklist.FILE.read_text(encoding="utf-8")
    bad = tmp_path / "careplan.yaml"
    bad.write_text(text.replace("    owner: municipality\n", "    owner: kommune\n", 1), encoding="utf-8")
    with pytest.raises(checklist.CareplanConfigError, match=r"plan_sections\[6\]\.owner.*municipality"):
        checklist.load(bad)
    bad.write_text(text.replace("    owner: municipality\n", "", 1), encoding="utf-8")
    with pytest.raises(checklist.CareplanConfigError, match=r"plan_sections\[6\].*owner"):
        checklist.load(bad)
    bad.write_text(text.replace("  general_practice: [gp_practice]\n", "  general_practice: [municipality]\n", 1),
                   encoding="utf-8")
    with pytest.raises(checklist.CareplanConfigError, match=r"sector_organisations\.general_practice.*two sectors"):
        checklist.load(bad)
    bad.write_text(text.replace('  citizen: {title_da: "borgeren", title_en: "the citizen"}\n', "", 1), encoding="utf-8")
    with pytest.raises(checklist.CareplanConfigError, match=r"owners.*citizen"):
        checklist.load(bad)
    config = checklist.load()
    assert config.sector_of("department") == config.sector_of("region") == "hospital"
    assert config.sector_of("gp_practice") == "general_practice" and config.sector_of(None) is None
    assert [(o.title_da, o.title_en) for o in config.owners.values()] == [
        ("sygehuset", "the hospital"), ("kommunen", "the municipality"), ("egen læge", "the GP practice"),
        ("borgeren", "the citizen")]


def test_the_owners_are_named_as_the_file_names_them(world, login, tmp_path, monkeypatch, settings):  # noqa: F811
    """The sectors' names under each section and in a refusal come from careplan.yaml ``owners``
    in the reader's language."""
    from opspor.web.careplan import checklist

    users, persons, _conferences = world
    url = f"/samarbejde/plan/{persons['odense'].public_id}/"
    own = tmp_path / "careplan.yaml"
    own.write_text(checklist.FILE.read_text(encoding="utf-8").replace(
        '{title_da: "kommunen", title_en: "the municipality"}',
        '{title_da: "kommunens sundhedsenhed", title_en: "the municipal health unit"}'), encoding="utf-8")
    monkeypatch.setenv("OPSPOR_CAREPLAN_FILE", str(own))
    c = login(users["specialist"])
    page = c.get(url).content.decode()
    assert "Skrives af kommunens sundhedsenhed" in page and "Skrives af sygehuset" in page
    refused = c.post(url + "gem/", _plan_form(0, "Kommunens del", municipality="Hjemmepleje dagligt"))
    assert "“Kommunens indsats” skrives af kommunens sundhedsenhed" in refused.content.decode()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = c.get(url).content.decode()
    assert "the municipal health unit" in page and "the hospital" in page and "kommunens sundhedsenhed" not in page


def test_the_citizen_writes_their_own_section_and_the_professionals_read_it(world, login):  # noqa: F811
    import datetime as dt

    from django.utils import timezone

    from opspor.web.accounts.roles import Role
    from opspor.web.audit.models import AuditEntry
    from opspor.web.careplan.models import PlanVersion
    from opspor.web.signin import actions as signin
    from opspor.web.signin.models import CitizenLink, RelativeAccount, RelativeGrant
    from tests.web import web_kit

    users, persons, _conferences = world
    ida = persons["odense"]
    citizen = web_kit.make_user("ida", Role.CITIZEN, None, last_name="Odense")
    CitizenLink.objects.create(user=citizen, person=ida)
    c = login(citizen)
    home = c.get("/borger/").content.decode()
    assert 'href="/borger/plan/"' in home
    page = c.get("/borger/plan/")
    assert page.status_code == 200 and 'name="section_citizen_own"' in page.content.decode()
    assert 'name="section_hospital"' not in page.content.decode()
    assert AuditEntry.objects.filter(what="careplan.plan", username="ida", person_key="k-odense").exists()
    r = c.post("/borger/plan/", {"based_on": 0, "section_citizen_own": "Jeg vil kunne gå i haven igen"})
    assert r.status_code == 302 and r["Location"] == "/borger/#shared-plan"
    v1 = PlanVersion.objects.get(plan__person=ida)
    assert v1.sections == {"citizen_own": "Jeg vil kunne gå i haven igen"} and v1.author == citizen
    assert v1.author_role == "citizen" and v1.change_note == "Borgerens egne ord ændret"
    entry = AuditEntry.objects.get(what="careplan.plan.change")
    assert entry.username == "ida" and entry.detail["owner"] == "citizen" and entry.detail["sections"] == ["citizen_own"]
    assert "Jeg vil kunne gå i haven igen" in c.get("/borger/").content.decode()
    # the citizen cannot write a professional's section
    refused = c.post("/borger/plan/", {"based_on": 1, "section_citizen_own": "Jeg vil kunne gå i haven igen",
                                       "section_hospital": "Udskrives i dag"})
    assert refused.status_code == 400 and "“Sygehusets plan” skrives af sygehuset" in refused.content.decode()

    # the professionals read it and cannot change it
    s = login(users["specialist"])
    url = f"/samarbejde/plan/{ida.public_id}/"
    page = s.get(url).content.decode()
    assert "Jeg vil kunne gå i haven igen" in page and "Skrives af borgeren" in page
    assert 'name="section_citizen_own"' not in page and "Ida Odense (borgeren)" in page
    refused = s.post(url + "gem/", _plan_form(1, "Rettet", citizen_own="Haven"))
    assert refused.status_code == 400 and "skrives af borgeren" in refused.content.decode()
    assert s.post(url + "gem/", _plan_form(1, "Sygehusets del", hospital="Udskrives fredag")).status_code == 302
    # the citizen's form was based on version 1: refused, their text kept; then saved on version 2
    stale = login(citizen).post("/borger/plan/", {"based_on": 1, "section_citizen_own": "Haven og barnebarnet"})
    assert stale.status_code == 400 and "Haven og barnebarnet" in stale.content.decode()
    c = login(citizen)
    assert c.post("/borger/plan/", {"based_on": 2, "section_citizen_own": "Haven og barnebarnet"}).status_code == 302
    v3 = PlanVersion.objects.get(plan__person=ida, number=3)
    assert v3.sections == {"citizen_own": "Haven og barnebarnet", "hospital": "Udskrives fredag"}
    # FHIR CarePlan: the citizen's words are a note like the other sections
    export = login(users["specialist"]).get(url + "careplan.json").content.decode()
    assert "Haven og barnebarnet" in export

    # a relative with the plan part reads it and writes nothing; staff cannot use the citizen's form
    relative = web_kit.make_user("relative", Role.RELATIVE, None)
    RelativeAccount.objects.create(user=relative, relative_key=signin.relative_key("1212851234"))
    grant = RelativeGrant.objects.create(person=ida, relative_key=signin.relative_key("1212851234"), relative_name="Bo",
                                         parts=["plan"], until=timezone.localdate() + dt.timedelta(days=5),
                                         granted_by=citizen)
    r = login(relative)
    seen = r.get(f"/borger/adgang/{grant.public_id}/").content.decode()
    assert "Haven og barnebarnet" in seen and 'href="/borger/plan/"' not in seen
    assert r.post("/borger/plan/", {"based_on": 3, "section_citizen_own": "Bo skriver"}).status_code in (403, 404)
    assert login(users["specialist"]).post("/borger/plan/", {"based_on": 3, "section_citizen_own": "x"}).status_code in (
        403, 404)
    assert PlanVersion.objects.filter(plan__person=ida).count() == 3
