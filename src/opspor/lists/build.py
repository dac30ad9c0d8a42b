"""Building one day's lists on a snapshot, and writing every output file of a build.

:func:`compute` runs the two rules (:mod:`opspor.rules`) for the as-of date on an engine
(:mod:`opspor.engines`); :func:`write_outputs` writes the CSV, XLSX and PDF files into a folder;
:func:`summary` is what ``run.json`` says about a build (counts only, never a CPR number).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path

from opspor.engines import Engine
from opspor.lists import export_csv, export_parquet, export_pdf, export_xlsx
from opspor.lists.model import Build, department_lists
from opspor.rules import (
    aps_eligibility,
    load_aps_eligibility,
    load_repeated_acute,
    repeated_acute_list,
)
from opspor.rules.model import EligibilityRule, RepeatedAcuteRule, RuleInfo


def rule_info(info: RuleInfo) -> dict:
    """A rule's identity for ``run.json``: versions and digests of the rule, its code lists and
    its concepts."""
    return {
        "version": info.version,
        "file": Path(info.file).name,
        "sha256": info.digest,
        "code_lists_version": info.code_lists_version,
        "code_lists_sha256": info.code_lists_digest,
        "concepts_version": info.concepts_version,
        "concepts_sha256": info.concepts_digest,
    }


def compute(
    engine: Engine,
    as_of: dt.date,
    repeated_rule: RepeatedAcuteRule | None = None,
    eligibility_rule: EligibilityRule | None = None,
) -> Build:
    """The department lists for run day ``as_of`` and the eligibility on as-of date ``as_of``,
    on ``engine``'s snapshot."""
    repeated_rule = repeated_rule or load_repeated_acute()
    eligibility_rule = eligibility_rule or load_aps_eligibility()
    cutoff = repeated_rule.cutoff(as_of)
    timings = {}
    started = time.perf_counter()
    lines = repeated_acute_list(engine, as_of, repeated_rule)
    timings["repeated_acute_seconds"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    eligibility = aps_eligibility(engine, as_of, eligibility_rule)
    timings["aps_eligibility_seconds"] = round(time.perf_counter() - started, 3)
    eligibility.sort(key=lambda r: (r.municipality_code or "", r.cpr or "", r.person_key))
    [latest] = engine.row('SELECT max("start") FROM contacts WHERE "start" < ?', [cutoff])
    return Build(
        as_of=as_of,
        cutoff=cutoff,
        previous_run_day=repeated_rule.previous_run_day(as_of),
        eligibility_reference_time=eligibility_rule.reference_time(as_of),
        snapshot_id=engine.snapshot_id,
        departments=department_lists(lines),
        eligibility=tuple(eligibility),
        rules={
            "repeated_acute": rule_info(repeated_rule.info),
            "aps_eligibility": rule_info(eligibility_rule.info),
        },
        route_ids=tuple(r.id for r in eligibility_rule.routes),
        exclusion_reasons=tuple(x.reason for x in eligibility_rule.exclusions),
        latest_contact_start=latest,
        timings=timings,
    )


def write_outputs(build: Build, folder: Path) -> list[str]:
    """Write every output file of ``build`` into ``folder``; returns their paths relative to it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / export_csv.LIST_DIR).mkdir(exist_ok=True)  # present even when no list has anyone
    files = [export_csv.write_department_csv(folder, dept) for dept in build.departments]
    files.append(export_csv.write_eligibility_csv(folder, build.eligibility))
    files.append(export_xlsx.write_xlsx(build, folder / export_xlsx.FILE_NAME))
    files.append(export_pdf.write_pdf(build, folder / export_pdf.FILE_NAME))
    files.extend(export_parquet.write_parquet(build, folder))
    return [str(p.relative_to(folder)) for p in files]


def stale_data_warning(build: Build, hours: int = 24) -> str | None:
    """A warning when no contact started in the ``hours`` before the cut-off: the snapshot is
    probably older than the run day, and the lists would miss recent patients."""
    latest = build.latest_contact_start
    if latest is None:
        return "the snapshot holds no contact that started before the cut-off"
    if latest < build.cutoff - dt.timedelta(hours=hours):
        return (
            f"the newest contact in the snapshot started {latest:%Y-%m-%d %H:%M}, more than "
            f"{hours} hours before the cut-off {build.cutoff:%Y-%m-%d %H:%M}: the data may be "
            "out of date — load the latest drop (`opspor ingest DIR`) and run the lists again"
        )
    return None


def summary(build: Build) -> dict:
    """Counts of a build, for ``run.json`` and the console (no CPR numbers, no names)."""
    departments = [
        {
            "hospital_unit": d.hospital_unit,
            "department": d.department,
            "file": f"{export_csv.LIST_DIR}/"
            + export_csv.list_file_name(d.hospital_unit, d.department),
            "patients": d.patients,
            "new_today": d.new_today,
            "lines": len(d.lines),
            "counted_lines": d.counted_lines,
        }
        for d in build.departments
    ]
    rows = build.eligibility
    listed_by_route: Counter[str] = Counter()
    eligible_by_route: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    eligible = 0
    for r in rows:  # one pass: the country has ~10^6 rows
        listed_by_route.update(r.routes)
        by_reason.update(r.exclusion_reasons)
        if not r.excluded:
            eligible += 1
            eligible_by_route.update(r.routes)
    return {
        "departments": departments,
        "lists": {
            "departments": len(departments),
            # a patient on two departments' lists is counted on each
            "patient_entries": sum(d["patients"] for d in departments),
            "patients": len({ln.person_key for d in build.departments for ln in d.lines}),
            "new_today": sum(d["new_today"] for d in departments),
            "lines": sum(d["lines"] for d in departments),
        },
        "eligibility": {
            "listed": len(rows),
            "eligible": eligible,
            "excluded": len(rows) - eligible,
            "by_route": {
                route: {"listed": listed_by_route[route], "eligible": eligible_by_route[route]}
                for route in build.route_ids
            },
            "by_exclusion_reason": {reason: by_reason[reason] for reason in build.exclusion_reasons},
        },
    }
