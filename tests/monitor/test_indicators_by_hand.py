"""Each indicator on the hand-made drop (monitor_kit), through `opspor ingest` and
`opspor monitor indicators`; every expected figure is worked out by hand in the comments."""

from __future__ import annotations

import pytest
from scipy.stats import chi2

from tests.monitor.monitor_kit import cell, num
from tests.support import read_csv

PREV = "preventable_admissions_elderly"


def poisson_ci(k: int, n: int, per: float) -> tuple[float, float]:
    low = 0.0 if k == 0 else chi2.ppf(0.025, 2 * k) / 2
    return low / n * per, chi2.ppf(0.975, 2 * k + 2) / 2 / n * per


def test_preventable_stays_4h_version_2(tables):
    rows = tables["municipality-year"]
    # 65+ at 2024-01-01 in Odense: P1 (73) and P4 (80 on that very day); P2 is 64, P3 died
    # 2023-12-31. Stays >= 4 h, acute, preventable action diagnosis, started in 2024:
    # P1a (DJ189, 5 h), P1b (DN390, 24 h), P4a (DS720, 48 h) -> 3. Not: P1c (3 h), P1d
    # (planned), P1e (DR069 not on the list), P2a (not in the population).
    r = cell(rows, PREV, "2", "461", "2024")
    assert (num(r, "numerator"), num(r, "denominator")) == (3, 2)
    assert num(r, "crude") == pytest.approx(3 / 2 * 1000)
    low, high = poisson_ci(3, 2, 1000)
    assert (num(r, "crude_low"), num(r, "crude_high")) == (pytest.approx(low), pytest.approx(high))
    # ESP 2013 weights of the bands with persons: 70-74 (P1, 2 stays) 5000, 80-84 (P4, 1) 2500
    assert num(r, "standardised") == pytest.approx((5000 * 2 + 2500 * 1) / 7500 * 1000)
    assert r["standard_population"] == "esp2013"
    assert r["unit_name"] == "Odense" and r["region_code"] == "1083"
    # Vejle: P5 (68), no contacts -> 0 of 1
    v = cell(rows, PREV, "2", "630", "2024")
    assert (num(v, "numerator"), num(v, "denominator"), num(v, "crude")) == (0, 1, 0)
    # the region: 3 stays, 3 persons; bands 65-69 (P5, 0) 5500, 70-74 (2) 5000, 80-84 (1) 2500
    reg = cell(tables["region-year"], PREV, "2", "1083", "2024")
    assert num(reg, "crude") == pytest.approx(1000.0)
    assert num(reg, "standardised") == pytest.approx((5500 * 0 + 5000 * 2 + 2500 * 1) / 13000 * 1000)


def test_preventable_admissions_version_1(tables):
    # the older, admission-based version: 12 hours or more -> P1b and P4a; P1a (5 h) drops out
    r = cell(tables["municipality-year"], PREV, "1", "461", "2024")
    assert (num(r, "numerator"), num(r, "denominator"), num(r, "crude")) == (2, 2, 1000.0)
    reg = cell(tables["region-year"], PREV, "1", "1083", "2024")
    assert num(reg, "crude") == pytest.approx(2 / 3 * 1000)
    assert num(reg, "standardised") == pytest.approx((5000 * 1 + 2500 * 1) / 13000 * 1000)


def test_preventable_per_month_population_at_each_month_start(tables):
    rows = tables["municipality-month"]
    # March: P1 and P4 at 2024-03-01; P1b on 03-01 -> 1 of 2
    assert num(cell(rows, PREV, "2", "461", "2024-03"), "crude") == pytest.approx(500.0)
    # June: at 06-01 P1, P4 (dies 06-30) and P2, 65 on that very day -> 0 of 3
    june = cell(rows, PREV, "2", "461", "2024-06")
    assert (num(june, "numerator"), num(june, "denominator")) == (0, 3)
    # July: P4 died 06-30 -> P1 and P2 -> 0 of 2
    july = cell(rows, PREV, "2", "461", "2024-07")
    assert (num(july, "numerator"), num(july, "denominator")) == (0, 2)
    # August: P2a on 08-01 -> 1 of 2
    aug = cell(rows, PREV, "2", "461", "2024-08")
    assert (num(aug, "numerator"), num(aug, "denominator")) == (1, 2)


