"""The committee report: what it says, built from a snapshot (and optional rollout rows, trial
files and task register) into a :class:`~opspor.monitor.report_model.Report`.

    from opspor.monitor.report_build import build
    report = build(con, region="1083", year=2025, out_dir=Path("out"))   # charts into out/charts

Sections: status of the targets; each indicator (region over time with the municipalities,
municipalities in the report year, the yearly table with crude and age-standardised figures);
target paths; programme rollout (funnels, intake against plan) when rows are given; effect
(intention-to-treat with the published figures as reference lines; before-after with its
limits) when a trial is given; monitoring tasks when a register is given; methods.
Small numbers are suppressed (the report goes outside the region) unless ``suppress=False``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from opspor import reference as ref
from opspor.i18n import LANGUAGES, localized, number, pgettext_lazy, translate_all, translator
from opspor.i18n import gettext_lazy as _
from opspor.monitor import effect as eff
from opspor.monitor import report_charts as charts
from opspor.monitor import rollout as ro
from opspor.monitor import targets as tg
from opspor.monitor import tasks as tk
from opspor.monitor.definitions import IndicatorSet, load_indicators
from opspor.monitor.errors import MonitorError
from opspor.monitor.indicators import compute, from_synthetic_drop
from opspor.monitor.references import planned_intake, references
from opspor.monitor.report_model import Chart, Report, Section, TableBlock, Text
from opspor.rules import concepts as clinical

TEXTS = {
    "title": _("Health agreement follow-up"),
    "subtitle": _("{region} · report to the committee meeting · {year}"),
    "synthetic": _("SYNTHETIC DATA – no real citizens; the figures show the system, not the region"),
    "meta_snapshot": _("Data (snapshot)"),
    "meta_data": _("Data cover"),
    "meta_made": pgettext_lazy("committee report", "Made"),
    "meta_defs": _("Indicator definitions"),
    "meta_supp": _("Small numbers"),
    "supp_on": _("figures below {t} are suppressed; also a neighbour whose suppressed figure could otherwise "
                 "be derived"),
    "supp_off": _("NOT suppressed – for use inside the region only"),
    "s_status": _("Status of the targets"),
    "status_intro": _("The actual figure for {year} (or the latest year with data) against the target's path. "
                      "Status: on track if at most {tol:.0%} above the path."),
    "h_target": _("Target"),
    "h_year": _("Year"),
    "h_path": _("Path"),
    "h_actual": _("Actual"),
    "h_ci": _("95 % CI"),
    "h_status": _("Status"),
    "s_ind": _("Indicators"),
    "h_period": _("Year"),
    "h_num": _("Numerator"),
    "h_den": _("Denominator"),
    "h_crude": pgettext_lazy("committee report", "Crude"),
    "h_std": _("Age-standardised"),
    "h_muni": _("Municipality"),
    "over_time": _("{title}: the region and its municipalities over time"),
    "by_muni": _("{title}: municipalities {year}"),
    "monthly": _("{title}: the region month by month {year}"),
    "suppressed": _("suppressed (small numbers)"),
    "std_note": _("Directly age-standardised to {std} (the European Standard Population 2013)."),
    "lookback_note": _("Chronic disease is found from diagnoses in the {years:g} years before the period; the data "
                       "do not reach that far back for {periods}, so these periods are not reported (a population "
                       "found over a shorter look-back holds mostly the sickest)."),
    "incomplete": _("incomplete period"),
    "s_targets": _("Target paths"),
    "path": pgettext_lazy("committee report", "Target path"),
    "actual": _("Actual (95 % CI)"),
    "rule": _("Rule: same percentage development from the new baseline"),
    "old": _("Earlier definition and target"),
    "rebased": _("The target was rebased from version {old} ({ob:g} → {ot:g}). The rule (same percentage "
                 "development) gives {rule:.1f} in {year}; adopted: {adopted:g} ({method}). {reason}"),
    "after_target": _("After the target year the figure is compared with the target value."),
    "s_rollout": _("Programme rollout"),
    "no_rollout": _("No rollout data given: the funnels fill in when the web app's screening, enrolment and "
                    "session data are supplied (opspor monitor report --rollout DIR)."),
    "funnel_pkg": _("Package for repeated admissions: listed, screened, included"),
    "funnel_aps": _("Aktiv Patientstøtte: invited, consented, started, active, ended (on {date})"),
    "intake": _("Aktiv Patientstøtte: intake against plan"),
    "planned": pgettext_lazy("committee report", "Planned (cumulative)"),
    "started": pgettext_lazy("committee report", "Started (cumulative)"),
    "patients": _("patients"),
    "stages_pkg": [
        _("listed"),
        _("screened"),
        _("included"),
    ],
    "stages_aps": [
        _("invited"),
        _("consented"),
        _("started"),
        _("active"),
        _("ended"),
    ],
    "h_region": _("Region"),
    "h_nurse": _("Nurse"),
    "h_invited": _("Invited"),
    "h_consented": pgettext_lazy("committee report", "Consented"),
    "h_started": _("Started"),
    "h_active": _("Active (caseload)"),
    "h_ended": _("Ended"),
    "h_planned_s": _("Sessions planned"),
    "h_held": pgettext_lazy("committee report", "Held"),
    "h_held_share": _("Share held"),
    "s_effect": _("Effect"),
    "effect_intro": _("Intention to treat: everyone randomised is analysed in the arm they were randomised to. "
                      "Rate ratio < 1: fewer in the intervention arm."),
    "effect_chart": _("Rate ratio (intervention vs control) with 95 % CI"),
    "rr": _("rate ratio (log scale)"),
    "ref_note": _("Dashed lines are published figures for comparison – not this programme's results: {pilot}; "
                  "{trial}: {n:,} randomised ({ni:,}/{nc:,}), better quality of life, {adm}."),
    "h_outcome": _("Outcome"),
    "h_months": pgettext_lazy("committee report", "Months"),
    "h_est": _("Estimate"),
    "h_p": _("p"),
    "h_ni": _("n (I)"),
    "h_nc": _("n (C)"),
    "h_vi": _("Interv."),
    "h_vc": _("Control"),
    "h_model": _("Model"),
    "outcome_admissions": _("Acute admissions"),
    "outcome_bed_days": _("Bed-days"),
    "outcome_who5": _("Well-being (WHO-5), difference in points"),
    "rate_unit": _("rates per person-year; WHO-5: mean"),
    "who5_note": _("Well-being (WHO-5) at 6 months: {rel} % higher than in the control arm. For comparison "
                   "(another scale, not randomised): the pilot reported {pilot} % better quality of life."),
    "ba_title": _("Before-after comparison (no control group)"),
    "ba_text": _("In the control arm, which received nothing, acute admissions went from {before:.2f} to "
                 "{after:.2f} per person-year (rate ratio {rr:.2f}, 95 % CI {lo:.2f}-{hi:.2f}). A before-"
                 "after measurement of a programme without a control group contains exactly this change. "
                 "Limits:"),
    "no_trial": _("No trial data given (opspor monitor report --trial FILE)."),
    "s_tasks": _("Monitoring tasks"),
    "tasks_intro": _("The follow-up groups' tasks on {date}: overdue and due soon. One page per group: opspor "
                     "monitor tasks."),
    "h_group": _("Follow-up group"),
    "h_task": _("Task"),
    "h_due": _("Due"),
    "h_state": _("State"),
    "h_monitored": _("Monitored"),
    "h_candidates": _("Candidates"),
    "h_overdue": _("Overdue"),
    "h_due_soon": pgettext_lazy("committee report", "Due"),
    "s_methods": _("Methods"),
    "methods": [
        _("A period's population is fixed on its first day: municipality as in the data, alive, "
          "age in completed years; chronic disease by a diagnosis in the look-back window before "
          "the period."),
        _("Events are counted for the persons of the population. Stays >= {stay_hours} hours (LPR3) "
          "and the older, admission-based version (>= {admission_hours} hours) are shown side by "
          "side for preventable admissions."),
        # xgettext:no-python-format
        _("95 % confidence intervals: exact Poisson (crude rates), Wilson (proportions), Fay-Feuer"
          " (age-standardised rates)."),
        _("The DRG value, its target and its path are in DKK per citizen with COPD and/or type 2 "
          "diabetes. The health agreement states its target \"in DKK 1,000\" without a population "
          "base; it is read as per 1,000 such citizens, the base of the two admission targets it "
          "was estimated from, which is numerically DKK per citizen."),
    ],
}


def _method_values(cfg) -> dict[str, int | str]:
    """The numbers the methods state: the lengths of the preventable-admissions versions (the
    stay in force, and the admission of concepts.yaml), from the configuration."""
    hours = {"stay_hours": "?", "admission_hours": clinical.shipped().admission_hours}
    try:
        events = cfg.get("preventable_admissions_elderly").versions[0].events
    except KeyError:
        return hours
    if events is not None and events.min_hours is not None:
        hours["stay_hours"] = events.min_hours
    return hours


STATUS_MARK = {tg.ON_TRACK: "good", tg.OFF_TRACK: "bad", tg.NO_DATA: "muted", tg.NO_TARGET: "muted"}


def fmt(value: float | None, digits: int = 1, lang: str = "da") -> str:
    if value is None:
        return "–"
    return number(f"{value:,.{digits}f}", lang)


@dataclass
class Inputs:
    """The optional parts of a report."""

    screenings: list[ro.Screening] = field(default_factory=list)
    enrolments: list[ro.Enrolment] = field(default_factory=list)
    sessions: list[ro.Session] = field(default_factory=list)
    trial: Path | None = None  # trial.csv (participants)
    who5: Path | None = None  # trial_who5.csv
    trial_key: str = "cpr"
    register: object | None = None  # opspor.monitor.register.Register
    plan: ro.IntakePlan | None = None  # the region's own intake plan (else the published one)


def read_rollout_dir(folder: Path) -> tuple[list, list, list]:
    """screenings.csv, enrolments.csv, sessions.csv from a folder (each optional)."""
    if not folder.is_dir():
        raise MonitorError(f"{folder} is not a folder. Fix: name the folder holding screenings.csv, "
                           "enrolments.csv and/or sessions.csv")
    out = []
    for name, kind in (("screenings.csv", ro.Screening), ("enrolments.csv", ro.Enrolment), ("sessions.csv", ro.Session)):
        path = folder / name
        out.append(ro.read_rows(path, kind) if path.exists() else [])
    if not any(out):
        raise MonitorError(f"{folder} holds none of screenings.csv, enrolments.csv, sessions.csv")
    return out[0], out[1], out[2]


def build(con, region: str, year: int, out_dir: Path, lang: str = "da", inputs: Inputs | None = None,
          suppress: bool = True, config: IndicatorSet | None = None, targets: tg.TargetSet | None = None,
          as_of: dt.date | None = None, synthetic: bool | None = None) -> Report:
    if lang not in LANGUAGES:
        raise MonitorError(f"language {lang!r}: use da or en")
    regions = {r.code: r for r in ref.regions()}
    if region not in regions:
        raise MonitorError(f"unknown region {region!r}; use one of {', '.join(regions)}")
    tx = translate_all(TEXTS, lang)
    inputs = inputs or Inputs()
    cfg = config or load_indicators()
    target_set = targets or tg.load_targets(None, cfg)
    charts_dir = out_dir / "charts"
    charts_dir.mkdir(parents=True, exist_ok=True)
    region_name = localized(regions[region], "name", lang)
    as_of = as_of or dt.date(year, 12, 31)

    from opspor.monitor.indicator_sql import bounds_sql

    data_start, data_end, _latest = con.row(bounds_sql())
    if data_start is None or not data_start.year <= year <= data_end.year:
        covers = f"it covers {data_start:%Y-%m-%d} - {data_end:%Y-%m-%d}" if data_start else "it has no contacts"
        raise MonitorError(f"the snapshot has no data for {year} ({covers}). Fix: choose a year the data cover")
    table = compute(con, by=("municipality", "region"), period="year", region=region, outside_region=suppress,
                    config=cfg, last_year=year)
    monthly = compute(con, by="region", period="month", region=region, outside_region=suppress, config=cfg,
                      first_year=year, last_year=year)
    synthetic = from_synthetic_drop(con) if synthetic is None else synthetic

    sections = [
        _status_section(tx, lang, target_set, table, region, year),
        _indicator_section(tx, lang, cfg, table, monthly, region, region_name, year, charts_dir),
        _targets_section(tx, lang, target_set, table, region, charts_dir),
        _rollout_section(tx, lang, inputs, as_of, charts_dir),
        _effect_section(tx, lang, con, inputs, charts_dir),
    ]
    if inputs.register is not None:
        sections.append(_tasks_section(tx, lang, inputs.register, as_of))
    sections.append(Section(tx["s_methods"], [Text(t.format(**_method_values(cfg)), "small")
                                              for t in tx["methods"]]
                            + [Text(tx["std_note"].format(std=cfg.standard.key), "small")]))
    meta = [
        (tx["meta_snapshot"], table.snapshot_id or ""),
        (tx["meta_data"], f"{table.data_start:%Y-%m-%d} – {table.data_end:%Y-%m-%d}"),
        (tx["meta_defs"], f"indicators.yaml v{cfg.version} (sha256 {cfg.digest[:12]}…), targets.yaml v{target_set.version}"),
        (tx["meta_supp"], tx["supp_on"].format(t=table.threshold) if suppress else tx["supp_off"]),
        (tx["meta_made"], dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    return Report(tx["title"], tx["subtitle"].format(region=region_name, year=year), meta, sections, lang,
                  tx["synthetic"] if synthetic else "")


# --------------------------------------------------------------------------- sections


def _status_section(tx, lang, target_set, table, region, year) -> Section:
    statuses = tg.evaluate(target_set, table)
    rows, marks = [], {}
    for t in target_set.targets:
        if t.region != region:
            continue
        mine = [s for s in statuses if s.target_id == t.id and s.actual is not None and s.year <= year]
        s = max(mine, key=lambda s: s.year) if mine else next(
            (s for s in statuses if s.target_id == t.id and s.year == year), None)
        if s is None:
            continue
        label = tg.status_labels(lang)[s.status]
        ci = "" if s.actual_low is None else f"{fmt(s.actual_low, 1, lang)}–{fmt(s.actual_high, 1, lang)}"
        rows.append([localized(t, "title", lang), str(s.year), fmt(s.path_value, 1, lang),
                     fmt(s.actual, 1, lang), ci, label + (" *" if s.after_target_year else "")])
        marks[(len(rows) - 1, 5)] = STATUS_MARK[s.status]
    blocks = [Text(tx["status_intro"].format(year=year, tol=target_set.tolerance)),
              TableBlock([tx["h_target"], tx["h_year"], tx["h_path"], tx["h_actual"], tx["h_ci"], tx["h_status"]],
                         rows, marks, [46, 7, 9, 10, 14, 14])]
    if any(r[-1].endswith("*") for r in rows):
        blocks.append(Text("* " + tx["after_target"], "small"))
    return Section(tx["s_status"], blocks)


def _indicator_section(tx, lang, cfg, table, monthly, region, region_name, year, charts_dir) -> Section:
    _ = translator(lang)
    blocks: list = []
    for ind in cfg.indicators:
        for v in ind.versions:
            rows = table.select(v.indicator_id, v.version)
            reg_rows = sorted([r for r in rows if r.level == "region" and r.unit_code == region], key=lambda r: r.period)
            if not reg_rows:
                continue
            title = f"{localized(v, 'title', lang)} – {localized(v, 'label', lang)} (v{v.version})"
            unit = getattr(v.unit, lang)
            blocks.append(Text(title, "heading"))
            muni = {}
            for r in rows:
                if r.level == "municipality":
                    muni.setdefault(r.unit_name, []).append((r.period, r.crude))
            chart = charts.rates_over_time(
                charts_dir / f"{v.indicator_id}_v{v.version}_over_time.png", muni, region_name,
                [(r.period, r.crude, r.crude_low, r.crude_high) for r in reg_rows], unit,
                tx["over_time"].format(title=localized(ind, "title", lang)),
                incomplete=frozenset(r.period for r in rows if not r.period_complete))
            blocks.append(Chart(chart))
            body = []
            for r in reg_rows:
                note = "" if r.period_complete else f" ({tx['incomplete']})"
                body.append([r.period + note, fmt(r.numerator, 0 if v.kind != "value" else 1, lang),
                             fmt(r.denominator, 0, lang),
                             f"{fmt(r.crude, 1, lang)} ({fmt(r.crude_low, 1, lang)}–{fmt(r.crude_high, 1, lang)})"
                             if r.crude_low is not None else fmt(r.crude, 1, lang),
                             f"{fmt(r.standardised, 1, lang)} ({fmt(r.standardised_low, 1, lang)}–"
                             f"{fmt(r.standardised_high, 1, lang)})" if r.standardised_low is not None
                             else fmt(r.standardised, 1, lang)])
            blocks.append(TableBlock([tx["h_period"], tx["h_num"], tx["h_den"], f"{tx['h_crude']} (95 %-KI)",
                                      f"{tx['h_std']} (95 %-KI)"], body, {}, [18, 14, 14, 27, 27],
                                     caption=unit))
            short = [r.period for r in reg_rows if not r.lookback_complete]
            if short and v.population.condition_any:
                days = max(cfg.conditions[c].lookback_days for c in v.population.condition_any)
                blocks.append(Text(tx["lookback_note"].format(years=days / 365.25, periods=", ".join(short)), "small"))
            if v.note:
                blocks.append(Text(v.note, "small"))
            if v is ind.current:
                cur = [r for r in rows if r.level == "municipality" and r.period == str(year)]
                reg = next((r for r in reg_rows if r.period == str(year)), None)
                if cur:
                    bar = charts.municipality_bars(
                        charts_dir / f"{v.indicator_id}_v{v.version}_municipalities.png",
                        [(r.unit_name, r.crude, r.crude_low, r.crude_high) for r in cur],
                        reg.crude if reg else None, unit,
                        tx["by_muni"].format(title=localized(ind, "title", lang), year=year),
                        tx["suppressed"])
                    blocks.append(Chart(bar, width_cm=15))
                mrows = sorted([r for r in monthly.select(v.indicator_id, v.version) if r.unit_code == region],
                               key=lambda r: r.period)
                if mrows:
                    mchart = charts.rates_over_time(
                        charts_dir / f"{v.indicator_id}_v{v.version}_months.png", {}, region_name,
                        [(r.period[5:], r.crude, r.crude_low, r.crude_high) for r in mrows],
                        _("{unit} per month").format(unit=unit),
                        tx["monthly"].format(title=localized(ind, "title", lang), year=year),
                        incomplete=frozenset(r.period[5:] for r in mrows if not r.period_complete))
                    blocks.append(Chart(mchart))
    return Section(tx["s_ind"], blocks, new_page=True)


def _targets_section(tx, lang, target_set, table, region, charts_dir) -> Section:
    statuses = tg.evaluate(target_set, table)
    blocks: list = []
    for t in target_set.targets:
        if t.region != region:
            continue
        mine = [s for s in statuses if s.target_id == t.id]
        path_points = [(y, t.path.value(y)[0]) for y in t.path.years()]
        actual = [(s.year, s.actual, s.actual_low, s.actual_high) for s in mine if s.actual is not None]
        last = max([y for y, *_ in actual] + [t.path.target_year])
        path_points += [(y, t.path.target) for y in range(t.path.target_year + 1, last + 1)]
        rule = tg.rule_rebased(t)
        old = t.rebased_from.path if t.rebased_from else None
        chart = charts.target_path(
            charts_dir / f"target_{t.id}.png", path_points, actual, "",
            localized(t, "title", lang),
            {"path": tx["path"], "actual": tx["actual"], "rule": tx["rule"], "old": tx["old"]},
            [(y, rule.value(y)[0]) for y in rule.years()] if rule else None,
            [(y, old.value(y)[0]) for y in old.years()] if old else None)
        blocks.append(Chart(chart))
        if rule is not None:
            blocks.append(Text(tx["rebased"].format(
                old=t.rebased_from.indicator_version, ob=old.baseline, ot=old.target, rule=rule.target,
                year=rule.target_year, adopted=t.path.target, method=t.rebased_from.method,
                reason=t.rebased_from.reason), "small"))
        if t.note:
            blocks.append(Text(t.note, "small"))
        blocks.append(Text(f"{t.source}", "small"))
    return Section(tx["s_targets"], blocks, new_page=True)


def _rollout_section(tx, lang, inputs: Inputs, as_of, charts_dir) -> Section:
    blocks: list = []
    if not (inputs.screenings or inputs.enrolments or inputs.sessions):
        return Section(tx["s_rollout"], [Text(tx["no_rollout"], "note")], new_page=True)
    if inputs.screenings:
        stages = ro.package_funnel(inputs.screenings)
        blocks.append(Chart(charts.funnel(charts_dir / "funnel_package.png",
                                          list(zip(tx["stages_pkg"], [n for _, n in stages], strict=True)),
                                          tx["funnel_pkg"])))
    if inputs.enrolments:
        stages = ro.aps_funnel(inputs.enrolments, as_of)
        blocks.append(Chart(charts.funnel(charts_dir / "funnel_aps.png",
                                          list(zip(tx["stages_aps"], [n for _, n in stages], strict=True)),
                                          tx["funnel_aps"].format(date=as_of.isoformat()))))
        plan = inputs.plan or planned_intake()
        starts = [e.started_on for e in inputs.enrolments if e.started_on]
        if inputs.plan is None and starts and min(starts) > plan.end:
            # the programme's own period: the published plan's pace (14,194 in 4 years) moved to it
            first = dt.date(min(starts).year, 1, 1)
            plan = ro.IntakePlan(plan.total, first, dt.date(first.year + 3, 12, 31), (), plan.source)
        share = 1.0
        regions = {e.region for e in inputs.enrolments}
        if inputs.plan is None and len(regions) == 1:
            reg = next(iter(regions))
            pops = {m.code: m for m in ref.municipalities()}
            total = sum(m.population for m in pops.values())
            share = sum(m.population for m in pops.values() if m.region_code == reg) / total
        plan = plan.scaled(share) if share != 1.0 else plan
        rows = ro.intake_against_plan(inputs.enrolments, plan, as_of, dt.date(min(starts).year, 1, 1) if starts else None)
        if rows:
            blocks.append(Chart(charts.intake(charts_dir / "intake.png", [r.month for r in rows],
                                              [r.planned_cumulative for r in rows], [r.started_cumulative for r in rows],
                                              tx["intake"], {"planned": tx["planned"], "started": tx["started"],
                                                             "ylabel": tx["patients"]})))
            blocks.append(Text(plan.source, "small"))
        nurses = ro.enrolment_by_region_nurse(inputs.enrolments, as_of)
        blocks.append(TableBlock([tx["h_region"], tx["h_nurse"], tx["h_invited"], tx["h_consented"], tx["h_started"],
                                  tx["h_active"], tx["h_ended"]],
                                 [[n.region, n.nurse, str(n.invited), str(n.consented), str(n.started), str(n.active),
                                   str(n.ended)] for n in nurses], {}, [12, 22, 12, 12, 12, 16, 12]))
    if inputs.sessions:
        srows = ro.sessions_against_plan(inputs.sessions, as_of)
        blocks.append(TableBlock([tx["h_region"], tx["h_nurse"], tx["h_planned_s"], tx["h_held"], tx["h_held_share"]],
                                 [[s.region, s.nurse, str(s.planned), str(s.held),
                                   fmt(100 * s.held_share, 0, lang) + " %" if s.held_share is not None else "–"]
                                  for s in srows], {}, [14, 30, 20, 16, 20]))
    return Section(tx["s_rollout"], blocks, new_page=True)


def _effect_section(tx, lang, con, inputs: Inputs, charts_dir) -> Section:
    if inputs.trial is None:
        return Section(tx["s_effect"], [Text(tx["no_trial"], "note")])
    participants = eff.read_participants(inputs.trial)
    data = eff.outcomes(con, participants, inputs.trial_key)
    who5 = eff.read_who5(inputs.who5) if inputs.who5 else None
    estimates = eff.itt(data, who5, participants)
    refs = references()
    pilot, trial = refs["pilot"], refs["national_trial"]
    _ = translator(lang)
    names = {"admissions": tx["outcome_admissions"], "bed_days": tx["outcome_bed_days"], "who5": tx["outcome_who5"]}
    rr = [e for e in estimates if e.measure == "rate_ratio"]
    chart = charts.effects(
        charts_dir / "effect.png",
        [(_("{outcome}, {months} months").format(outcome=names[e.outcome], months=e.months), e.estimate, e.low, e.high)
         for e in rr],
        [(_("Pilot: admissions %(rr)s") % {"rr": fmt(pilot["admissions_rate_ratio"], 2, lang)},
          pilot["admissions_rate_ratio"], charts.ORANGE),
         (_("Pilot: bed-days %(rr)s") % {"rr": fmt(pilot["bed_days_rate_ratio"], 2, lang)},
          pilot["bed_days_rate_ratio"], charts.RED),
         (_("National trial: no overall effect on admissions (6 months)"), trial["admissions_6m_rate_ratio"],
          charts.GREEN)],
        tx["effect_chart"], tx["rr"])
    rows = []
    for e in estimates:
        digits = 2 if e.measure == "rate_ratio" else 1
        rows.append([names[e.outcome], str(e.months),
                     f"{fmt(e.estimate, digits, lang)} ({fmt(e.low, digits, lang)}–{fmt(e.high, digits, lang)})",
                     number("<0.001", lang) if (e.p_value or 1) < 0.001 else fmt(e.p_value, 3, lang), str(e.n_intervention), str(e.n_control),
                     fmt(e.value_intervention, 2, lang), fmt(e.value_control, 2, lang)])
    adm_text = localized(trial, "admissions_6m_text", lang)
    blocks: list = [
        Text(tx["effect_intro"]),
        Chart(chart),
        Text(tx["ref_note"].format(pilot=localized(pilot, "label", lang), trial=localized(trial, "label", lang), n=trial["randomised"],
                                   ni=trial["intervention"], nc=trial["control"], adm=adm_text), "note"),
        TableBlock([tx["h_outcome"], tx["h_months"], f"{tx['h_est']} (95 %-KI)", tx["h_p"], tx["h_ni"], tx["h_nc"],
                    tx["h_vi"], tx["h_vc"]], rows, {}, [26, 7, 22, 9, 8, 8, 10, 10], caption=tx["rate_unit"]),
        Text(f"{tx['h_model']}: " + "; ".join(sorted({e.model for e in estimates})), "small"),
    ]
    w6 = next((e for e in estimates if e.outcome == "who5" and e.months == 6), None)
    if w6 is not None and w6.relative is not None:
        blocks.insert(3, Text(tx["who5_note"].format(rel=fmt(100 * w6.relative, 0, lang),
                                                     pilot=fmt(100 * pilot["quality_of_life_relative"], 0, lang)), "small"))
    controls = [p for p in participants if p.arm == "control"]
    try:
        ba = eff.before_after(con, controls, inputs.trial_key)
    except Exception:  # noqa: BLE001 - the data may not reach a year back
        ba = None
    blocks.append(Text(tx["ba_title"], "heading"))
    if ba is not None:
        blocks.append(Text(tx["ba_text"].format(before=ba.value_control, after=ba.value_intervention, rr=ba.estimate,
                                                lo=ba.low, hi=ba.high)))
    blocks += [Text("• " + line, "small") for line in eff.before_after_limits(lang)]
    return Section(tx["s_effect"], blocks, new_page=True)


def _tasks_section(tx, lang, register, as_of) -> Section:
    tasks = list(register.tasks)
    items = tk.due_list(tasks, as_of)
    overview = []
    for g in tk.groups(tasks):
        s = tk.group_summary(tasks, g)
        mine = [i for i in items if i.task.group == g]
        overview.append([g, str(s.monitored.n), str(s.candidates.n), str(sum(i.state == tk.OVERDUE for i in mine)),
                         str(sum(i.state == tk.DUE for i in mine))])
    states = tk.state_labels(lang)
    due_rows, marks = [], {}
    for i in items:
        if i.state in (tk.OVERDUE, tk.DUE):
            due_rows.append([i.task.group, i.task.title, i.next_due.isoformat(), states[i.state]])
            if i.state == tk.OVERDUE:
                marks[(len(due_rows) - 1, 3)] = "bad"
    return Section(tx["s_tasks"], [
        Text(tx["tasks_intro"].format(date=as_of.isoformat())),
        TableBlock([tx["h_group"], tx["h_monitored"], tx["h_candidates"], tx["h_overdue"], tx["h_due_soon"]],
                   overview, {}, [48, 13, 13, 13, 13]),
        TableBlock([tx["h_group"], tx["h_task"], tx["h_due"], tx["h_state"]], due_rows, marks, [28, 46, 12, 14]),
    ], new_page=True)
