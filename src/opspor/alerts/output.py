"""The alert table as files: ``alerts-<months>.csv`` (one row per unit and month) and ``.json``
(the same rows with the configuration, snapshot and data period).

Both are written to temporary names and renamed into place, so a reader never sees a half-written
file. ``outside_region`` suppresses small numbers (:func:`suppressed_row`), for a copy meant for
outside the region; the default files are for the region's own secretariat.
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

from opspor import csv_safe
from opspor.alerts.compute import COLUMNS, AlertResult, AlertTable
from opspor.monitor.suppression import primary_reason

_HIDE = ("observed", "ratio", "ci_low", "ci_high", "p_value", "p_adjusted")


def suppressed_row(r: AlertResult, threshold: int) -> dict:
    """The result as a dict; an observed count or population between 1 and ``threshold - 1`` is
    written as ``<threshold`` and the figures that would give it back are blanked."""
    row = r.as_dict()
    reason = primary_reason(r.observed, r.population, threshold)
    if reason:
        for key in _HIDE:
            row[key] = None
        if 0 < r.observed < threshold:
            row["observed"] = f"<{threshold}"
        if 0 < r.population < threshold:
            row["population"] = f"<{threshold}"
        row["note"] = f"suppressed: {reason}"
    return row


def _rows(table: AlertTable, outside_region: bool) -> list[dict]:
    if outside_region:
        return [suppressed_row(r, table.suppression_threshold) for r in table.results]
    return [r.as_dict() for r in table.results]


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write(table: AlertTable, out: Path, *, outside_region: bool = False) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    label = table.label
    rows = _rows(table, outside_region)

    buf = io.StringIO()
    writer = csv_safe.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    csv_path = out / f"alerts-{label}.csv"
    json_path = out / f"alerts-{label}.json"
    cfg = table.config
    doc = {
        "config": {"file": Path(cfg.file).name, "version": cfg.version, "sha256": cfg.digest,
                   "indicator": f"{cfg.indicator_id}@{cfg.indicator_version}", "reference": cfg.reference,
                   "age_bands": list(cfg.age_bands), "alpha": cfg.alpha,
                   "multiple_testing": cfg.multiple_testing, "ci_level": cfg.ci_level,
                   "min_ratio": cfg.min_ratio, "min_expected": cfg.min_expected},
        "snapshot_id": table.snapshot_id,
        "months": table.months,
        "data": {"first_contact": table.data_start.isoformat(), "last_contact": table.data_end.isoformat()},
        "suppression": {"threshold": table.suppression_threshold, "applied": outside_region},
        "notes": table.notes,
        "results": [{k: _clean(v) for k, v in row.items()} for row in rows],
    }
    _replace(csv_path, buf.getvalue())
    _replace(json_path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return [csv_path, json_path]