def test_acute_admissions_type2_diabetes(tables):
    # T2D at 2024-01-01: P6 (DE119 in 2022). Not P7 (first DE119 in 2024), not P8 (DE109).
    # P6's acute contacts of 12 h or more in 2024: f (24 h), h (exactly 12 h); g (10 h) is not.
    r = cell(tables["municipality-year"], "acute_admissions_type2_diabetes", "1", "461", "2024")
    assert (num(r, "numerator"), num(r, "denominator"), num(r, "crude")) == (2, 1, 2000.0)
    # one band (50-54): the standardised rate is the crude one
    assert num(r, "standardised") == pytest.approx(2000.0)
    # the data begin 2018-12-31 23:59 (P9x), before the look-back's first day 2019-01-01
    assert r["lookback_complete"] == "true" and r["period_complete"] == "true"


def test_acute_admissions_copd_lookback_edges(tables):
    # look-back [2019-01-01 00:00, 2024-01-01): P10's DJ449 at 2019-01-01 00:00 is in;
    # P9's DJ441 at 2018-12-31 23:59 is out. P10: i (5 days) -> 1 of 1
    r = cell(tables["municipality-year"], "acute_admissions_copd", "1", "461", "2024")
    assert (num(r, "numerator"), num(r, "denominator"), num(r, "crude")) == (1, 1, 1000.0)


def test_a_year_without_the_whole_look_back_is_not_reported(loaded):
    # The data begin 2018-12-31 (P9x). 2023: P0 = 2023-01-01, look-back [2018-01-01, 2023-01-01)
    # (1826 days); 2018-01-01 .. 2018-12-31 = 364 days before the data: not reported. Had it
    # been, COPD 2023 would count P9 (DJ441 2018-12-31) and P10 (2019-01-01) and nobody whose
    # diagnosis lies in the missing 364 days: the bias of a first year. 2024: complete.
    path = loaded.base / "lookback.csv"
    result = loaded("monitor", "indicators", "--by", "municipality", "--from", "2023", "--to", "2024",
                    "--out", path)
    assert "not reported: periods whose condition look-back" in result.stdout
    rows = read_csv(path)
    for ind in ("acute_admissions_copd", "acute_admissions_type2_diabetes", "drg_value_copd_type2_diabetes"):
        r = cell(rows, ind, "1", "461", "2023")
        assert (r["lookback_complete"], r["lookback_missing_days"]) == ("false", "364"), ind
        assert r["numerator"] == r["denominator"] == r["crude"] == r["standardised"] == r["crude_low"] == "", ind
        full = cell(rows, ind, "1", "461", "2024")
        assert (full["lookback_complete"], full["lookback_missing_days"]) == ("true", "0"), ind
    assert (num(cell(rows, "acute_admissions_copd", "1", "461", "2024"), "numerator"),
            num(cell(rows, "acute_admissions_copd", "1", "461", "2024"), "denominator")) == (1, 1)
    # an indicator without a condition has no look-back: 2023 is reported (P3's DN390 stay in 2023,
    # preventable, the only one; P3 was 83 and alive at 2023-01-01)
    prev = cell(rows, PREV, "2", "461", "2023")
    assert prev["lookback_complete"] == "true" and num(prev, "numerator") == 1


def test_drg_value_per_citizen_with_copd_or_type2_diabetes(tables):
    # population: P6 (T2D) and P10 (COPD) -> 2. Somatic contacts in 2024: P6 f 30,000, g 2,500,
    # h empty (counts 0, reported in `extra`), P10 i 50,000; P6's psychiatric contact (1,000)
    # is not somatic. 82,500 DKK = 82.5 thousand DKK over 2 citizens, per 1,000 citizens:
    # 82.5 / 2 * 1000 = 41,250 (= DKK 41,250 per citizen).
    r = cell(tables["municipality-year"], "drg_value_copd_type2_diabetes", "1", "461", "2024")
    assert num(r, "numerator") == pytest.approx(82.5)
    assert num(r, "denominator") == 2
    assert num(r, "crude") == pytest.approx(41250.0)
    assert num(r, "count") == 2  # persons with a contact
    assert num(r, "extra") == 1  # contacts without a DRG value
    assert r["crude_low"] == "" and r["crude_high"] == ""  # no interval for a sum of money
    months = [r["period"] for r in tables["municipality-month"]
              if r["indicator_id"] == "drg_value_copd_type2_diabetes"]
    assert months == []  # defined per year only


