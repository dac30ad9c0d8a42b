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
    with pytest.raises(checklist.CareplanConfigError, match=r"plan_sections\[5\]\.owner.*municipality"):
        checklist.load(bad)
    bad.write_text(text.replace("    owner: municipality\n", "", 1), encoding="utf-8")
    with pytest.raises(checklist.CareplanConfigError, match=r"plan_sections\[5\].*owner"):
        checklist.load(bad)
    bad.write_text(text.replace("  general_practice: [gp_practice]\n", "  general_practice: [municipality]\n", 1),
                   encoding="utf-8")
    with pytest.raises(checklist.CareplanConfigError, match=r"sector_organisations\.general_practice.*two sectors"):
        checklist.load(bad)
    config = checklist.load()
    assert config.sector_of("department") == config.sector_of("region") == "hospital"
    assert config.sector_of("gp_practice") == "general_practice" and config.sector_of(None) is None
