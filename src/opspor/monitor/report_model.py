"""The committee report as data: sections of text, tables and charts, rendered to HTML
(:mod:`opspor.monitor.report_html`) and PDF (:mod:`opspor.monitor.report_pdf`) alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Text:
    text: str
    style: str = "body"  # body | note | warning | small


@dataclass
class TableBlock:
    header: list[str]
    rows: list[list[str]]
    # per cell style marks: (row index in rows, column) -> "good" | "bad" | "muted"
    marks: dict[tuple[int, int], str] = field(default_factory=dict)
    widths: list[float] | None = None  # relative column widths
    caption: str = ""


@dataclass
class Chart:
    path: Path  # PNG
    caption: str = ""
    width_cm: float = 17.0


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)
    new_page: bool = False


@dataclass
class Report:
    title: str
    subtitle: str
    meta: list[tuple[str, str]]
    sections: list[Section]
    lang: str = "da"
    banner: str = ""  # e.g. SYNTHETIC DATA
