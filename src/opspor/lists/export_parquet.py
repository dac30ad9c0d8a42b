"""Machine-readable copies of a build, for the web app's publishing step (``opspor web publish``).

The CSV, XLSX and PDF files are for people; these two Parquet files carry the same rows with
their types and the pseudonymous ``person_key``, so a reader never parses formatted text.
Both hold CPR numbers and names, like the CSV files next to them.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from opspor.lists.model import Build
from opspor.rules.results import ELIGIBILITY_SCHEMA, LIST_SCHEMA, to_arrow

DATA_DIR = "data"
LINES_FILE = f"{DATA_DIR}/lines.parquet"
ELIGIBILITY_FILE = f"{DATA_DIR}/eligibility.parquet"


def write_parquet(build: Build, folder: Path) -> list[Path]:
    (folder / DATA_DIR).mkdir(exist_ok=True)
    lines = [line for dept in build.departments for line in dept.lines]
    pq.write_table(to_arrow(lines, LIST_SCHEMA), folder / LINES_FILE)
    pq.write_table(to_arrow(list(build.eligibility), ELIGIBILITY_SCHEMA), folder / ELIGIBILITY_FILE)
    return [folder / LINES_FILE, folder / ELIGIBILITY_FILE]
