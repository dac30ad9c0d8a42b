"""Reading the web app's CSV downloads as a spreadsheet of the reader's language would
(web/core/tables.py): UTF-8 with a byte order mark, ``;`` in Danish and ``,`` in English."""

from __future__ import annotations

import csv
import io

import openpyxl

BOM = b"\xef\xbb\xbf"
DELIMITERS = {"da": ";", "en": ","}


def csv_rows(response, lang: str = "en") -> list[list[str]]:
    """The rows of a CSV download, checked to be UTF-8 with a BOM and the language's delimiter."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
    body = response.content
    assert body.startswith(BOM), body[:20]
    rows = list(csv.reader(io.StringIO(body[len(BOM):].decode("utf-8")), delimiter=DELIMITERS[lang]))
    assert rows and all(len(r) == len(rows[0]) for r in rows), f"not {DELIMITERS[lang]!r}-separated: {rows[:2]}"
    return rows


def csv_dicts(response, lang: str = "en") -> list[dict[str, str]]:
    """The rows of a CSV download as dicts keyed by the (translated) column names."""
    header, *rows = csv_rows(response, lang)
    return [dict(zip(header, r)) for r in rows]


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200 and response.content[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]
