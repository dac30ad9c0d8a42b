"""The indicator dashboard: results published from the hand-made drop's real snapshot, read by
the pages; small numbers hidden for users outside the region; access by role."""

from __future__ import annotations

import pytest

from tests.web.exports_kit import csv_dicts, xlsx_rows
from tests.web.factories import *

pytestmark = pytest.mark.django_db

PREVENTABLE = "/overvaagning/indikator/preventable_admissions_elderly/v2/"


def test_publish_stores_what_compute_gives_once_per_snapshot_and_config(indicators, lists_home):
    from opspor.engines import connect
    from opspor.monitor.indicators import compute
    from opspor.web.monitoring.models import IndicatorValue, Publication, TargetValue
    from opspor.web.monitoring.publish import publish

    pub = Publication.objects.get()
    with connect() as con:
        table = compute(con, period="year")
    assert pub.snapshot_id == table.snapshot_id and pub.standard_population == "esp2013"
    stored = {(v.indicator_id, v.indicator_version, v.level, v.unit_code, v.period): v
              for v in IndicatorValue.objects.filter(period_kind="year")}
    assert len(stored) == len(table.rows)
    for r in table.rows:  # every figure as computed, not suppressed in the database
        v = stored[(r.indicator_id, r.indicator_version, r.level, r.unit_code, r.period)]
        assert (v.numerator, v.denominator, v.crude, v.standardised) == (r.numerator, r.denominator, r.crude,
                                                                         r.standardised)
    # the hand-made drop: 1 preventable stay among 3 persons aged 65+ in 2025 -> 333.3 per 1,000
    v = stored[("preventable_admissions_elderly", "2", "region", "1083", "2025")]
    assert (v.numerator, v.denominator, round(v.crude, 1)) == (1, 3, 333.3)
    assert v.suppressed and v.suppression_reason == "count below 5"  # for readers outside the region
    # months the data do not reach are not stored (the data end 2026-03-03)
    months = set(IndicatorValue.objects.filter(period_kind="month").values_list("period", flat=True))
    assert "2026-03" in months and "2026-04" not in months
    assert TargetValue.objects.filter(target_id="preventable_stays_elderly_2023", year=2023).get().path_value == 55.0
    again = publish()
    assert again.already and Publication.objects.count() == 1
    assert IndicatorValue.objects.count() == indicators.values


def test_secretariat_sees_crude_and_standardised_with_charts_and_target_path(indicators, users, as_user):
    client = as_user(users["secretariat"])
    page = client.get("/overvaagning/").content.decode()
    assert "Preventable" in page or "Forebyggelige" in page
    assert "Age-standardised (ESP2013)" in page
    html = client.get(PREVENTABLE).content.decode()
    assert html.count("<svg") >= 3  # crude, standardised, months (+ target path)
    assert "333.3 (8.4–1,857.2)" in html and "666.7" in html  # crude beside standardised, with intervals, grouped
    assert "standard population ESP2013" in html
    assert "the rule (same percentage development) gives 43.5 in 2023; the adopted target is 55.0" in html
    assert "hidden (small numbers)" not in html


def test_municipality_user_sees_own_unit_with_small_numbers_hidden(indicators, users, as_user):
    client = as_user(users["odense"])
    html = client.get(PREVENTABLE).content.decode()
    assert "hidden (small numbers)" in html and "333.3" not in html
    assert "Vejle" not in html  # another municipality
    assert "Target path" not in html  # the region's targets are for the region's staff
    rows = csv_dicts(client.get(PREVENTABLE + "year.csv"), "en")
    assert {r["Unit code"] for r in rows} == {"1083", "461"}
    assert all(r["Crude rate"] == "" and r["Numerator"] == "" for r in rows if r["Hidden (small numbers)"] == "yes")
    assert any(r["Hidden (small numbers)"] == "yes" for r in rows)
    assert {r["Level"] for r in rows} == {"Region", "Municipality"}


