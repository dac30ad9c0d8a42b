"""No page scrolls sideways: the main pages of each role in a real browser at 390 px (a phone),
768 px (a tablet) and 1,280 px (a laptop). A wide table may scroll inside its own box, never
the page: ``document.scrollingElement.scrollWidth <= innerWidth`` on every page and width.
The nurse's pages on the move (day view, case page, Mine forløb) are also checked for what a
phone needs: the header no taller than a fifth of the screen, the main actions on screen.

With OPSPOR_SCREENSHOTS_DIR set, each page and width is saved as layout-<page>-<width>.png.
"""

from __future__ import annotations

import pytest

from tests.web import web_kit

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1280)
HEIGHTS = {390: 844, 768: 1024, 1280: 900}

# A case for the nurse, consented and started, with a goal and sessions (through the actions).
MAKE_CASE = """
import datetime as dt
from django.utils import timezone
from opspor.web.accounts.models import User
from opspor.web.aps import actions
from opspor.web.aps.models import EligibilityEntry
lead, nurse = User.objects.get(username="programleder"), User.objects.get(username="sygeplejerske")
actions.set_capacity(lead, nurse, 12)
entry = EligibilityEntry.objects.filter(excluded=False, region_code=lead.organisation.region_code).first()
case = actions.invite(lead, entry.person, nurse)
actions.record_consent(nurse, case)
now = timezone.localtime().replace(second=0, microsecond=0)
actions.hold_startup(nurse, case, now - dt.timedelta(hours=1), "Hjemmebesøg; mål aftalt med patienten og datteren")
actions.plan_session(nurse, case, "phone", now + dt.timedelta(hours=2))
actions.add_goal(nurse, case, "Gå en tur på 15 minutter hver dag, også når det regner og blæser")
actions.add_note(nurse, case, "Drikker 1,5 l om dagen; vejer sig dagligt; datteren kommer om tirsdagen")
print(case.pk)
"""

# role (demo user) -> (name, page); "first:<selector>" follows the first link matching on the page before
PAGES = {
    "speciallaege": [("list", "/lister/"), ("person", "first:article.patient a[href^='/personer/']"),
                     ("history", "/lister/tidligere/"), ("table", "/lister/?view=table")],
    "sygeplejerske": [("day", "/aps/min-dag/"), ("caseload", "/aps/forloeb/"), ("case", "case"),
                      ("another-day", "/aps/min-dag/?dato=2026-03-05"), ("week", "/aps/min-uge/")],
    "programleder": [("pool", "/aps/program/"), ("nurses", "/aps/sygeplejersker/"), ("refer", "/aps/program/henvist/"),
                     ("rollout", "/overvaagning/udrulning/"), ("dashboard", "/overvaagning/")],
    "sekretariat": [("dashboard", "/overvaagning/"), ("indicator", "first:a[href*='/indikator/']"),
                    ("register", "/overvaagning/opgaver/"), ("wheel", "/overvaagning/opgaver/aarshjul/"),
                    ("reports", "/overvaagning/rapporter/"), ("overview", "/overblik/")],
    "kommune": [("home", "/"), ("alerts", "/datavarsler/"), ("dashboard", "/overvaagning/")],
    "revisor": [("audit", "/revision/")],
    "koordinator": [("directory", "/tilbud/")],
    "akutsygeplejerske": [("acute-team", "/akut/")],
    "vagtlaege": [("referrals", "/akut/henvisninger/")],
    "monitorering": [("telemonitoring", "/telemonitorering/"), ("alarms", "/telemonitorering/vagt/")],
}
ON_THE_MOVE = ("/aps/min-dag/", "/aps/min-uge/", "/aps/forloeb/", "case")

OVERFLOW = """() => {
  const doc = document.scrollingElement, w = window.innerWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && r.width > 0) {
      let p = el.parentElement, inside = false;
      while (p) { const s = getComputedStyle(p); if (['auto', 'scroll', 'hidden'].includes(s.overflowX) && p !== document.body && p !== document.documentElement) { inside = true; break; } p = p.parentElement; }
      if (!inside || getComputedStyle(el).position === 'absolute') wide.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' ' + Math.round(r.right));
    }
  }
  return {scroll: doc.scrollWidth, inner: w, wide: wide.slice(0, 6)};
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The hand-made lists of 2026-03-04 published, the indicators, the task register, the
    example service directory, the demo users, and a started case for the nurse."""
    home = tmp_path_factory.mktemp("layout") / "home"
    steps = (("monitor", "publish"), ("monitor", "import-register"), ("web", "directory-load", "--example"))
    with web_kit.published_site(home, *steps) as server:
        out = server.run_opspor("manage", "shell", "-c", MAKE_CASE, check=True).stdout.strip().splitlines()
        server.case_url = f"/aps/forloeb/{out[-1]}/"
        yield server


def _url(page, site, target: str) -> str:
    if target == "case":
        return site.url + site.case_url
    if target.startswith("first:"):
        href = page.locator(target[len("first:"):]).first.get_attribute("href")
        assert href, f"no link {target} on {page.url}"
        return site.url + href
    return site.url + target


def _pages(page, site, user: str) -> list[tuple[str, str]]:
    """(name, url) of the user's pages, the links followed at the widest size."""
    web_kit.log_in(page, site, user)
    found = []
    for name, target in PAGES[user]:
        url = _url(page, site, target)
        page.goto(url)
        found.append((name, url))
    return found


@pytest.mark.parametrize("user", list(PAGES))
def test_no_page_scrolls_sideways(page, site, user):
    pages = _pages(page, site, user)
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        for name, url in pages:
            response = page.goto(url)
            assert response.ok, f"{url}: {response.status}"
            page.wait_for_load_state("networkidle")
            found = page.evaluate(OVERFLOW)
            if found["scroll"] > found["inner"]:
                problems.append(f"{name} ({url}) at {width}px: page {found['scroll']}px wide; "
                                f"sticking out: {found['wide']}")
            web_kit.shot(page, f"layout-{user}-{name}-{width}")
    assert not problems, "\n".join(problems)


def test_the_nurses_pages_on_a_phone(page, site):
    """At 390 px: a header of at most a fifth of the screen, the day's first bucket and the case's
    state visible without scrolling sideways, every button inside the screen."""
    web_kit.log_in(page, site, "sygeplejerske")
    page.set_viewport_size({"width": 390, "height": 844})
    for target in ON_THE_MOVE:
        page.goto(_url(page, site, target))
        page.wait_for_load_state("networkidle")
        header = page.locator("header").first.bounding_box()
        assert header["height"] <= 844 / 5, f"{target}: header {header['height']}px tall on a phone"
        outside = page.evaluate("""() => [...document.querySelectorAll('main button, main input, main select, main textarea, main a.button')]
            .filter(e => e.offsetParent !== null && !e.closest('details:not([open])'))
            .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
            .filter(([_, r]) => r.width > 0 && (r.left < -1 || r.right > window.innerWidth + 1))
            .map(([h, r]) => h + ' ' + Math.round(r.left) + '-' + Math.round(r.right))""")
        assert not outside, f"{target}: controls outside the screen: {outside}"
    page.goto(site.url + site.case_url)
    state = page.get_by_test_id("state").bounding_box()
    assert state["x"] >= 0 and state["x"] + state["width"] <= 390
