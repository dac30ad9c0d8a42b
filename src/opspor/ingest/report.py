"""The load report: what was read, rejected, warned about and decided, as data.

``report.json`` is this data; ``report.txt`` is its rendering (``render.py``), the same text the
console shows. Neither ever holds a value from the drop, so no CPR number or name can leak into
them: the values are only in ``rejects.csv`` / ``warnings.csv`` (mode 0600, see ``findings.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

PUBLISHED, REFUSED, UNCHANGED, FAILED = "published", "refused", "unchanged", "failed"

@dataclass(frozen=True)
class Problem:
    """A reason to refuse the whole drop: where, what, and how to fix it."""

    place: str
    message: str
    fix: str


class DropRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.place}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Note:
    level: str  # "info" | "warning"
    text: str


@dataclass(frozen=True)
class Group:
    """Rejects or warnings of one rule on one column of one file."""

    file: str
    column: str
    rule: str
    message: str
    fix: str
    count: int
    places: list[str]  # the first few, e.g. "persons.csv:12" or "persons.parquet row 12"


@dataclass
class FileSummary:
    file: str
    format: str
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    duplicates_dropped: int = 0

    @property
    def reject_share(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0


@dataclass(frozen=True)
class TableChange:
    """Rows of a snapshot table: in the current snapshot (None: there is none) and after the load."""

    table: str
    before: int | None
    after: int

    @property
    def change(self) -> float | None:
        """The relative change, e.g. -0.25 for a quarter fewer rows (None without rows before)."""
        return (self.after - self.before) / self.before if self.before else None


@dataclass
class LoadReport:
    load_id: str
    drop: str
    mode: str
    max_reject_share: float
    started_at: str = field(default_factory=lambda: _now())
    finished_at: str | None = None
    content_sha256: str | None = None
    files: list[FileSummary] = field(default_factory=list)
    tables: list[TableChange] = field(default_factory=list)  # rows before and after, per table
    manifest: str | None = None  # "verified" when the drop's manifest.json matched its files
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    rejects: list[Group] = field(default_factory=list)
    warnings: list[Group] = field(default_factory=list)
    decision: str | None = None
    reason: str = ""
    snapshot_id: str | None = None  # the snapshot in force after the load
    previous_snapshot: str | None = None
    lost_snapshot: str | None = None  # CURRENT names this snapshot, whose file is gone
    paths: dict[str, str] = field(default_factory=dict)

    def decide(self, decision: str, reason: str, snapshot_id: str | None) -> None:
        self.decision, self.reason, self.snapshot_id = decision, reason, snapshot_id
        self.finished_at = _now()

    def to_json(self) -> str:
        data = asdict(self)
        for summary, out in zip(self.files, data["files"], strict=True):
            out["reject_share"] = summary.reject_share
        return json.dumps(data, indent=2, ensure_ascii=False)

    def write(self, folder: Path, text: str) -> None:
        """Write ``report.json`` and ``report.txt`` (the rendered ``text``) into ``folder``."""
        (folder / "report.json").write_text(self.to_json() + "\n", encoding="utf-8")
        (folder / "report.txt").write_text(text, encoding="utf-8")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
