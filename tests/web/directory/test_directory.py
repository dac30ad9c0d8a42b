"""The service directory (opspor.web.directory): the directory file's reader, loading it through
the command line and through the coordinator's page (audited, whole file or nothing), search and
export, the keeper's edit, and booking a place (audited; refused when none is free; only the
keeper and the owning municipality's acute team)."""

from __future__ import annotations

import io
import re

import pytest
from django.db import DatabaseError

from tests.web import web_kit
from tests.web.exports_kit import csv_rows

EXAMPLE_KEYS = {"odense-akutteam", "odense-akutpladser", "odense-iv", "odense-midlertidige", "ouh-subakut"}
ENV = {"OPSPOR_SECRET_KEY": "directory-cli-test-secret-key-0123456789-abcdefghijklmnop", "OPSPOR_HTTPS": "0"}


def example_text() -> str:
    from opspor.web.directory.loader import EXAMPLE_FILE

    return EXAMPLE_FILE.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the file's reader

def test_the_example_file_reads():
    from opspor.web.directory import loader

    directory = loader.read(loader.EXAMPLE_FILE)
    assert {o.key for o in directory.offers} == EXAMPLE_KEYS
    team = next(o for o in directory.offers if o.key == "odense-akutteam")
    assert (team.owner_kind, team.owner_code, team.owner_name, team.region_code) == ("municipality", "461", "Odense", "1083")
    assert team.kind == "acute_team" and "on_call" in team.referrers and team.capacity == 12
    assert directory.owners == {("municipality", "461"), ("region", "1083")}


@pytest.mark.parametrize(("change", "where", "fix"), [
    (("capacity: 12", "capacity: -1"), "offers[0].capacity", "write e.g. `4`"),
    (("kind: acute_team", "kind: acute_teem"), "offers[0].kind", "did you mean `acute_team`?"),
    (("    phone: \"65 51 00 00\"\n    capacity: 12", "    phone: \"65 51 00 00\"\n    capasity: 12"),
     "offers[0].capasity", "did you mean `capacity`?"),
    (('owner: {municipality: "461"}', 'owner: {municipality: "999"}'), "offers[0].owner.municipality",
     "three-digit code"),
    (("referrers: [gp, on_call, hospital, municipal_nurse]", "referrers: [gp, nurse]"), "offers[0].referrers[1]",
     "allowed values"),
    (("key: odense-akutpladser", "key: odense-akutteam"), "offers[1].key", "give each offer its own key"),
])
def test_a_bad_file_names_file_key_and_fix(change, where, fix):
    from opspor.web.directory import loader

    text = example_text()
    assert change[0] in text
    with pytest.raises(loader.DirectoryFileError) as e:
        loader.read_text(text.replace(change[0], change[1], 1), "mine.yaml")
    assert e.value.file == "mine.yaml" and e.value.key == where and fix in e.value.fix, str(e.value)


def test_a_duplicate_yaml_key_is_refused_with_its_line():
    from opspor.web.directory import loader

    with pytest.raises(loader.DirectoryFileError, match=r"mine.yaml: at line \d+, column \d+: not valid YAML: duplicate key"):
        loader.read_text(example_text().replace('version: "2026-12-05.1"', 'version: "1"\nversion: "2"'), "mine.yaml")


# --------------------------------------------------------------------------- the command line

def test_cli_loads_the_example_then_a_changed_file_and_refuses_a_bad_one(run_opspor, opspor_home, tmp_path):
    assert run_opspor("web", "migrate", env=ENV).returncode == 0
    first = run_opspor("web", "directory-load", "--example", env=ENV)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Directory version 2026-12-05.1 loaded" in first.stdout and "5 added, 0 changed, 0 unchanged, 0 taken out" in first.stdout
    changed = tmp_path / "dir.yaml"
    text = example_text().replace('version: "2026-12-05.1"', 'version: "2026-12-06.1"').replace("capacity: 6", "capacity: 7")
    cut, end = text.index("  - key: odense-midlertidige"), text.index("  - key: ouh-subakut")
    changed.write_text(text[:cut] + text[end:], encoding="utf-8")  # Odense no longer lists it
    second = run_opspor("web", "directory-load", changed, env=ENV)
    assert second.returncode == 0, second.stderr
    assert "1 changed, 3 unchanged, 1 taken out (odense-midlertidige)" in second.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("kind: iv_treatment", "kind: iv"), encoding="utf-8")
    refused = run_opspor("web", "directory-load", bad, env=ENV)
    assert refused.returncode == 2 and "bad.yaml: at offers[2].kind: unknown kind 'iv'" in refused.stderr.replace("\n", "")
    assert "Traceback" not in refused.stderr
    neither = run_opspor("web", "directory-load", env=ENV)
    assert neither.returncode == 2 and "Name a directory file or give --example" in neither.stderr


