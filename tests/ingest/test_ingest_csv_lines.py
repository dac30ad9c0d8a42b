"""Line numbers in CSV files: right on large files read in parallel, with quoted line breaks,
blank lines and lines DuckDB cannot split; unreadable lines are reported, not fatal."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor.contract import CONTACTS
from opspor.ingest.lines import LineScanner, csv_module_line_map
from tests.ingest.ingest_kit import contact, last_load_dir, person
from tests.support import read_csv, write_drop

COLUMNS = [c.name for c in CONTACTS.columns]


def _line(row: dict) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([row[c] for c in COLUMNS])
    return out.getvalue()


def test_line_numbers_are_exact_in_a_large_file(cli, tmp_path):
    """>200,000 lines, read by DuckDB in parallel; a quoted line break, a blank line and an
    unsplittable line before the errors shift every later line."""
    template = _line(contact(0)).replace("K0,", "K{},", 1)
    bad = {57_123: dict(priority="urgent"), 150_001: dict(start="2026-13-01T00:00"), 240_998: dict(drg_value="x")}
    parts, line, expected = [",".join(COLUMNS) + "\n"], 2, {}
    for i in range(241_000):
        if i == 1_000:
            parts.append(_line(contact(i, course_department="MED\nsecond line")))  # 2 lines
            line += 2
            continue
        if i == 2_000:
            parts.append("\n")  # a blank line, skipped
            line += 1
        if i == 3_000:
            parts.append("K3000,only,four,fields\n")
            expected[line] = ""
        elif i in bad:
            parts.append(_line(contact(i, **bad[i])))
            expected[line] = next(iter(bad[i]))
        else:
            parts.append(template.format(i))
        line += 1
    drop = write_drop(tmp_path / "drop", [person(0)], [])
    (drop / "contacts.csv").write_text("".join(parts))
    cli.ingest(drop)
    rejects = read_csv(last_load_dir() / "rejects.csv")
    assert sorted((int(r["line"]), r["column"]) for r in rejects) == sorted(expected.items())
    assert 240_998 + 2 + 2 in expected  # the last error is 2 lines further down than its row number


def test_unreadable_lines_are_rejected_with_their_line(cli, tmp_path):
    drop = write_drop(tmp_path / "drop", [person(0)], [contact(i) for i in range(200)])
    lines = (drop / "contacts.csv").read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"MED1", b"M\xe6D1", 1)  # Latin-1, not UTF-8
    lines[5] = lines[5] + b",extra"
    lines[7] = lines[7].replace(b"MED1", b'"MED1"x', 1)  # text after a closing quote
    (drop / "contacts.csv").write_bytes(b"\n".join(lines))
    output = cli.ingest(drop, "--max-reject-share", "0.5").output
    rejects = {(r["line"], r["rule"]) for r in read_csv(last_load_dir() / "rejects.csv")}
    assert rejects == {("4", "encoding"), ("6", "field_count"), ("8", "quoting")}
    assert "save the file as UTF-8" in output and "PUBLISHED" in output


def test_line_numbers_stay_exact_with_many_unreadable_lines(cli, tmp_path):
    """Beyond a few dozen shifted places, the line numbers are joined rather than computed."""
    lines, expected = [",".join(COLUMNS) + "\n"], {}
    for i in range(400):
        if i % 5 == 0:
            lines.append(f"K{i},too,few\n")
            expected[len(lines)] = "field_count"
        if i % 7 == 0:
            lines.append(_line(contact(i, course_department="two\nlines")))
            lines.append("")  # the quoted line break: one more line
        lines.append(_line(contact(1000 + i, priority="x" if i % 9 == 0 else "acute")))
        if i % 9 == 0:
            expected[len(lines)] = "enum"
    drop = write_drop(tmp_path / "drop", [person(0)], [])
    (drop / "contacts.csv").write_text("".join(lines))
    cli.ingest(drop, "--max-reject-share", "1")
    rejects = read_csv(last_load_dir() / "rejects.csv")
    assert {int(r["line"]): r["rule"] for r in rejects} == expected


def test_a_stray_quote_in_an_unquoted_value_keeps_the_line_numbers_right(cli, tmp_path):
    drop = write_drop(tmp_path / "drop", [person(0)],
                      [contact(0, course_department='O"Brien'), contact(1), contact(2, priority="x")])
    cli.ingest(drop, "--max-reject-share", "1")
    rejects = read_csv(last_load_dir() / "rejects.csv")
    assert [(r["line"], r["rule"]) for r in rejects] == [("4", "enum")]


def test_windows_line_endings_and_a_byte_order_mark(cli, tmp_path, store):
    drop = write_drop(tmp_path / "drop", [person(0)], [contact(0), contact(1, priority="x")])
    text = (drop / "contacts.csv").read_text()
    (drop / "contacts.csv").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    cli.ingest(drop, "--max-reject-share", "1")
    assert [(r["line"], r["rule"]) for r in read_csv(last_load_dir() / "rejects.csv")] == [("3", "enum")]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("scan")


# The fast scanner against the slow, exact count of Python's csv module, on well-formed CSV.
values = st.lists(st.sampled_from(["a", "b", ",", '"', "\n", "\r\n", " "]), max_size=6).map("".join)
rows = st.lists(st.lists(values, min_size=3, max_size=3), max_size=12)


@given(rows, st.integers(1, 7), st.booleans())
@settings(max_examples=150, deadline=None)
def test_the_line_scanner_agrees_with_the_csv_module(scratch, table, chunk, blank_lines):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["x", "y", "z"])
    for row in table:
        writer.writerow(row)
        if blank_lines:
            out.write("\n")
    data = out.getvalue().encode()
    path = scratch / "f.csv"
    path.write_bytes(data)
    scanner = LineScanner()
    for start in range(0, len(data), chunk):  # tiny chunks: state must carry across them
        scanner.feed(data[start:start + chunk])
    fast, exact = scanner.finish(), csv_module_line_map(path)
    assert fast.n_lines == exact.n_lines
    assert list(fast.skip) == list(exact.skip)
