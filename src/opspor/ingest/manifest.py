"""A drop's manifest: the row count and SHA-256 of each file, written by whoever made the drop.

``manifest.json`` in the drop folder (format in docs/loading-a-real-extract.md)::

    {"opspor_drop_manifest": 1,
     "files": {"persons.csv": {"rows": 20000, "sha256": "9f86d0..."},
               "contacts.csv": {"rows": 143210, "sha256": "2c26b4..."}}}

``rows`` counts data rows: CSV records after the header (blank lines not counted), Parquet rows.
``opspor synth`` writes one; ``opspor ingest`` verifies it when present and refuses a drop whose
files differ from it (a file cut short or replaced in transit), so a load with a verified manifest
may shrink the store without ``--allow-shrink``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from opspor.digests import sha256_file
from opspor.ingest.report import DropRefused, Problem

FILE_NAME = "manifest.json"
VERSION = 1
FIX = (f"deliver the files exactly as the manifest describes them, or a {FILE_NAME} written for "
       "these files (docs/loading-a-real-extract.md, 'The manifest')")


@dataclass(frozen=True)
class Entry:
    rows: int
    sha256: str


def write(folder: Path, rows: dict[str, int]) -> Path:
    """Write ``folder/manifest.json`` for the files named in ``rows`` (file name -> data rows)."""
    data = {"opspor_drop_manifest": VERSION,
            "files": {name: {"rows": n, "sha256": sha256_file(folder / name)} for name, n in sorted(rows.items())}}
    path = folder / FILE_NAME
    tmp = folder / f".{FILE_NAME}.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read(path: Path) -> dict[str, Entry]:
    """The entries of a manifest; a malformed one refuses the drop, naming what is wrong."""
    def refuse(message: str) -> DropRefused:
        return DropRefused([Problem(str(path), message, FIX)])

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise refuse(f"not valid JSON ({type(error).__name__} at {getattr(error, 'pos', '?')})") from None
    if not isinstance(data, dict) or data.get("opspor_drop_manifest") != VERSION:
        raise refuse(f'not an opspor drop manifest: "opspor_drop_manifest": {VERSION} is missing')
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        raise refuse('"files" must map each file name to {"rows": ..., "sha256": ...}')
    entries = {}
    for name, entry in files.items():
        rows, digest = (entry.get("rows"), entry.get("sha256")) if isinstance(entry, dict) else (None, None)
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0 or not isinstance(digest, str) \
                or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
            raise refuse(f'files["{name}"] must be {{"rows": a whole number >= 0, "sha256": 64 hex digits}}')
        entries[name] = Entry(rows, digest.lower())
    return entries


def check_files(path: Path, entries: dict[str, Entry], digests: dict[str, str]) -> None:
    """Refuse the drop unless the manifest lists exactly the drop's files, with their SHA-256."""
    problems = [Problem(name, f"is listed in {FILE_NAME} but not in the drop", FIX)
                for name in entries if name not in digests]
    problems += [Problem(name, f"is in the drop but not listed in {FILE_NAME}", FIX)
                 for name in digests if name not in entries]
    problems += [
        Problem(name, f"its SHA-256 is {digest[:16]}…, {FILE_NAME} says {entries[name].sha256[:16]}…: the file "
                "is not the one the manifest describes (cut short, changed or replaced)", FIX)
        for name, digest in digests.items() if name in entries and entries[name].sha256 != digest
    ]
    if problems:
        raise DropRefused(problems)


def check_rows(entries: dict[str, Entry], rows: dict[str, int]) -> None:
    """Refuse the drop if a file holds another number of data rows than the manifest says."""
    problems = [
        Problem(name, f"holds {n:,} data rows, {FILE_NAME} says {entries[name].rows:,}", FIX)
        for name, n in rows.items() if entries[name].rows != n
    ]
    if problems:
        raise DropRefused(problems)
