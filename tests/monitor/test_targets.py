"""Targets: paths, rebasing (checked against the seed's own worked numbers), status, errors."""

from __future__ import annotations

import datetime as dt

import pytest

from opspor.monitor import targets as tg
from opspor.monitor.definitions import ConfigError
from opspor.monitor.indicators import IndicatorRow, IndicatorTable


def shipped() -> tg.TargetSet:
    return tg.load_targets()


def test_seed_figures_and_path():
    t = shipped().get("preventable_stays_elderly_2023")
    assert (t.path.baseline_year, t.path.baseline, t.path.target_year, t.path.target) == (2018, 60.1, 2023, 55.0)
    assert [t.path.value(y)[0] for y in range(2018, 2024)] == [60.1, 59.0, 58.0, 57.0, 56.0, 55.0]
    assert t.path.value(2017) == (None, False)
    assert t.path.value(2025) == (55.0, True)  # after the target year: the target value
    drg = shipped().get("drg_value_copd_type2_diabetes_2023")
    assert [drg.path.value(y)[0] for y in range(2018, 2024)] == [2834, 2807, 2781, 2754, 2727, 2700]
    assert drg.replaces == ("acute_admissions_type2_diabetes_2023", "acute_admissions_copd_2023")


def test_missing_path_years_are_interpolated():
    p = tg.Path_(2018, 100.0, 2023, 50.0, ((2020, 90.0),))
    assert p.value(2019)[0] == pytest.approx(95.0)
    assert p.value(2022)[0] == pytest.approx(90 - 40 * 2 / 3)


def test_rebasing_rule_same_percentage_development():
    t = shipped().get("preventable_stays_elderly_2023")
    rule = tg.rule_rebased(t)
    # 60.1 * 35 / 48.4 = 43.46; the seed adopted 55 instead (manual, 003:3436-3450)
    assert rule.target == pytest.approx(60.1 * 35 / 48.4)
    assert rule.value(2019)[0] == pytest.approx(60.1 * 45 / 48.4)
    assert t.path.target == 55.0 and t.rebased_from.method == "manual"


def test_rebasing_absolute_reproduces_the_seeds_employment_targets():
    # seed 003:3490-3497: old 79.6 -> 82 (2.4 points), new baseline 76.9 -> 79.3
    old = tg.Path_(2018, 79.6, 2023, 82.0, ((2019, 80.1), (2020, 80.6), (2021, 81.0), (2022, 81.5)))
    new = tg.rebase(old, 76.9, "absolute")
    assert new.target == pytest.approx(79.3)
    # the seed's new path: 77.4, 77.9, 78.3, 78.8
    assert [round(new.value(y)[0], 1) for y in range(2019, 2023)] == [77.4, 77.9, 78.3, 78.8]
    # 003:3530-3536: 48.9 -> 51 and 59.4 -> 61.5
    assert tg.rebase(tg.Path_(2018, 48.9, 2023, 51.0, ()), 59.4, "absolute").target == pytest.approx(61.5)
    with pytest.raises(ValueError):
        tg.rebase(old, 1.0, "sideways")


def _row(year: int, crude: float | None, suppressed: bool = False) -> IndicatorRow:
    return IndicatorRow(
        "preventable_admissions_elderly", "2", "", "", "", "", "rate", "", "", 1000, "region", "1083", "", "1083",
        str(year), dt.date(year, 1, 1), dt.date(year + 1, 1, 1), None, None, None, crude, None, None, None,
        None, None, "esp2013", 0, True, True, suppressed=suppressed, suppression_reason="")


def test_status_with_tolerance():
    table = IndicatorTable([_row(2019, 59.0), _row(2020, 59.1), _row(2021, 58.2), _row(2022, None, True)],
                           None, {}, dt.datetime(2019, 1, 1), dt.datetime(2022, 12, 31), True, 5)
    only = tg.TargetSet("f", "1", "", 0.02, (shipped().get("preventable_stays_elderly_2023"),))
    st = {s.year: s for s in tg.evaluate(only, table)}
    assert st[2019].status == tg.ON_TRACK  # 59.0 <= 59.0 * 1.02
    assert st[2020].status == tg.ON_TRACK  # 59.1 <= 58.0 * 1.02 = 59.16
    assert st[2021].status == tg.OFF_TRACK  # 58.2 > 57.0 * 1.02 = 58.14
    assert st[2022].status == tg.NO_DATA and st[2022].suppressed  # suppressed: no figure to judge
    assert st[2018].status == tg.NO_DATA and st[2018].path_value == 60.1
    assert st[2021].difference == pytest.approx(1.2)


def test_status_boundaries():
    t = shipped().get("preventable_stays_elderly_2023")
    assert tg.status_of(t, 59.16, 58.0, 0.02) == tg.ON_TRACK
    assert tg.status_of(t, 59.17, 58.0, 0.02) == tg.OFF_TRACK
    assert tg.status_of(t, None, 58.0, 0.02) == tg.NO_DATA
    assert tg.status_of(t, 50.0, None, 0.02) == tg.NO_TARGET


def test_bad_targets_file_names_file_key_and_fix(tmp_path):
    bad = tmp_path / "targets.yaml"
    bad.write_text("version: 1\ntargets:\n  - id: x\n    indicator: preventable_admissions_elderly\n"
                   "    indicator_version: 7\n    region: '1083'\n    direction: lower\n    title_da: a\n"
                   "    title_en: a\n    baseline: {year: 2018, value: 1}\n    target: {year: 2023, value: 1}\n"
                   "    source: s\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        tg.load_targets(bad)
    msg = str(e.value)
    assert str(bad) in msg and "targets[0].indicator_version" in msg and "Fix:" in msg
    bad.write_text(bad.read_text().replace("indicator_version: 7", "indicator_version: 2").replace(
        "direction: lower", "direction: lowr"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"targets\[0\]\.direction.*did you mean `lower`"):
        tg.load_targets(bad)