def test_readmissions_within_30_days(tables):
    # index: admissions (>= 12 h, no pathway) that ended in 2024, persons in the 2024
    # population, not dead on the discharge day: P1b, P1e, P1d (planned), P2a, P4a, P6f, P6h,
    # P7a, P9j, P9k, P10i = 11 (P11a ended with death; P6g lasted 10 h; P12-14 4 h).
    # readmitted: P1b (P1e began 18 days later), P9j (P9k began exactly 30 days later) -> 2.
    r = cell(tables["municipality-year"], "readmissions_30d", "1", "461", "2024")
    assert (num(r, "numerator"), num(r, "denominator")) == (2, 11)
    assert num(r, "crude") == pytest.approx(2 / 11 * 100)
    # P9k's 30 days run past the data's last moment (2024-12-31 13:00)
    assert num(r, "extra") == 1
    # ESP 2013 over the bands of the index admissions: 40-44 (P7: 0/1) 7000, 50-54 (P6: 0/2)
    # 7000, 55-59 (P10: 0/1) 6500, 60-64 (P2, P9: 1/3) 6000, 70-74 (P1: 1/3) 5000,
    # 80-84 (P4: 0/1) 2500
    expected = (6000 / 3 + 5000 / 3) / (7000 + 7000 + 6500 + 6000 + 5000 + 2500) * 100
    assert num(r, "standardised") == pytest.approx(expected)


def test_repeated_acute_contacts(tables):
    # counting contacts (acute, physical, medical, ...) at least the 3rd within 182 days at one
    # unit, in 2024: P12 (2023-12-01, 2024-02-01, 2024-05-01). Not P13 (third at SLB), not P14
    # (its first lies exactly 182 days before its third: out, as for the daily lists).
    # Odense's population at 2024-01-01: 12 persons (all but P3, dead, and P5, Vejle).
    r = cell(tables["municipality-year"], "repeated_acute_contacts", "1", "461", "2024")
    assert (num(r, "numerator"), num(r, "denominator")) == (1, 12)
    assert num(r, "crude") == pytest.approx(1000 / 12)
    reg = cell(tables["region-year"], "repeated_acute_contacts", "1", "1083", "2024")
    assert (num(reg, "numerator"), num(reg, "denominator")) == (1, 13)


def test_outside_region_suppresses_small_numbers(loaded):
    path = loaded.base / "outside.csv"
    loaded("monitor", "indicators", "--by", "municipality", "--from", "2024", "--to", "2024",
           "--outside-region", "--out", path)
    rows = read_csv(path)
    # default threshold 5: every cell of this tiny drop has a count or denominator of 1-4
    assert rows and all(r["suppressed"] == "true" for r in rows)
    r = cell(rows, PREV, "2", "461", "2024")
    assert r["crude"] == r["numerator"] == r["standardised"] == ""
    assert r["suppression_reason"] == "count below 5"


def test_secondary_suppression(loaded):
    path = loaded.base / "threshold2.csv"
    loaded("monitor", "indicators", "--by", "municipality", "--from", "2024", "--to", "2024",
           "--outside-region", "--threshold", "2", "--out", path)
    rows = read_csv(path)
    # threshold 2: Vejle's denominator is 1 -> suppressed; Odense (3 of 2) would show, but
    # then region (3 of 3, published) minus Odense gives Vejle: Odense is suppressed too.
    assert cell(rows, PREV, "2", "630", "2024")["suppression_reason"] == "denominator below 2"
    assert cell(rows, PREV, "2", "461", "2024")["suppression_reason"] == "secondary"
    region_path = loaded.base / "threshold2-region.csv"
    loaded("monitor", "indicators", "--by", "region", "--from", "2024", "--to", "2024",
           "--outside-region", "--threshold", "2", "--out", region_path)
    reg = cell(read_csv(region_path), PREV, "2", "1083", "2024")
    assert reg["suppressed"] == "false" and num(reg, "crude") == pytest.approx(1000.0)


def test_xlsx_output(loaded):
    import openpyxl

    path = loaded.base / "ind.xlsx"
    loaded("monitor", "indicators", "--by", "region", "--from", "2024", "--to", "2024", "--out", path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["indicators", "definitions", "about"]
    header = [c.value for c in wb["indicators"][1]]
    assert header[:3] == ["indicator_id", "indicator_version", "title_da"]
    text = " ".join(str(c.value) for row in wb["indicators"].iter_rows() for c in row)
    from tests.monitor import monitor_kit

    monitor_kit.assert_no_person(text)
