"""The monitoring-task register: due dates, the annual calendar, the seed's counts, the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from opspor.monitor import tasks as T
from opspor.monitor.definitions import ConfigError
from opspor.monitor.register import load_register

D = dt.date


def task(**kw) -> T.MonitoringTask:
    base = {"id": "t", "group": "G", "title": "Opgave", "frequency": "yearly", "data_source": "existing_database",
            "anchor_month": 3}
    return T.MonitoringTask.from_mapping(base | kw)


def test_yearly_due_dates_and_states():
    never = task()
    assert T.next_due(never, D(2025, 6, 1)) == D(2025, 3, 31)  # owed since March: overdue
    assert T.due_state(never, D(2025, 6, 1)).state == T.OVERDUE
    late = task(last_done="2025-04-10")  # late for 2025-03-31, meets it
    assert T.next_due(late, D(2025, 6, 1)) == D(2026, 3, 31)
    item = T.due_state(late, D(2026, 3, 10))
    assert (item.state, item.days) == (T.DUE, 21)  # within 30 days
    assert T.due_state(late, D(2025, 12, 1)).state == T.UPCOMING
    early = task(last_done="2025-02-20")  # before the 2025 due date: meets it
    assert T.next_due(early, D(2025, 6, 1)) == D(2026, 3, 31)
    started = task(start="2025-05-01")  # new in the register: nothing owed before its start
    assert T.next_due(started, D(2025, 6, 1)) == D(2026, 3, 31)


def test_other_frequencies():
    half = task(frequency="half_yearly", anchor_month=1, last_done="2025-01-23")
    assert T.due_dates(half, 2025) == [D(2025, 1, 31), D(2025, 7, 31)]
    assert T.next_due(half, D(2025, 11, 30)) == D(2025, 7, 31)
    four = task(frequency="every_4_years", anchor_month=11, first_year=2021, last_done="2021-11-24")
    assert T.next_due(four, D(2025, 1, 1)) == D(2025, 11, 30)
    assert T.due_dates(four, 2024) == []
    once = task(frequency="once", anchor_month=None, due_date="2025-06-30")
    assert T.next_due(once, D(2025, 1, 1)) == D(2025, 6, 30)
    assert T.due_state(task(frequency="once", anchor_month=None, due_date="2025-06-30", last_done="2025-06-01"),
                       D(2025, 7, 1)).state == T.DONE
    assert T.due_state(task(frequency="ongoing", anchor_month=None), D(2025, 7, 1)).state == T.ONGOING
    assert T.due_state(task(frequency="uafklaret", anchor_month=None, data_source="Uafklaret"),
                       D(2025, 7, 1)).state == T.UNRESOLVED  # Danish labels are accepted
    with pytest.raises(ValueError, match="anchor_month"):
        task(anchor_month=None)


def test_aarshjul():
    tasks = [task(id="a", frequency="half_yearly", anchor_month=2), task(id="b", frequency="ongoing", anchor_month=None),
             task(id="c", monitoring="candidate", frequency="unresolved", data_source="unresolved", anchor_month=None)]
    wheel = T.aarshjul(tasks, 2025, {"G": [D(2025, 10, 6), D(2024, 12, 8)]})
    rows = {r.task_id: r.cells for r in wheel.rows}
    assert rows["a"][1] == rows["a"][7] == T.MEASURE and rows["a"].count(T.MEASURE) == 2
    assert rows["b"] == (T.RUNNING,) * 12
    assert rows["c"] == ("",) * 12
    assert wheel.meetings == {"G": (D(2025, 10, 6),)}


def test_example_register_has_the_seeds_counts():
    reg = load_register()
    s = T.group_summary(list(reg.tasks), "Følgegruppe for behandling og pleje")
    # seed 003:71-90: 8 monitored - yearly 3, half-yearly 2, once 3; existing 3, manual 4, unresolved 1
    assert s.monitored.n == 8
    assert dict(s.monitored.by_frequency) == {T.Frequency.HALF_YEARLY: 2, T.Frequency.YEARLY: 3, T.Frequency.ONCE: 3}
    assert dict(s.monitored.by_data_source) == {T.DataSource.EXISTING_DATABASE: 3,
                                                T.DataSource.MANUAL_COLLECTION: 4, T.DataSource.UNRESOLVED: 1}
    assert s.candidates.n == 4  # 003:98-112
    prevention = T.group_summary(list(reg.tasks), "Følgegruppe for forebyggelse")
    assert (prevention.monitored.n, prevention.candidates.n) == (4, 6)
    assert dict(prevention.candidates.by_frequency) == {T.Frequency.ONGOING: 1, T.Frequency.UNRESOLVED: 5}


def test_suggested_weight_follows_the_seed():
    assert T.suggested_weight(task(indicators=2)) == T.Weight.LIGHT
    assert T.suggested_weight(task(indicators=5)) == T.Weight.RESOURCE_HEAVY
    assert T.suggested_weight(task(frequency="half_yearly", indicators=1)) == T.Weight.RESOURCE_HEAVY
    assert T.suggested_weight(task(data_source="manual_collection", indicators=1)) == T.Weight.RESOURCE_HEAVY
    assert T.suggested_weight(task(frequency="unresolved", anchor_month=None, indicators=1)) is None


def test_bad_register(tmp_path):
    bad = tmp_path / "register.yaml"
    bad.write_text("version: 1\nyear: 2025\ntasks:\n  - {id: a, group: G, title: T, frequency: weekly, "
                   "data_source: existing_database}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_register(bad)
    assert str(bad) in str(e.value) and "tasks[0].frequency" in str(e.value) and "half_yearly" in str(e.value)
    bad.write_text("version: 1\nyear: 2025\ntasks:\n  - {id: a, group: G, title: T, frequency: yearly, "
                   "data_source: existing_database}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="anchor_month"):
        load_register(bad)


def test_cli_tasks_writes_one_page_per_group(tmp_path):
    from tests.monitor.monitor_kit import Opspor
    from tests.support import pdf_pages, pdf_text

    run = Opspor(tmp_path / "home")
    out = tmp_path / "tasks"
    r = run("monitor", "tasks", "--as-of", "2025-11-30", "--out", out)
    assert "Overskredet" in r.stdout
    pdfs = sorted(out.glob("group-*.pdf"))
    assert len(pdfs) == 4 and all(pdf_pages(p.read_bytes()) == 1 for p in pdfs)
    danish = pdf_text(pdfs[0].read_bytes()).splitlines()
    for line in ("Årshjul 2025", "maj", "Hvorfor?", "Måle effekt", "Med følgende frekvens:", "Light",
                 "Ressourcetung"):
        assert line in danish, line
    assert any(line.endswith(" Halvårligt: 2") for line in danish)  # after a bullet
    english_run = run("monitor", "tasks", "--as-of", "2025-11-30", "--out", tmp_path / "tasks-en", "--lang", "en")
    assert "Overdue" in english_run.stdout and "Overskredet" not in english_run.stdout
    english = pdf_text(min((tmp_path / "tasks-en").glob("group-*.pdf")).read_bytes()).splitlines()
    for line in ("Annual calendar 2025", "May", "Why?", "Measure effect", "By frequency:", "Light",
                 "Resource-heavy"):
        assert line in english, line
    assert any(line.endswith(" Half-yearly: 2") for line in english)
    assert not {"maj", "Hvorfor?", "Ressourcetung"} & set(english)
    header = (out / "aarshjul.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "group,task_id,title,01,02,03,04,05,06,07,08,09,10,11,12"
    bad = run("monitor", "tasks", "--as-of", "30-11-2025", expect=2)
    assert "is not a date" in bad.stdout + bad.stderr and "Traceback" not in bad.stdout + bad.stderr
