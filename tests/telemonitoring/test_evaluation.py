"""The evaluation's figures on hand-made rows: the windows of sensitivity and burden at their
edges, rates per patient-month and per 1,000 patient-years, handling times, the share acted on,
the table in Danish formats; and the configuration's checks."""

from __future__ import annotations

import datetime as dt

import pytest

from opspor import config_reader
from opspor.telemonitoring import evaluation as ev

T0 = dt.datetime(2024, 1, 1)
END = dt.datetime(2024, 12, 31)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def alarm(key, at, colour="red", category="measurement", ack=None, steps=()):
    return ev.AlarmRow(key, category, colour, at, at, ack, frozenset(steps))


def test_sensitivity_and_burden_at_the_edges_of_their_windows():
    cfg = ev.shipped()
    assert (cfg.warning_days, cfg.followed_days) == (7, 7)
    a = ev.Patient("a", "copd", T0, END, 100, 2, 365, (day(30), day(100), day(200)))
    b = ev.Patient("b", "heart_failure", T0, END, 50, 0, 365, (day(60),))
    alarms = [
        alarm("a", day(23.01)),  # 6.99 days before the admission on day 30: warns it, and is followed
        alarm("a", day(92.99)),  # 7.01 days before day 100: neither
        alarm("a", day(200)),  # at the admission's start: not before it; followed by none
        alarm("a", day(150), colour="yellow"),  # yellow: neither sensitivity nor burden
        alarm("b", day(59)),  # b's own admission the next day
        alarm("a", day(59)),  # b's admission is not a's
        alarm("a", day(362)),  # closer than 7 days to the end: not judged
        alarm("b", day(10), category="missing", colour="yellow"),
    ]
    g = ev.group(cfg, [a, b], alarms, END)
    assert (g["sensitivity"]["k"], g["sensitivity"]["n"]) == (2, 4)
    assert (g["burden"]["k"], g["burden"]["n"]) == (3, 5)
    assert 0 < g["sensitivity"]["low"] < 0.5 < g["sensitivity"]["high"] < 1
    years = 2 * (END - T0).days / 365.25
    assert g["patient_years"] == pytest.approx(years)
    assert g["admissions_after"]["value"] == pytest.approx(4 / years * 1000)
    assert g["admissions_before"]["value"] == pytest.approx(2 / (730 / 365.25) * 1000)
    assert g["alarms"]["all"]["value"] == pytest.approx(8 / (years * 12))
    assert (g["alarms"]["red"]["count"], g["alarms"]["yellow"]["count"], g["alarms"]["missing"]["count"]) == (6, 1, 1)
    assert g["measurements_per_patient_week"] == pytest.approx(150 / (years * 365.25 / 7))


def test_measurements_planned_and_sent():
    assert ev.planned({"spo2": 1, "cat": 7}, T0, day(181.99)) == 182 + 26
    assert ev.planned({"spo2": 1}, T0, T0) == 0
    p = ev.Patient("a", "copd", T0, day(70), 65, 0, 365, (), ev.planned({"spo2": 1, "cat": 7}, T0, day(70)))
    g = ev.group(ev.shipped(), [p], [], END)
    assert (g["measurements"], g["planned"]) == (65, 80) and g["sent_of_planned"] == pytest.approx(65 / 80)
    assert ev.table({**ev.report(ev.shipped(), [p], [], END), "concept": {"label_da": "x", "label_en": "x"}},
                    "da")["rows"][3]["cells"][0] == "65 af 80: 81 %"


def test_handling_times_and_acted_on():
    cfg = ev.shipped()
    p = ev.Patient("a", "copd", T0, END, 0, 0, 365, ())
    alarms = [alarm("a", day(1), ack=day(1) + dt.timedelta(minutes=m), steps=s)
              for m, s in ((4, ("acknowledged",)), (10, ("acknowledged", "contact")), (30, ("acknowledged", "escalated")))]
    alarms.append(alarm("a", day(2), colour="yellow"))
    g = ev.group(cfg, [p], alarms, END)
    assert g["handling_minutes"]["all"] == {"n": 3, "median": 10, "p90": 30, "longest": 30}
    assert (g["acted_on"]["k"], g["acted_on"]["n"]) == (2, 4)
    assert (g["red_acted_on"]["k"], g["red_acted_on"]["n"]) == (2, 3)
    assert (g["acknowledged"]["k"], g["acknowledged"]["n"]) == (3, 4)


def test_the_table_in_danish():
    cfg = ev.shipped()
    patients = [ev.Patient(str(i), "copd", T0, END, 1200, 1, 365, (day(40),)) for i in range(1500)]
    report = ev.report(cfg, patients, [alarm("0", day(35))], END, {"all": None, "copd": None})
    report["concept"] = {"label_da": "akut indlæggelse (som begrebet siger)", "label_en": "acute admission"}
    t = ev.table(report, "da")
    assert t["header"] == ["Alle", "KOL"]
    rows = {r["key"]: r for r in t["rows"]}
    assert rows["patients"]["cells"] == ["1.500", "1.500"]
    assert rows["sensitivity"]["label"] == "Sensitivitet: indlæggelser med en rød alarm i de 7 dage før"
    assert rows["sensitivity"]["cells"][0].startswith("1 af 1.500: 0 % (0–0)")
    assert rows["before"]["label"] == "Akut indlæggelse (som begrebet siger) pr. 1.000 patientår, 365 dage før tilmelding"
    assert rows["ratio"]["cells"] == ["–", "–"]
    assert [d["covered"] for d in t["domains"]] == [True, True, True, True, False, True, False]
    assert t["domains"][2]["name"] == "Kliniske effekter"


def test_the_configuration_is_checked(tmp_path):
    bad = tmp_path / "evaluation.yaml"
    bad.write_text(ev.CONFIG_FILE.read_text(encoding="utf-8").replace("[contact, escalated]", "[called]"),
                   encoding="utf-8")
    with pytest.raises(config_reader.ConfigError) as error:
        ev.load(bad)
    assert "acted_on" in str(error.value) and "allowed values" in str(error.value)


def test_small_groups_are_hidden_in_files_that_leave_the_app():
    cfg = ev.shipped()
    below = cfg.export_suppression_below
    many = [ev.Patient(f"c{i}", "copd", T0, END, 100, 1, 365, ()) for i in range(40)]
    few = [ev.Patient(f"h{i}", "heart_failure", T0, END, 100, 1, 365, ()) for i in range(below - 1)]

    def exported(patients):
        report = ev.report(cfg, patients, [], END, {g: None for g in ("all", "copd", "heart_failure")})
        report["concept"] = {"label_da": "akut indlæggelse", "label_en": "acute admission"}
        return ev.for_export(report, "da", below), ev.table(report, "da")

    files, page = exported(many + few)
    rows = {r["key"]: r["cells"] for r in files["rows"]}
    # the small group, and the other condition with it (else: the total less the shown group)
    assert rows["patients"] == [str(40 + below - 1), f"færre end {below}", f"færre end {below}"]
    assert rows["patient_years"][1:] == ["–", "–"] and rows["patient_years"][0] != "–"
    assert files["hidden"] == 2
    assert {r["key"]: r["cells"] for r in page["rows"]}["patients"] == [str(40 + below - 1), "40", str(below - 1)]
    files, _ = exported(many)  # no small group: nothing hidden
    assert files["hidden"] == 0 and {r["key"]: r["cells"] for r in files["rows"]}["patients"] == ["40", "40"]
    files, _ = exported(few)  # the region itself is small: nothing shown
    assert files["hidden"] == 2 and all(c in ("–", f"færre end {below}") for r in files["rows"] for c in r["cells"])
