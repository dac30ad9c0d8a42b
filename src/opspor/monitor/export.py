"""Indicator tables as files: CSV (one row per indicator, version, unit and period) and XLSX
(the same rows, plus a sheet with the definitions and one with how the table was made).

Nothing written here is about a person: the rows are aggregates. With ``outside_region`` the
small numbers are already blanked (:mod:`opspor.monitor.suppression`).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from opspor import csv_safe
from opspor.monitor.definitions import IndicatorSet
from opspor.monitor.indicators import COLUMNS, IndicatorTable

FORMATS = (".csv", ".xlsx")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(round(value, 6))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_csv(table: IndicatorTable, path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv_safe.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in table.rows:
            w.writerow([_cell(getattr(r, c)) for c in COLUMNS])
    return path


def about(table: IndicatorTable) -> list[tuple[str, str]]:
    cfg = table.config
    return [
        ("snapshot", table.snapshot_id or ""),
        ("indicators file", f"{cfg['file']} (version {cfg['version']}, sha256 {cfg['sha256']})"),
        *[("code lists", f"{c['file']} (version {c['version']}, sha256 {c['sha256']})")
          for c in cfg["code_lists"]],
        ("standard population", cfg["standard_population"]),
        ("data", f"{table.data_start:%Y-%m-%d %H:%M} - {table.data_end:%Y-%m-%d %H:%M}"),
        ("small numbers", f"suppressed below {table.threshold} (outside-region output)"
         if table.outside_region else "NOT suppressed: for use inside the region only"),
        ("computed in", f"{table.seconds:.1f} s"),
    ]


def write_xlsx(table: IndicatorTable, path: Path, config: IndicatorSet | None = None) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "indicators"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in table.rows:
        row = []
        for c in COLUMNS:
            v = getattr(r, c)
            row.append(round(v, 6) if isinstance(v, float) and not math.isnan(v) else v)
        ws.append(row)
    ws.freeze_panes = "A2"
    if config is not None:
        ds = wb.create_sheet("definitions")
        ds.append(["indicator_id", "version", "title_da", "title_en", "label_da", "label_en", "kind",
                   "unit_da", "unit_en", "periods", "source", "note"])
        for cell in ds[1]:
            cell.font = Font(bold=True)
        for ind in config.indicators:
            for v in ind.versions:
                ds.append([v.indicator_id, v.version, v.title_da, v.title_en, v.label_da, v.label_en,
                           v.kind, v.unit.da, v.unit.en, ", ".join(v.periods), v.source, v.note])
    ab = wb.create_sheet("about")
    for key, value in about(table):
        ab.append([key, value])
    wb.save(path)
    return path


def write(table: IndicatorTable, path: Path, config: IndicatorSet | None = None) -> Path:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(table, path)
    if suffix == ".xlsx":
        return write_xlsx(table, path, config)
    raise ValueError(f"{path.name}: the file must end in .csv or .xlsx")
