"""The secretariat's monitoring story in a real browser (chromium via Playwright) against a real
server: the indicator dashboard with a chart and its table, a monitoring task's status edited,
and the change seen in the annual calendar (årshjul).

Selectors use URLs, ids and names, not texts (the texts are Danish once translated). With
OPSPOR_SCREENSHOTS_DIR set, the pages are saved there as docs/screenshots/monitoring-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.clock import local_today
from tests.web import web_kit

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("monitoring-site") / "home"
    with web_kit.published_site(home, ("monitor", "publish"), ("monitor", "import-register")) as server:
        yield server


def shot(page, name: str) -> None:
    web_kit.shot(page, f"monitoring-{name}")


def test_secretariat_dashboard_chart_table_and_task_in_the_aarshjul(page, site):
    page.goto(f"{site.url}/konto/log-ind/")
    page.locator("input[name=username]").fill("sekretariat")
    page.locator("input[name=password]").fill(site.users["sekretariat"]["password"])
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    page.locator('header nav a[href="/overvaagning/"]').click()
    expect(page.locator("main table").first).to_be_visible()
    shot(page, "dashboard")
    page.locator('a[href="/overvaagning/indikator/preventable_admissions_elderly/v2/"]').click()
    chart = page.locator("figure.chart svg").first
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 100
    table = page.locator("details.table table").first
    expect(table).to_be_visible()
    expect(table).to_contain_text("333,3")  # the region's crude figure, in the table beside the chart
    shot(page, "indicator")

    page.locator('header nav a[href="/overvaagning/opgaver/"]').click()
    row = page.locator("tr#task-genoptraening-tidsfrister")
    expect(row).to_contain_text("MON")
    shot(page, "register")
    row.locator("a").click()
    page.locator("input[name=status][value=MON]").uncheck()
    page.locator("input[name=status][value=REV]").check()
    page.locator("select[name=anchor_month]").select_option("9")
    shot(page, "task-edit")
    page.locator("form button[type=submit].primary").click()
    expect(page.locator("tr#task-genoptraening-tidsfrister")).to_contain_text("REV")

    page.goto(f"{site.url}/overvaagning/opgaver/aarshjul/?year={local_today().year}")
    wheel = page.locator("tr#wheel-genoptraening-tidsfrister")
    expect(wheel).to_contain_text("(REV)")
    cells = wheel.locator("td.m")
    expect(cells.nth(8)).to_have_class("m measure")  # September
    expect(cells.nth(0)).to_have_class("m ")  # not January any more
    shot(page, "aarshjul")

    page.goto(f"{site.url}/overvaagning/udrulning/")
    expect(page.locator("main h1")).to_be_visible()
    # the plan's source in Danish, the region's share as a Danish percentage; no English
    # paragraph and no references into the source documents
    plan = page.get_by_text("Kilde: Danske Regioners redegørelse")
    expect(plan).to_contain_text(re.compile(r"regionens andel efter indbyggertal: \d+,\d %"))
    text = page.locator("main").inner_text()
    assert "seed" not in text and "patients expected" not in text and "×" not in text
    shot(page, "rollout")


def _log_in(page, site, username: str) -> None:
    page.goto(f"{site.url}/konto/log-ind/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(site.users[username]["password"])
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_secretariat_makes_and_downloads_the_committee_report(page, site):
    _log_in(page, site, "sekretariat")
    page.goto(f"{site.url}/overvaagning/rapporter/")
    form = page.locator("form#make-report")
    expect(form.locator("input[name=year]")).not_to_have_value("")
    form.locator("select[name=lang]").select_option("da")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    row = page.locator("table#reports tbody tr").first
    expect(row).to_contain_text("report.pdf")
    shot(page, "reports")
    download = web_kit.download_of(page, row.locator('a[href$="/report.pdf"]').click)
    assert download.suggested_filename.endswith("-report.pdf")
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