# --------------------------------------------------------------------------- the web app

@pytest.fixture
def people(db):
    """A coordinator of Odense (461), of Region Syddanmark (1083) and of Vejle (630); an acute
    nurse of Odense and of Vejle; a specialist; the example directory loaded by the command's
    system actor."""
    from opspor.web.accounts import organisations
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.organisations import ensure_reference_organisations
    from opspor.web.accounts.roles import OrgKind, Role
    from opspor.web.audit.actions import system
    from opspor.web.directory import actions, loader

    ensure_reference_organisations()
    org = {(o.kind, o.code): o for o in Organisation.objects.all()}
    mk = web_kit.make_user
    actions.load_file(system("opspor web directory-load"), loader.read(loader.EXAMPLE_FILE))
    return {
        "coord_odense": mk("coord_odense", Role.COORDINATOR, org[(OrgKind.MUNICIPALITY, "461")]),
        "coord_region": mk("coord_region", Role.COORDINATOR, org[(OrgKind.REGION, "1083")]),
        "coord_vejle": mk("coord_vejle", Role.COORDINATOR, org[(OrgKind.MUNICIPALITY, "630")]),
        "acute_odense": mk("acute_odense", Role.ACUTE_NURSE, org[(OrgKind.MUNICIPALITY, "461")]),
        "acute_vejle": mk("acute_vejle", Role.ACUTE_NURSE, org[(OrgKind.MUNICIPALITY, "630")]),
        "specialist": mk("specialist", Role.SPECIALIST, organisations.department("OUH", "MED1")),
        "auditor": mk("auditor", Role.AUDITOR, org[(OrgKind.REGION, "1083")]),
    }


def entries(what: str):
    from opspor.web.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(what=what).order_by("id"))


def test_search_filters_and_the_free_places(people, login):
    client = login(people["specialist"])
    page = client.get("/tilbud/").content.decode()
    assert all(f'data-offer="{k}"' in page for k in EXAMPLE_KEYS)
    assert "Akutteam Odense" in page and "Alle dage kl. 00-24" in page
    only = client.get("/tilbud/", {"kind": "acute_bed"}).content.decode()
    assert 'data-offer="odense-akutpladser"' in only and 'data-offer="odense-akutteam"' not in only
    words = client.get("/tilbud/", {"q": "lukkede systemer"}).content.decode()
    assert 'data-offer="odense-iv"' in words and words.count("data-offer=") == 1
    on_call = client.get("/tilbud/", {"referrer": "on_call"}).content.decode()
    assert 'data-offer="ouh-subakut"' in on_call and 'data-offer="odense-iv"' not in on_call
    region = client.get("/tilbud/", {"owner": "1083"}).content.decode()
    assert region.count("data-offer=") == 1
    bad = client.get("/tilbud/", {"kind": "spa"})
    assert bad.status_code == 400 and "kind" in bad.content.decode()
    assert login(people["auditor"]).get("/tilbud/").status_code == 403


