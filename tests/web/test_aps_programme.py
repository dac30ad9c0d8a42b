"""The programme lead's pool: ranking (risk scores when the risk module has them, else acute
admissions), pseudonymised rows, the audited "show CPR and name", filters, paging and exports."""

from __future__ import annotations

import io
import re
import sys
import types

import openpyxl
import pytest

from opspor.web.aps import views
from opspor.web.aps.models import Case
from opspor.web.audit.models import AuditEntry
from opspor.web.people.models import Person
from tests.web.exports_kit import csv_dicts, csv_rows, xlsx_rows
from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import make_case, make_entry

pytestmark = pytest.mark.django_db


def order_of(html: str, world, names=("p1", "p2", "p3", "p4", "p5", "p6")) -> list[str]:
    found = [(html.find(f"<code>{world.persons[n].short_key}</code>"), n) for n in names]
    return [n for pos, n in sorted(found) if pos >= 0]


def stored_scores(tmp_path, model_id: str, scores: dict[str, float], region: str = "1083"):
    """A real ``opspor.risk.scoring.ScoreSet`` over a scores file written here."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from opspor.risk.scoring import SCORES_FILE, ScoreSet

    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    pq.write_table(pa.table({
        "person_key": [k for k, _ in ranked], "region_code": [region] * len(ranked),
        "score": [v for _, v in ranked], "rank_in_region": list(range(1, len(ranked) + 1)),
        "explanation": ["" for _ in ranked]}), tmp_path / SCORES_FILE)
    return ScoreSet(tmp_path, {"score_id": "s1", "model_id": model_id, "snapshot_id": "snap", "as_of": "2026-03-04"})


@pytest.fixture
def risk_api(monkeypatch):
    """opspor.risk.api with latest_scores replaced by the test."""
    import opspor.risk

    module = types.ModuleType("opspor.risk.api")
    monkeypatch.setitem(sys.modules, "opspor.risk.api", module)
    monkeypatch.setattr(opspor.risk, "api", module, raising=False)
    return module


def test_without_risk_scores_the_pool_is_ranked_by_acute_admissions(world, as_user):
    client = as_user(world.users["pia"])
    html = client.get("/aps/program/").content.decode()
    assert "Ranked by the number of acute admissions" in html
    assert order_of(html, world) == ["p1", "p2", "p3", "p4"]  # p5 excluded; p6 only on the older run
    assert world.persons["p1"].name not in html and world.persons["p1"].cpr_display not in html  # pseudonymised
    assert "<td>70–79</td>" in html and "<td>Odense</td>" in html  # age band, municipality name
    reads = AuditEntry.objects.filter(what="aps.programme")
    assert sorted(reads.values_list("person_key", flat=True)) == sorted(world.persons[n].person_key for n in ("p1", "p2", "p3", "p4"))


def test_risk_scores_rank_the_pool_and_go_with_the_invitation(world, as_user, risk_api, tmp_path):
    keys = {n: world.persons[n].person_key for n in world.persons}
    scores = stored_scores(tmp_path, "gbm-2026-02", {keys["p4"]: 0.91, keys["p3"]: 0.40, keys["p1"]: 0.12})
    risk_api.latest_scores = lambda: scores
    client = as_user(world.users["pia"])
    html = client.get("/aps/program/").content.decode()
    assert "Ranked by the risk model's score (model gbm-2026-02)" in html
    assert order_of(html, world) == ["p4", "p3", "p1", "p2"]  # p2 has no score: last
    assert "91.0 %" in html
    client.post("/aps/program/inviter/", {"persons": [world.persons["p4"].public_id, world.persons["p2"].public_id],
                                          "nurse": world.users["ole"].pk})
    case = Case.objects.get(person=world.persons["p4"])
    assert (case.risk_score, case.risk_model_id) == (91.0, "gbm-2026-02")
    assert Case.objects.get(person=world.persons["p2"]).risk_score is None


def test_a_broken_risk_module_falls_back_to_acute_admissions(world, as_user, risk_api, tmp_path):
    def broken():
        raise RuntimeError("no model registered")

    risk_api.latest_scores = broken
    html = as_user(world.users["pia"]).get("/aps/program/").content.decode()
    assert "Ranked by the number of acute admissions" in html and order_of(html, world)[0] == "p1"
    scores = stored_scores(tmp_path, "m2", {world.persons["p2"].person_key: 0.55})
    risk_api.latest_scores = lambda: scores
    html = as_user(world.users["pia"]).get("/aps/program/").content.decode()
    assert order_of(html, world)[0] == "p2" and "55.0 %" in html


def test_show_cpr_and_name_needs_a_reason_and_is_audited(world, as_user):
    client = as_user(world.users["pia"])
    p3 = world.persons["p3"]
    response = client.post(f"/aps/program/vis/{p3.public_id}/", {"reason": ""})
    assert response.status_code == 400 and p3.cpr_display not in response.content.decode()
    assert not AuditEntry.objects.filter(what="aps.reveal").exists()
    response = client.post(f"/aps/program/vis/{p3.public_id}/", {"reason": "Forberedelse af invitation"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and f"{p3.cpr_display} · {p3.name}" in html and "<html" not in html
    entry = AuditEntry.objects.get(what="aps.reveal")
    assert (entry.action, entry.person_key, entry.why, entry.username) == (
        "read", p3.person_key, "Forberedelse af invitation", "pia")
    # without JavaScript: a small page with the identity and a way back
    html = client.post(f"/aps/program/vis/{p3.public_id}/", {"reason": "Tjek", "next": "/aps/program/?side=1"}).content.decode()
    assert p3.name in html and 'href="/aps/program/?side=1"' in html
    # another region's person is out of the lead's scope
    assert client.post(f"/aps/program/vis/{world.persons['q1'].public_id}/", {"reason": "x"}).status_code == 404


def test_the_pools_reveal_forms_are_the_reveal_template_for_each_person(world, as_user):
    """The pool renders the reveal form once for a stand-in and puts each person's id and key in
    (``aps_tags.reveal_form``): each row's form is the one ``aps/_reveal.html`` gives that person,
    and a revealed person's row shows the identity."""
    from django.template.loader import render_to_string

    client = as_user(world.users["pia"])
    client.post(f"/aps/program/vis/{world.persons['p3'].public_id}/", {"reason": "Tjek"})
    response = client.get("/aps/program/?side=1")
    html = response.content.decode()

    def cell(person) -> str:
        found = re.search(rf'id="row-{person.short_key}">.*?<td class="reveal">(.*?)</td>\s*</tr>', html, re.S)
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "CSRF", found.group(1))

    for name in ("p1", "p2", "p4"):
        person = world.persons[name]
        alone = render_to_string("aps/_reveal.html", {"person": person, "revealed": False, "form": None},
                                 response.wsgi_request)
        assert cell(person) == re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "CSRF", alone)
        assert f'action="/aps/program/vis/{person.public_id}/"' in cell(person)
    p3 = world.persons["p3"]
    assert cell(p3).startswith(f'<span class="identity" data-testid="identity">{p3.cpr_display} · {p3.name}</span>')