def test_exports_and_unknown_indicator(indicators, users, as_user):
    client = as_user(users["lead"])
    xlsx = client.get(PREVENTABLE + "month.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(PREVENTABLE + "month.pdf").status_code == 404
    assert client.get("/overvaagning/indikator/nonsense/v1/").status_code == 404
    assert client.get(PREVENTABLE + "week.csv").status_code == 404


def test_dashboard_before_any_publication(users, as_user):
    html = as_user(users["secretariat"]).get("/overvaagning/").content.decode()
    assert "No indicator results have been published yet" in html


@pytest.mark.parametrize("who", ["med1", "nurse", "auditor"])
def test_other_roles_are_refused(indicators, users, as_user, who):
    client = as_user(users[who])
    for url in ("/overvaagning/", PREVENTABLE, "/overvaagning/udrulning/", "/overvaagning/opgaver/",
                "/overvaagning/rapporter/"):
        assert client.get(url).status_code == 403, url


def test_menus(users, as_user):
    from opspor.web.core.context import MENUS

    assert ("monitoring:dashboard" in [n for n, _ in MENUS["secretariat"]])
    page = as_user(users["odense"]).get("/overvaagning/").content.decode()
    assert 'href="/overvaagning/"' in page and 'href="/overvaagning/opgaver/"' not in page


def test_indicator_export_in_danish_and_as_numbers(indicators, users, as_user, login):
    danish = csv_dicts(login(users["secretariat"]).get(PREVENTABLE + "year.csv"), "da")
    region = [r for r in danish if r["Niveau"] == "Region"]
    assert region and {r["Niveau"] for r in danish} == {"Region", "Kommune"}
    crude = [r["Rå rate"] for r in region if r["Rå rate"]]
    assert "333,3333333333333" in crude and "0,0" in crude  # the decimal comma, every digit kept
    assert {r["Hel periode"] for r in danish} <= {"ja", "nej"} and {r["Skjult (små tal)"] for r in danish} == {"nej"}
    assert {r["Standardpopulation"] for r in danish} == {"ESP2013"}
    english = csv_dicts(as_user(users["secretariat"]).get(PREVENTABLE + "year.csv"), "en")
    assert {r["Level"] for r in english} == {"Region", "Municipality"}
    assert any("." in r["Crude rate"] for r in english) and not any("," in r["Crude rate"] for r in english)
    sheet = xlsx_rows(login(users["secretariat"]).get(PREVENTABLE + "year.xlsx"))
    column = sheet[0].index("Rå rate")
    assert all(isinstance(r[column], (int, float)) for r in sheet[1:] if r[column] is not None)
    assert 333.3333333333333 in [r[column] for r in sheet[1:]]


def test_a_year_without_the_whole_look_back_shows_not_reported(indicators, users, login):
    """A chronic condition is known from diagnoses in the 1826 days before a year; the hand-made
    drop begins within that window for every year it covers, so no such year is reported: the page
    says how much data is missing instead of a biased figure (issue 19: COPD 1,382 per 1,000)."""
    import datetime as dt
    import html
    import re

    from opspor.web.monitoring.models import IndicatorValue, Publication

    pub = Publication.objects.get()
    condition = ("acute_admissions_copd", "acute_admissions_type2_diabetes", "drg_value_copd_type2_diabetes")
    rows = IndicatorValue.objects.filter(indicator_id__in=condition, period_kind="year", level="region")
    assert rows and all(not r.lookback_complete and r.crude is None and r.denominator is None for r in rows)
    indicator = rows[0].indicator_id
    rows = rows.filter(indicator_id=indicator)
    page = re.sub(r"\s+", " ", html.unescape(login(users["secretariat"]).get(
        f"/overvaagning/indikator/{indicator}/v1/").content.decode()))
    for r in rows:
        missing = (pub.data_start.date() - (dt.date(int(r.period), 1, 1) - dt.timedelta(days=1826))).days
        assert r.lookback_missing_days == missing
        years = round(missing / 365.25, 1)
        shown = str(int(years)) if years.is_integer() else str(years).replace(".", ",")
        assert f"<td>{r.period}" in page and f"ikke opgjort: mangler {shown} års data" in page
    dashboard = html.unescape(login(users["secretariat"]).get("/overvaagning/").content.decode())
    assert "ikke opgjort: mangler" in dashboard
    # an indicator without a condition is reported for the same years
    prev = IndicatorValue.objects.get(indicator_id="preventable_admissions_elderly", indicator_version="2",
                                      period_kind="year", level="region", period="2025")
    assert prev.lookback_complete and prev.crude is not None


def test_a_chosen_municipality_against_the_region_with_values_on_hover(indicators, users, login, as_user):
    """The chosen municipality is drawn in its own colour with its table; every point of a chart
    carries its value as an SVG <title>; an incomplete month is marked, not drawn as a fall."""
    import html
    import re

    from opspor.web.monitoring.models import IndicatorValue

    client = login(users["secretariat"])  # Danish
    page = html.unescape(client.get(PREVENTABLE, {"kommune": "461"}).content.decode())
    assert '<option value="461" selected>Odense</option>' in page
    crude = page.split("<svg")[1]
    titles = re.findall(r"<title>([^<]*)</title>", crude)
    odense = IndicatorValue.objects.get(indicator_id="preventable_admissions_elderly", indicator_version="2",
                                        period_kind="year", level="municipality", unit_code="461", period="2025")
    region = IndicatorValue.objects.get(indicator_id="preventable_admissions_elderly", indicator_version="2",
                                        period_kind="year", level="region", unit_code="1083", period="2025")
    value = f"{odense.crude:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
    # the drop begins in 2025 and ends 2026-03-03: both years are incomplete (a first year, the current one)
    assert not odense.period_complete and not region.period_complete
    assert f"Odense, 2025 (ufuldstændig): {value} pr. 1.000 ældre (65+)" in titles
    assert (f"Region Syddanmark, 2025 (ufuldstændig): {region.crude:.1f} pr. 1.000 ældre (65+)".replace(".", ",", 1)
            in titles)
    assert 'id="chosen-table"' in page and "<caption>Odense, pr. 1.000 ældre (65+)</caption>" in page
    # the data end 2026-03-03: March 2026 is incomplete, marked in the table and the chart, not a fall
    assert "marts 2026 (ufuldstændig)" in page
    months = page.split("<svg")[3]
    assert re.search(r"<title>Region Syddanmark, marts 2026 \(ufuldstændig\): [\d.,]+ pr\. 1\.000", months)
    assert "Ufuldstændig periode (åbent punkt)" in months
    # an unknown municipality is a bad request, not a silent default
    assert client.get(PREVENTABLE, {"kommune": "999"}).status_code == 400
    # a municipality user sees their own municipality chosen without choosing (its small numbers hidden)
    own = html.unescape(login(users["odense"]).get(PREVENTABLE).content.decode())
    assert "<caption>Odense, pr. 1.000 ældre (65+)</caption>" in own and "skjult (små tal)" in own


def test_the_drg_target_and_its_actual_figure_in_one_stated_unit(indicators, users, login):
    """Issue 19 item 7: the DRG target (seed 003 table 4, note 5: '2700' in DKK 1,000, read per
    1,000 citizens) and the actual figure stated in the same unit, DKK per citizen, in Danish."""
    from opspor.web.monitoring.models import TargetValue

    client = login(users["secretariat"])  # Danish by default
    page = client.get("/overvaagning/").content.decode()
    row = next(r for r in page.split("<tr") if "DRG-værdi højst 2.700 kr. pr. borger" in r)
    assert "kr. pr. borger (= 1.000 kr. pr. 1.000 borgere)" in row  # the unit column of the target row
    drg = TargetValue.objects.filter(target_id="drg_value_copd_type2_diabetes_2023", year=2023).get()
    assert drg.path_value == 2700.0
    html = client.get("/overvaagning/indikator/drg_value_copd_type2_diabetes/v1/").content.decode()
    assert "Målsti og faktisk tal i samme enhed: kr. pr. borger (= 1.000 kr. pr. 1.000 borgere)." in html
    assert "2.700,0" in html  # the path's target year in Danish format