def test_export_csv_and_xlsx_audited(people, login):
    import openpyxl

    client = login(people["acute_odense"])
    response = client.get("/tilbud/", {"kind": "acute_bed", "format": "csv"})
    rows = csv_rows(response, "da")  # a Danish Excel's ";" and the byte order mark (web/core/tables.py)
    assert rows[0][:3] == ["Kommune eller region", "Type", "Navn"]
    assert rows[1][2] == "Akutpladser, Odense Kommune" and rows[1][7:9] == ["6", "6"]
    xlsx = client.get("/tilbud/", {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 1 + len(EXAMPLE_KEYS)
    assert [e.what for e in entries("directory.csv") + entries("directory.xlsx")] == ["directory.csv", "directory.xlsx"]
    assert client.get("/tilbud/", {"format": "pdf"}).status_code == 400


def test_booking_until_full_then_refused_with_a_clear_message(people, login):
    from opspor.web.directory.models import Booking, Offer

    offer = Offer.objects.get(key="odense-akutpladser")
    client = login(people["acute_odense"])
    for i in range(offer.capacity):
        response = client.post("/tilbud/odense-akutpladser/book/", {"note": f"overflytning {i}"})
        assert response.status_code == 302, response.content.decode()[:500]
    assert Booking.objects.in_force().filter(offer=offer).count() == 6
    assert 'id="free">0<' in client.get("/tilbud/odense-akutpladser/").content.decode()
    full = client.post("/tilbud/odense-akutpladser/book/", {"note": "en til"})
    assert full.status_code == 400
    assert "Ingen ledig plads: alle 6 pladser i “Akutpladser, Odense Kommune” er booket." in full.content.decode()
    assert Booking.objects.filter(offer=offer).count() == 6
    booked = entries("directory.book")
    assert len(booked) == 6 and booked[-1].detail["free_after"] == 0 and booked[-1].username == "acute_odense"
    # releasing one frees it, audited
    held = Booking.objects.filter(offer=offer).first()
    assert client.post(f"/tilbud/odense-akutpladser/frigiv/{held.pk}/").status_code == 302
    assert len(entries("directory.release")) == 1
    assert client.post("/tilbud/odense-akutpladser/book/", {"note": "nu er der plads"}).status_code == 302
    # the free places show in the list
    page = client.get("/tilbud/", {"free": "1"}).content.decode()
    assert 'data-offer="odense-akutpladser"' not in page and 'data-offer="odense-akutteam"' in page


def test_only_the_keeper_and_the_owning_acute_team_book(people, login):
    from opspor.web.directory.models import Booking

    assert login(people["acute_vejle"]).post("/tilbud/odense-akutpladser/book/", {"note": "x"}).status_code == 403
    assert login(people["coord_vejle"]).post("/tilbud/odense-akutpladser/book/", {"note": "x"}).status_code == 403
    assert login(people["specialist"]).post("/tilbud/odense-akutpladser/book/", {"note": "x"}).status_code == 403
    # a region's offer: the acute team of any municipality of the region
    assert login(people["acute_odense"]).post("/tilbud/ouh-subakut/book/", {"note": "x"}).status_code == 302
    assert login(people["coord_region"]).post("/tilbud/odense-akutpladser/book/", {"note": "x"}).status_code == 302
    assert Booking.objects.count() == 2 and not entries("directory.book")[0].person_key


def test_keeper_edits_capacity_audited_not_below_booked(people, login):
    from opspor.web.directory.models import Offer

    assert login(people["coord_vejle"]).post("/tilbud/odense-iv/ret/", {"capacity": 3}).status_code == 403
    client = login(people["coord_odense"])
    form = {"capacity": 2, "opening_hours": "Alle dage 08-22", "how_to_book": "Ring", "phone": "1234", "note": ""}
    assert client.post("/tilbud/odense-iv/ret/", form).status_code == 302
    offer = Offer.objects.get(key="odense-iv")
    assert (offer.capacity, offer.opening_hours, offer.updated_by) == (2, "Alle dage 08-22", "coord_odense")
    [entry] = entries("directory.update")
    assert entry.detail["before"]["capacity"] == 8 and entry.detail["after"]["capacity"] == 2
    web_kit.make_user  # noqa: B018
    acute = login(people["acute_odense"])
    assert acute.post("/tilbud/odense-iv/book/", {"note": "a"}).status_code == 302
    assert acute.post("/tilbud/odense-iv/book/", {"note": "b"}).status_code == 302
    client = login(people["coord_odense"])
    below = client.post("/tilbud/odense-iv/ret/", {**form, "capacity": 1})
    assert below.status_code == 400 and "Kapaciteten kan ikke være under de 2 pladser, der er booket nu." in below.content.decode()
    assert Offer.objects.get(key="odense-iv").capacity == 2


def test_coordinator_loads_a_file_on_the_page_whole_or_nothing(people, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opspor.web.directory.models import Offer

    odense_only = example_text()
    odense_only = odense_only[:odense_only.index("  - key: ouh-subakut")]
    newer = odense_only.replace('version: "2026-12-05.1"', 'version: "2026-12-07.1"').replace("capacity: 20", "capacity: 25")
    client = login(people["coord_odense"])
    ok = client.post("/tilbud/indlaes/", {"file": SimpleUploadedFile("odense.yaml", newer.encode())})
    assert ok.status_code == 200, ok.content.decode()[:1000]
    assert "Version 2026-12-07.1 indlæst: 0 tilføjet, 1 ændret, 3 uændrede, 0 taget ud." in ok.content.decode()
    assert Offer.objects.get(key="odense-midlertidige").capacity == 25
    assert Offer.objects.get(key="ouh-subakut").active  # another owner's offer is not taken out
    [load] = [e for e in entries("directory.load") if e.username == "coord_odense"]
    assert load.detail["version"] == "2026-12-07.1" and load.detail["changed"] == ["odense-midlertidige"]
    # another municipality's coordinator cannot load Odense's offers
    other = login(people["coord_vejle"]).post("/tilbud/indlaes/", {"file": SimpleUploadedFile("o.yaml", newer.encode())})
    assert other.status_code == 400 and "Du fører ikke tilbuddene for Odense" in other.content.decode()
    # a bad file: the error names the file and the key; nothing changed
    bad = newer.replace("capacity: 25", "capacity: 30").replace("kind: iv_treatment", "kind: iv")
    refused = client.post("/tilbud/indlaes/", {"file": SimpleUploadedFile("odense.yaml", bad.encode())})
    assert refused.status_code == 400 and "odense.yaml: at offers[2].kind: unknown kind" in refused.content.decode().replace("&#x27;", "'")
    assert Offer.objects.get(key="odense-midlertidige").capacity == 25
    # a capacity below the places booked: refused as a whole, naming the offer
    acute = login(people["acute_odense"])
    for note in "abc":
        assert acute.post("/tilbud/odense-iv/book/", {"note": note}).status_code == 302
    client = login(people["coord_odense"])
    low = newer.replace("capacity: 8", "capacity: 2").replace("capacity: 25", "capacity: 26")
    refused = client.post("/tilbud/indlaes/", {"file": SimpleUploadedFile("odense.yaml", low.encode())})
    assert refused.status_code == 400 and "“odense-iv”: kapacitet 2 er under de 3 pladser" in refused.content.decode()
    assert Offer.objects.get(key="odense-midlertidige").capacity == 25 and Offer.objects.get(key="odense-iv").capacity == 8
    assert login(people["acute_odense"]).get("/tilbud/indlaes/").status_code == 403


def test_a_change_is_not_made_without_its_audit_entry(people, login, audit_refuses):
    from opspor.web.directory.models import Booking

    client = login(people["acute_odense"])
    audit_refuses()
    with pytest.raises(DatabaseError, match="audit"):
        client.post("/tilbud/odense-akutpladser/book/", {"note": "x"})
    assert not Booking.objects.exists()


def test_the_mdt_page_links_to_the_citizens_municipality_offers(users, login, published):
    """Searchable from the MDT: the conference page links to the directory filtered to the
    citizen's municipality (the specialist reads the directory too)."""
    from opspor.web.audit.actions import system
    from opspor.web.directory import actions, loader
    from opspor.web.people.models import Person
    from opspor.web.worklists.models import MdtConference

    actions.load_file(system("opspor web directory-load"), loader.read(loader.EXAMPLE_FILE))
    a = Person.objects.get(name=web_kit.NAMES["A"])
    client = login(users["med1"])
    client.post(f"/lister/mdt/ny/{a.public_id}/")
    page = client.get(f"/lister/mdt/{MdtConference.objects.get().pk}/").content.decode()
    link = re.search(r'href="(/tilbud/\?owner=461)"', page).group(1)
    offers = client.get(link).content.decode()
    assert 'data-offer="odense-akutpladser"' in offers and 'data-offer="ouh-subakut"' not in offers