def test_filters_paging_and_counts(world, as_user, monkeypatch):
    make_case(world.persons["p1"], world.users["nina"], world.users["pia"], "active")
    make_case(world.persons["p2"], world.users["nina"], world.users["pia"], "refused")
    client = as_user(world.users["pia"])
    html = client.get("/aps/program/?municipality=630").content.decode()
    assert order_of(html, world) == ["p3"]
    assert order_of(client.get("/aps/program/?status=new").content.decode(), world) == ["p3", "p4"]
    assert order_of(client.get("/aps/program/?status=open").content.decode(), world) == ["p1"]
    assert order_of(client.get("/aps/program/?status=closed").content.decode(), world) == ["p2"]
    html = client.get("/aps/program/").content.decode()
    assert 'data-testid="count-active">1<' in html and 'data-testid="count-refused">1<' in html
    assert f'name="persons" value="{world.persons["p1"].public_id}"' not in html  # open case: no checkbox
    assert f'name="persons" value="{world.persons["p2"].public_id}"' in html  # refused: may be invited again
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    html = client.get("/aps/program/?side=2").content.decode()
    assert order_of(html, world) == ["p3", "p4"] and "Page 2 of 2" in html
    html = client.get("/aps/program/?status=new&side=1").content.decode()
    assert "status=new&amp;side=2" not in html  # one page only


def rank_of(html: str, person) -> int:
    return int(re.search(rf'id="row-{person.short_key}">.*?<td class="num">(\d+)</td>', html, re.S).group(1))


def test_the_order_is_made_once_per_run_and_what_can_change_is_read_fresh(world, as_user):
    """The pool's order is kept per run and score set (``aps.queries.pool``); a person who has
    moved out of the region since, an entry added to the run and a new case show at once."""
    client = as_user(world.users["pia"])
    html = client.get("/aps/program/").content.decode()
    assert order_of(html, world) == ["p1", "p2", "p3", "p4"] and rank_of(html, world.persons["p2"]) == 2
    Person.objects.filter(pk=world.persons["p1"].pk).update(region_code="1085")  # a later snapshot moved p1
    html = client.get("/aps/program/").content.decode()
    assert order_of(html, world) == ["p2", "p3", "p4"] and rank_of(html, world.persons["p2"]) == 1
    assert "Eligible<strong>4</strong>" in html  # the region's entries, as before the move
    assert order_of(client.get("/aps/program/?municipality=461").content.decode(), world) == ["p2", "p4"]
    make_entry(world.run, world.persons["p6"], acute=9)
    html = client.get("/aps/program/").content.decode()
    assert order_of(html, world) == ["p6", "p2", "p3", "p4"] and "Eligible<strong>5</strong>" in html
    make_case(world.persons["p6"], world.users["nina"], world.users["pia"], "active")
    html = client.get("/aps/program/?status=open").content.decode()
    assert order_of(html, world) == ["p6"] and rank_of(html, world.persons["p6"]) == 1


