"""Reading FHIR input files: NDJSON (one resource a line) and Bundle JSON, each resource with its place.

A file ending ``.ndjson`` / ``.jsonl`` (optionally ``.gz``) is NDJSON; a ``.json`` file holds one
Bundle (or one resource). A folder stands for the files of these kinds in it, in name order.
NDJSON is read line by line; a Bundle file is read whole (Bundles are written in pieces of a
configurable size, see ``opspor fhir export --per-file``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec

from opspor.ingest.report import Problem

NDJSON_SUFFIXES = (".ndjson", ".jsonl", ".ndjson.gz", ".jsonl.gz")
BUNDLE_SUFFIXES = (".json", ".json.gz")


@dataclass(frozen=True)
class Item:
    """One resource, or a problem with the input at its place."""

    place: str  # "Encounter.ndjson line 7" / "bundle-0001.json entry 3"
    resource: dict | None
    full_url: str | None = None
    problem: Problem | None = None


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(NDJSON_SUFFIXES):
        return "ndjson"
    if name.endswith(BUNDLE_SUFFIXES):
        return "bundle"
    return None


def input_files(paths: list[Path]) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """The files to read, with their kind; problems for paths that are missing or of no kind."""
    files, problems = [], []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and _kind(p))
            if not found:
                problems.append(Problem(str(path), "the folder holds no .ndjson, .jsonl or .json files",
                                        "name a folder with FHIR NDJSON or Bundle files, or the files themselves"))
            files += [(p, _kind(p)) for p in found]
        elif path.is_file() and _kind(path):
            files.append((path, _kind(path)))
        elif path.is_file():
            problems.append(Problem(str(path), "unknown kind of file (not .ndjson, .jsonl or .json)",
                                    "give NDJSON files as .ndjson and Bundle files as .json"))
        else:
            problems.append(Problem(str(path), "no such file or folder", "check the path"))
    return files, problems


def _open(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


_DECODER = msgspec.json.Decoder(float_hook=Decimal)  # keep decimals exact (DRG values)


def _loads(text: str):
    """msgspec's decoder (several times faster than ``json``); ``json`` only to word an error."""
    try:
        return _DECODER.decode(text)
    except msgspec.DecodeError:
        return json.loads(text, parse_float=Decimal)  # raises JSONDecodeError with line and column


def read_items(path: Path, kind: str) -> Iterator[Item]:
    return _ndjson(path) if kind == "ndjson" else _bundle(path)


def _ndjson(path: Path) -> Iterator[Item]:
    try:
        with _open(path) as f:
            for number, line in enumerate(f, start=1):
                place = f"{path.name} line {number}"
                if not line.strip():
                    continue
                try:
                    value = _loads(line)
                except json.JSONDecodeError as error:
                    yield _problem(place, f"not valid JSON ({error.msg} at column {error.colno})",
                                   "write one complete JSON resource per line (NDJSON)")
                    continue
                if not isinstance(value, dict):
                    yield _problem(place, "the line is not a JSON object", "write one FHIR resource (a JSON object) per line")
                    continue
                yield Item(place, value)
    except UnicodeDecodeError:
        yield _problem(path.name, "the file is not valid UTF-8", "save the file as UTF-8")
    except (OSError, EOFError) as error:
        yield _problem(path.name, f"the file cannot be read ({type(error).__name__})", "check the file (a damaged .gz?)")


def _bundle(path: Path) -> Iterator[Item]:
    try:
        with _open(path) as f:
            value = _loads(f.read())
    except json.JSONDecodeError as error:
        yield _problem(path.name, f"not valid JSON ({error.msg} at line {error.lineno} column {error.colno})",
                       "give a Bundle as one JSON document")
        return
    except UnicodeDecodeError:
        yield _problem(path.name, "the file is not valid UTF-8", "save the file as UTF-8")
        return
    except (OSError, EOFError) as error:
        yield _problem(path.name, f"the file cannot be read ({type(error).__name__})", "check the file (a damaged .gz?)")
        return
    if not isinstance(value, dict):
        yield _problem(path.name, "the file is not a JSON object", "give a FHIR Bundle (resourceType Bundle)")
        return
    if value.get("resourceType") != "Bundle":  # a single resource in a .json file
        yield Item(path.name, value)
        return
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        yield _problem(f"{path.name} Bundle.entry", "entry is not a list", "give Bundle.entry as a JSON array")
        return
    for index, entry in enumerate(entries):
        place = f"{path.name} entry {index}"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            yield _problem(f"{place} (Bundle.entry[{index}].resource)", "the entry holds no resource",
                           "give every entry a resource")
            continue
        full_url = entry.get("fullUrl")
        yield Item(place, resource, full_url if isinstance(full_url, str) else None)


def _problem(place: str, message: str, fix: str) -> Item:
    return Item(place, None, problem=Problem(place, message, fix))
