"""``opspor monitor report``: build the committee report and write report.html and report.pdf.

    from opspor.monitor.report import make_report
    result = make_report(region="1083", year=2025, out_dir=Path("out"))   # on the current snapshot

Also what the monthly scheduled job (:mod:`opspor.monitor.schedule`) calls.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

from opspor.monitor.errors import MonitorError
from opspor.monitor.report_build import Inputs, build
from opspor.monitor.report_html import write_html
from opspor.monitor.report_pdf import write_pdf


@dataclass(frozen=True)
class ReportResult:
    out_dir: Path
    html: Path
    pdf: Path
    snapshot_id: str | None
    seconds: float
    sections: tuple[str, ...]


def make_report(region: str, year: int, out_dir: Path, lang: str = "da", inputs: Inputs | None = None,
                snapshot: str | None = None, suppress: bool = True, as_of: dt.date | None = None,
                store=None) -> ReportResult:
    from opspor import engines

    t0 = time.perf_counter()
    if out_dir.exists() and not out_dir.is_dir():
        raise MonitorError(f"{out_dir} exists and is not a folder. Fix: name a new or existing folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    with engines.connect(store=store, snapshot=snapshot) as con:
        report = build(con, region, year, out_dir, lang, inputs, suppress, as_of=as_of)
        snapshot_id = next((v for k, v in report.meta if k.startswith(("Datagrundlag", "Data (snapshot)"))), None)
    html = write_html(report, out_dir / "report.html")
    pdf = write_pdf(report, out_dir / "report.pdf")
    seconds = time.perf_counter() - t0
    (out_dir / "report.json").write_text(json.dumps({
        "region": region, "year": year, "lang": lang, "snapshot_id": snapshot_id, "suppressed": suppress,
        "made": dt.datetime.now().isoformat(timespec="seconds"), "seconds": round(seconds, 1),
        "sections": [s.title for s in report.sections], "files": ["report.html", "report.pdf", "charts/"],
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ReportResult(out_dir, html, pdf, snapshot_id, seconds, tuple(s.title for s in report.sections))