def test_exports_are_audited_and_the_pool_stays_pseudonymised(world, as_user):
    client = as_user(world.users["pia"])
    response = client.get("/aps/program/eksport.csv")
    assert response["Content-Disposition"].startswith('attachment; filename="aps-pulje_1083_')
    rows = csv_rows(response, "en")
    assert rows[0][:3] == ["Rank", "Person (pseudonym)", "Age band"]
    assert [r[1] for r in rows[1:]] == [world.persons[n].short_key for n in ("p1", "p2", "p3", "p4")]
    assert all(world.persons[n].cpr not in response.content.decode("utf-8-sig") for n in world.persons)
    exports = AuditEntry.objects.filter(what="aps.programme.csv", action="export")
    assert exports.count() == 4
    response = client.get("/aps/program/eksport.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(2, 2).value == world.persons["p1"].short_key
    assert AuditEntry.objects.filter(what="aps.programme.xlsx", action="export").count() == 4
    assert client.get("/aps/program/eksport.pdf").status_code == 404

    # the nurse's caseload export has the identity (her own patients), also audited
    make_case(world.persons["p1"], world.users["nina"], world.users["pia"], "active")
    make_case(world.persons["p2"], world.users["nina"], world.users["pia"], "invited")
    nurse = as_user(world.users["nina"])
    text = nurse.get("/aps/forloeb/eksport.csv?state=active").content.decode("utf-8-sig")
    assert world.persons["p1"].cpr_display in text and world.persons["p2"].cpr_display not in text
    entry = AuditEntry.objects.get(what="aps.caseload.csv")
    assert entry.action == "export" and entry.person_key == world.persons["p1"].person_key
    sheet = openpyxl.load_workbook(io.BytesIO(nurse.get("/aps/forloeb/eksport.xlsx").content)).active
    assert sheet.max_row == 3


def test_no_run_and_no_nurses_give_clear_empty_states(db, as_user):
    from opspor.web.aps.models import EligibilityEntry
    from tests.web.factories import build_world

    world = build_world()
    EligibilityEntry.objects.all().delete()
    html = as_user(world.users["pia"]).get("/aps/program/").content.decode()
    assert "No list run with eligible persons has been published yet" in html
    world.users["lone"].organisation.users.filter(role="nurse").update(is_active=False)
    html = as_user(world.users["lone"]).get("/aps/sygeplejersker/").content.decode()
    assert "Your region has no support nurses yet" in html


def test_pool_export_opens_in_a_danish_or_english_spreadsheet(world, login, as_user, risk_api, tmp_path):
    """Danish: ";", decimal comma, Danish headers, sex and routes in words; English: ",", ".";
    both UTF-8 with a BOM; the XLSX carries numbers as numbers."""
    keys = {n: world.persons[n].person_key for n in world.persons}
    scores = stored_scores(tmp_path, "gbm-2026-02", {keys["p4"]: 0.915, keys["p3"]: 0.40, keys["p1"]: 0.12})
    risk_api.latest_scores = lambda: scores
    danish = csv_dicts(login(world.users["pia"]).get("/aps/program/eksport.csv"), "da")
    assert list(danish[0])[:6] == ["Placering", "Person (pseudonym)", "Aldersgruppe", "Køn", "Kommune", "Indgange"]
    by_key = {r["Person (pseudonym)"]: r for r in danish}
    p1, p3, p4 = (by_key[world.persons[n].short_key] for n in ("p1", "p3", "p4"))
    assert (p1["Køn"], p4["Køn"]) == ("Kvinde", "Mand")
    assert p4["Risikoscore (%)"] == "91,5" and p1["Risikoscore (%)"] == "12,0"
    # the routes as the programme page labels them, with the numbers of aps_eligibility.yaml
    assert p3["Indgange"] == "65+ med forebyggelig indlæggelse eller genindlæggelse"
    assert p1["Indgange"] == "kronisk sygdom (diagnose); 3+ akutte indlæggelser på 6 måneder"
    assert p1["Aldersgruppe"] == "70–79"
    text = "\n".join(";".join(r.values()) for r in danish)
    for code in ("elderly_preventable_or_readmission", "repeated_admissions", "diagnosis", "True", "False"):
        assert code not in text
    english = csv_dicts(as_user(world.users["pia"]).get("/aps/program/eksport.csv"), "en")
    e4 = next(r for r in english if r["Person (pseudonym)"] == world.persons["p4"].short_key)
    assert (e4["Sex"], e4["Risk score (%)"], e4["Routes"]) == ("Man", "91.5", "chronic disease diagnosis")
    sheet = xlsx_rows(login(world.users["pia"]).get("/aps/program/eksport.xlsx"))
    assert sheet[0][0] == "Placering" and sheet[1][0] == 1 and isinstance(sheet[1][7], float)
    assert sheet[1][7] == 91.5 and isinstance(sheet[1][6], int)
