"""In a real browser (Debian's chromium via Playwright) against a real server process: the
programme lead sees no CPR number and no name without a logged reason, whatever URL is tried —
the person page by any id form, excluded persons, the pool and its links, the exports, the case
page — and a reveal holds for that person, that day, that session only."""

from __future__ import annotations

import io
import json
import re
import uuid

import openpyxl
import pytest
from playwright.sync_api import expect

from opspor import cpr as cprlib
from tests.web import web_kit
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser

ELIGIBLE, EXCLUDED = ("A", "D"), ("B", "C", "E")  # region 1083's persons of the hand-made lists
PERSONS_SCRIPT = ("import json; from opspor.web.people.models import Person; "
                  "print(json.dumps({p.person_key: [p.pk, str(p.public_id)] for p in Person.objects.all()}))")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("identity") / "home"
    with web_kit.published_site(home) as server:
        out = server.run_opspor("manage", "shell", "-c", PERSONS_SCRIPT, check=True).stdout
        rows = json.loads(out.strip().splitlines()[-1])
        key = server.env["OPSPOR_PSEUDONYM_KEY"].encode()
        server.persons = {}
        for letter in NAMES:
            person_key = cprlib.pseudonym(CPR[letter], key)
            pk, public_id = rows.get(person_key, (None, None))  # not every person is in the web app
            server.persons[letter] = {"key": person_key, "pk": pk, "public_id": public_id}
        yield server


log_in = web_kit.log_in


def identities_in(text: str) -> list[str]:
    """The persons whose name or CPR number (either form) is in ``text``."""
    return [letter for letter in NAMES
            if NAMES[letter] in text or CPR[letter] in text or f"{CPR[letter][:6]}-{CPR[letter][6:]}" in text]


def shown(page) -> str:
    """The page's own content (without the header and footer, which echo the path typed)."""
    return page.locator("main").inner_text()


def test_the_lead_sees_no_identity_without_a_reason_whatever_url_is_tried(page, site):
    persons = site.persons
    log_in(page, site, "programleder")
    assert page.url.endswith("/aps/program/")
    # the pool: pseudonyms only; no link, form or checkbox carries a person's primary key
    assert identities_in(page.content()) == []
    targets = page.eval_on_selector_all(
        "a[href], form[action], [hx-post], input[name=persons]",
        "els => els.map(e => e.getAttribute('href') || e.getAttribute('action') || e.getAttribute('hx-post')"
        " || e.value)")
    assert targets and not [t for t in targets if re.search(r"/personer/\d+/|/vis/\d+/", t)]
    values = page.eval_on_selector_all("input[name=persons]", "els => els.map(e => e.value)")
    assert sorted(values) == sorted(persons[letter]["public_id"] for letter in ELIGIBLE)

    # a person that does not exist, and every other form of id for every person: the same 404
    nobody = str(uuid.uuid4())
    missing = page.goto(f"{site.url}/personer/{nobody}/")
    assert missing.status == 404
    not_found = shown(page)
    for letter in NAMES:
        p, cpr = persons[letter], CPR[letter]
        for other in (p["pk"] or 1, cpr, f"{cpr[:6]}-{cpr[6:]}", p["key"], p["key"][:8]):
            response = page.goto(f"{site.url}/personer/{other}/")
            assert response.status == 404 and shown(page) == not_found, (letter, other)
            assert NAMES[letter] not in page.content(), (letter, other)
    excluded = [letter for letter in EXCLUDED if persons[letter]["public_id"]]
    assert excluded  # at least one excluded person is in the web app (eligibility table)
    for letter in excluded:  # excluded persons by their real public id: as if they did not exist
        response = page.goto(f"{site.url}/personer/{persons[letter]['public_id']}/")
        assert response.status == 404, letter
        assert shown(page) == not_found and identities_in(page.content()) == [], letter

    # an eligible person's page: the pseudonym, the legal basis, no identity
    d_url = f"{site.url}/personer/{persons['D']['public_id']}/"
    assert page.goto(d_url).status == 200
    expect(page.get_by_test_id("pseudonym")).to_have_text(persons["D"]["key"][:8])
    expect(page.get_by_test_id("legal-basis")).to_contain_text("begrundet opslag")
    assert identities_in(page.content()) == []

    # the exports of the pool
    csv = page.request.get(f"{site.url}/aps/program/eksport.csv")
    assert csv.status == 200 and identities_in(csv.text()) == []
    sheet = openpyxl.load_workbook(io.BytesIO(page.request.get(f"{site.url}/aps/program/eksport.xlsx").body())).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert persons["A"]["key"][:8] in cells and identities_in(cells) == []

    # invite A, open the case: no identity there either ("Åbn forløb" used to show it)
    page.goto(f"{site.url}/aps/program/")
    key_a = persons["A"]["key"][:8]
    page.get_by_label(f"Vælg person {key_a}").check()
    page.get_by_label("Tildel de valgte personers invitationer til").select_option(index=1)
    page.get_by_role("button", name="Tildel invitationer").click()
    row = page.locator("table.pool tbody tr").filter(has=page.locator("code", has_text=key_a))
    expect(row).to_contain_text("Inviteret")
    row.get_by_role("link", name=re.compile("^Åbn forløb")).click()
    page.wait_for_url(re.compile(r"/aps/forloeb/\d+/$"))
    case_url = page.url
    expect(page.get_by_test_id("pseudonym")).to_have_text(key_a)
    assert identities_in(page.content()) == []

    # the reveal, with a reason, on the case page: now A is shown, for today in this session
    page.get_by_text("Vis CPR-nr. og navn").click()
    page.get_by_label("Årsag (logges)").fill("Forbereder invitationsbrevet")
    page.get_by_role("button", name="Vis", exact=True).click()
    expect(page.get_by_test_id("identity")).to_contain_text(NAMES["A"])
    page.goto(case_url)
    assert identities_in(page.content()) == ["A"]
    page.goto(f"{site.url}/personer/{persons['A']['public_id']}/")
    assert identities_in(page.content()) == ["A"]
    page.goto(d_url)
    assert identities_in(page.content()) == []  # only the person looked up
    # a new log-in starts without reveals
    page.get_by_role("button", name="Log ud").click()
    log_in(page, site, "programleder")
    page.goto(case_url)
    assert identities_in(page.content()) == []
    page.get_by_role("button", name="Log ud").click()
