"""The department list explains itself (issue 19, item 1), through HTTP on the real database with
the hand-made lists of tests/lists/lists_kit (published by ``opspor web publish``'s code):

* the rule in words, from repeated_acute.yaml and the concept labels;
* why each patient is on the list (the counting contacts at the hospital unit), and why each
  other contact does not count (A4 planned; C4 planned, C5 home visit AAF6, C6 telephone);
* SKS texts beside diagnosis codes, department names beside the catalogue's codes, an unknown
  code alone;
* the compact table view: filters (new today, not screened) and sorting;
* a concluded MDT on the card; the explanation on the person's page and the MDT page.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from opspor import reference
from opspor.web.people.models import Person
from opspor.web.worklists import actions
from opspor.web.worklists.models import ListEntry
from tests.web import web_kit
from tests.web.web_kit import NAMES

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", unescape(html))


def person(letter: str) -> Person:
    return Person.objects.get(person_key=web_kit.key_of(letter))


def test_publication_records_each_contacts_unit_and_why_it_does_not_count(published):
    lines = {e.contact_id: e for e in ListEntry.objects.filter(run=published)}
    assert {cid: (e.hospital_unit, e.not_counted) for cid, e in lines.items() if not e.counted} == {
        "A4": ("OUH", [["priority", "planned"]]),
        "C4": ("OUH", [["priority", "planned"]]),
        "C5": ("SLB", [["procedures_none_of", "AAF6"]]),
        "C6": ("SLB", [["contact_type", "telephone"]]),
    }
    assert {e.hospital_unit for cid, e in lines.items() if cid in ("C1", "C2", "C3")} == {"SLB"}
    assert all(e.not_counted == [] for e in lines.values() if e.counted)


def test_the_worklist_says_the_rule_why_each_patient_is_on_it_and_why_contacts_do_not_count(users, login, published):
    client = login(users["med1"])
    response = client.get("/lister/")
    page = text(response)
    # the rule, from the rule file's concepts and conditions (concept labels of concepts.yaml)
    assert ("Hvem står på listen: patienter med mindst 3 kontakter, der hver er akut kontakt, fysisk fremmøde, "
            "i intern medicin, akutmedicin eller geriatri, ikke del af et særligt forløb") in page
    assert "ikke takstfri aktivitet (DRG-værdi 0) og ikke ude-/hjemmebesøg inden for 182 dage på samme sygehus" in page
    # A: three counting contacts at OUH; A4 planned
    html = response.content.decode()
    a_card = html[html.index(NAMES["A"]):html.index(NAMES["C"])]
    c_card = html[html.index(NAMES["C"]):]
    assert "På listen på grund af: 3 tællende kontakter inden for 182 dage på OUH (reglen kræver mindst 3)." in unescape(a_card)
    assert re.search(r"01-02-2026 09:00.*?<td data-testid=\"counts\">nej: planlagt</td>", a_card, re.S)
    # C: counted at SLB (another unit than the list's), the other lines with their reasons
    assert "3 tællende kontakter inden for 182 dage på SLB" in c_card
    for start, why in (("01-03-2026 08:00", "nej: planlagt"), ("15-02-2026 10:00", "nej: ude-/hjemmebesøg (AAF6)"),
                       ("20-02-2026 10:00", "nej: telefon")):
        assert re.search(re.escape(start) + r".*?<td data-testid=\"counts\">" + re.escape(why) + "</td>", c_card, re.S), start
    assert c_card.count('<td data-testid="counts">ja</td>') == 3
    # diagnosis texts beside the codes; the test departments (MED1, SLB-MED) are not in the
    # catalogue, so they show the code alone
    assert reference.diagnosis_text("DR060") == "Åndenød"
    assert '<span class="code">DR060</span> <span class="code-text">Åndenød</span>' in html
    assert '<span class="code">MED1</span> <small>' in html


def test_english_users_read_the_same_explanation_in_english(users, login, published):
    client = login(users["med1"])
    page = text(client.get("/lister/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Who is on the list: patients with at least 3 contacts, each acute contact, physical attendance, " \
           "in internal medicine, acute medicine or geriatrics" in page
    assert "3 counting contacts within 182 days at OUH (the rule asks for at least 3)" in page
    assert "no: planned" in page and "no: out-/home visit (AAF6)" in page


def test_unknown_codes_show_the_code_alone_and_catalogue_departments_their_names():
    assert reference.diagnosis_text("DX999") is None and reference.diagnosis_text("") is None
    assert reference.diagnosis_text("DJ441") == "KOL med akut exacerbation UNS"
    assert reference.department_names()["OUH-MED"] == "Medicinsk afdeling"


def test_the_table_view_filters_new_and_unscreened_and_sorts(users, login, published):
    client = login(users["med1"])
    names = lambda r: re.findall(r"Testperson [A-F] Jensen", r.content.decode())  # noqa: E731
    table = client.get("/lister/?view=table")
    assert 'data-testid="worklist-table"' in table.content.decode() and names(table) == [NAMES["A"], NAMES["C"]]
    assert "3 tællende kontakter inden for 182 dage på SLB" in text(table)
    # new today: only A
    assert names(client.get("/lister/?view=table&filter=new")) == [NAMES["A"]]
    # sorting: by age (C is 35, A 86), reversed, by name
    assert names(client.get("/lister/?view=table&sort=age")) == [NAMES["C"], NAMES["A"]]
    assert names(client.get("/lister/?view=table&sort=-age")) == [NAMES["A"], NAMES["C"]]
    assert names(client.get("/lister/?view=table&sort=-name")) == [NAMES["C"], NAMES["A"]]
    # not screened: after A is screened, only C; both filters together: nobody
    actions.screen(users["med1"], person=person("A"), department=users["med1"].organisation, run=published,
                   decision="no_action")
    unscreened = client.get("/lister/?view=table&filter=unscreened")
    assert names(unscreened) == [NAMES["C"]] and "1 af 2 patienter vist" in text(unscreened)
    assert names(client.get("/lister/?view=table&sort=decision")) == [NAMES["C"], NAMES["A"]]
    assert "Ingen patienter passer til filteret." in text(client.get("/lister/?view=table&filter=new&filter=unscreened"))
    # the cards obey the same filters
    cards = client.get("/lister/?filter=unscreened").content.decode()
    assert NAMES["C"] in cards and NAMES["A"] not in cards and 'data-testid="worklist-table"' not in cards
    # a bad parameter is a 400 naming it
    for bad in ("view=grid", "filter=old", "sort=cpr"):
        response = client.get(f"/lister/?{bad}")
        assert response.status_code == 400, bad
        assert bad.split("=")[0] in response.content.decode()


def test_a_concluded_mdt_is_on_the_card_and_the_explanation_on_the_person_and_mdt_pages(users, login, published):
    med1 = users["med1"]
    c = person("C")
    conference = actions.open_mdt(med1, person=c, department=med1.organisation)
    values = {"conference_date": dt.date(2026, 3, 5), "participants": "læge, sygeplejerske", "age": 35, "history": "3 indlæggelser",
              "comorbidity": "astma", "clinical_findings": "stabil", "paraclinical_findings": "normale",
              "functional_level": "selvhjulpen", "social_conditions": "bofællesskab",
              "recommendation": "Kommunal opfølgning inden for en uge", "action_by_gp": False,
              "action_by_municipality": True}
    actions.save_mdt(med1, conference, values, conclude=True)
    client = login(med1)
    html = client.get("/lister/").content.decode()
    c_card = html[html.index(NAMES["C"]):]
    assert 'data-testid="mdt-concluded"' in c_card and "MDT afsluttet" in c_card
    assert "Kommunal opfølgning inden for en uge" in c_card and f"/lister/mdt/{conference.pk}/" in c_card
    assert 'data-testid="mdt-concluded"' not in html[html.index(NAMES["A"]):html.index(NAMES["C"])]
    assert "Afsluttet" in text(client.get("/lister/?view=table"))
    mdt = text(client.get(f"/lister/mdt/{conference.pk}/"))
    assert "Hvorfor patienten stod på listen 04-03-2026" in mdt
    assert "3 tællende kontakter inden for 182 dage på SLB" in mdt and "nej: telefon" in mdt
    page = text(client.get(c.get_absolute_url()))
    assert "På listen på grund af: 3 tællende kontakter inden for 182 dage på SLB" in page
    assert "nej: ude-/hjemmebesøg (AAF6)" in page
