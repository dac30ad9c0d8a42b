"""The load report as text for people: the console output and ``report.txt`` are the same."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group as Stack, RenderableType
from rich.table import Table
from rich.text import Text

from opspor.ingest.report import PUBLISHED, REFUSED, UNCHANGED, Group, LoadReport

STYLE = {PUBLISHED: "bold green", UNCHANGED: "bold cyan", REFUSED: "bold red"}


def renderables(report: LoadReport) -> list[RenderableType]:
    out: list[RenderableType] = [
        Text.assemble(
            ("Load ", "bold"), (report.load_id, "bold"), f" of {report.drop}\n",
            f"mode {report.mode} · limit {report.max_reject_share:.2%} rejected rows per file",
            f" · content sha256 {report.content_sha256[:16]}…" if report.content_sha256 else "",
        )
    ]
    if report.files and report.decision != UNCHANGED:
        out.append(_files(report))
    if report.tables and report.decision != UNCHANGED:
        out.append(_tables(report))
    if report.problems:
        out.append(Text("\nThe drop is refused as a whole:", style="bold red"))
        for p in report.problems:
            out.append(Text.assemble(("  ✗ ", "red"), (p.place, "bold"), f": {p.message}\n    fix: {p.fix}"))
    if report.rejects:
        out.append(_groups("Rejected rows by reason (values in rejects.csv)", report.rejects, "red"))
    if report.warnings:
        out.append(_groups("Warnings (rows loaded; values in warnings.csv)", report.warnings, "yellow"))
    if report.notes:
        out.append(Text(""))
    for note in report.notes:
        out.append(Text(f"{note.level}: {note.text}", style="yellow" if note.level == "warning" else "dim"))
    out.append(Text(""))
    out.append(_decision(report))
    out.append(_paths(report))
    return out


def _files(report: LoadReport) -> Table:
    table = Table("file", "rows read", "loaded", "rejected", "share", "repeats left out", box=box.SIMPLE)
    for f in report.files:
        share_style = "red" if f.reject_share > report.max_reject_share else ""
        table.add_row(
            f.file, f"{f.rows_read:,}", f"{f.rows_loaded:,}", f"{f.rows_rejected:,}",
            Text(f"{f.reject_share:.2%}", style=share_style), f"{f.duplicates_dropped:,}",
        )
    return table


def _tables(report: LoadReport) -> Table:
    """Rows per table against the current snapshot (after: as published, or as it would have been)."""
    title = "rows in the store" + ("" if report.decision == PUBLISHED else " (had the drop been published)")
    table = Table("table", "current snapshot", "after the load", "change", box=box.SIMPLE,
                  title=title, title_justify="left")
    for t in report.tables:
        before = "—" if t.before is None else f"{t.before:,}"
        change = "" if t.before is None else f"{t.after - t.before:+,}" + (
            f" ({t.change:+.1%})" if t.change is not None else "")
        table.add_row(t.table, before, f"{t.after:,}", Text(change, style="red" if t.after < (t.before or 0) else ""))
    return table


def _groups(title: str, groups: list[Group], style: str) -> Stack:
    lines: list[RenderableType] = [Text(""), Text(title, style=f"bold {style}")]
    for g in groups:
        where = f"{g.file} · {g.column}" if g.column else g.file
        more = ", …" if g.count > len(g.places) else ""
        lines.append(Text.assemble(
            "  ", (where, "bold"), ": ", (g.message, style), f" — {g.count:,} row{'s' * (g.count != 1)}",
            (f" [{g.rule}]", "dim"),
            f"\n      at {', '.join(g.places)}{more}\n      fix: {g.fix}",
        ))
    return Stack(*lines)


def _decision(report: LoadReport) -> Text:
    decision = (report.decision or "?").upper()
    text = Text.assemble((decision, STYLE.get(report.decision, "bold red")), f": {report.reason}")
    if report.decision == PUBLISHED and report.previous_snapshot:
        text.append(f" (the previous snapshot {report.previous_snapshot} is kept)")
    elif report.decision == PUBLISHED and report.lost_snapshot:
        text.append(f" (in place of the lost snapshot {report.lost_snapshot})")
    elif report.decision not in (PUBLISHED, UNCHANGED):
        current, lost = report.previous_snapshot, report.lost_snapshot
        text.append(". Nothing was published; " + (
            f"snapshot {current} stays current, untouched." if current else
            f"CURRENT still names the lost snapshot {lost}; the other snapshots are untouched." if lost else
            "the store has no snapshot yet."
        ))
    return text


def _paths(report: LoadReport) -> Text:
    lines = [f"report: {report.paths['report_txt']}  (machine-readable: {report.paths['report_json']})"]
    if "rejects_csv" in report.paths:
        lines.append(f"rejected rows: {report.paths['rejects_csv']}  (holds CPR numbers: readable by you only)")
        lines.append(f"warnings: {report.paths['warnings_csv']}")
    return Text("\n".join(lines), style="dim")


def print_report(console: Console, report: LoadReport) -> None:
    for item in renderables(report):
        console.print(item, soft_wrap=isinstance(item, Text))  # long lines and paths stay whole


def report_text(report: LoadReport) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=110, no_color=True, highlight=False, emoji=False,
                      force_terminal=False, force_jupyter=False)
    print_report(console, report)
    return buffer.getvalue()
