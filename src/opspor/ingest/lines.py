"""Physical line numbers for the records of a CSV file.

DuckDB reads a CSV file in parallel and keeps the row order, but it gives no line number for a
good row and only an approximate one for a bad row; the byte offset of a bad row is exact. A data
manager needs the line number their editor shows, so the lines are counted here:

* While the file is hashed, ``LineScanner`` notes every physical line that starts no data record:
  blank lines (DuckDB skips them) and lines continuing a quoted value that holds a line break.
  That list is short, so data record ``k`` (0-based) starts on line ``k + 2 + (noted lines
  before it)``, with no per-row bookkeeping.
* A bad row's byte offset becomes its line by counting the line breaks before it (``lines_at``).

The scanner takes every quote character as entering or leaving a quoted value, which is right
for well-formed CSV. When its count of records disagrees with DuckDB's (a stray quote in an
unquoted value, say), ``csv_module_line_map`` counts again with Python's csv module, which reads
quotes as DuckDB does, but slowly.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHUNK = 1 << 24
NEWLINE, QUOTE, CR = 10, 34, 13


@dataclass(frozen=True)
class LineMap:
    n_lines: int  # physical lines in the file, the header included
    skip: np.ndarray  # sorted lines >= 2 that start no data record

    @property
    def n_records(self) -> int:
        return max(self.n_lines - 1, 0) - len(self.skip)

    def record_index(self, lines: np.ndarray) -> np.ndarray:
        """Data record (0-based) starting on each line; the lines must start records."""
        return lines - 2 - np.searchsorted(self.skip, lines, side="left")

    def skip_shifts(self) -> tuple[np.ndarray, np.ndarray]:
        """(from_record, shift): data record k starts on line k + 2 + the shift of the largest
        from_record <= k."""
        records_before = self.skip - np.arange(len(self.skip)) - 2  # before each skipped line
        return runs_upto(records_before)


def runs_upto(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array, each with how many elements are <= it."""
    counts = np.arange(1, len(sorted_values) + 1)
    last = np.r_[sorted_values[1:] != sorted_values[:-1], True] if len(sorted_values) else []
    return sorted_values[last], counts[last]


class LineScanner:
    """Fed a file's bytes chunk by chunk, notes the lines that start no data record."""

    def __init__(self) -> None:
        self.newlines = 0
        self.size = 0
        self._inside_quotes = 0
        self._prev_newline = -1  # file offset of the last line break seen
        self._last_byte = -1
        self._skip: list[np.ndarray] = []

    def feed(self, chunk: bytes) -> None:
        data = np.frombuffer(chunk, dtype=np.uint8)
        if not len(data):
            return
        newlines = np.flatnonzero(data == NEWLINE)
        if self._inside_quotes or chunk.find(b'"') >= 0:
            quotes_before = np.cumsum(data == QUOTE, dtype=np.uint8)  # wraps; the low bit is parity
            inside = (quotes_before[newlines] + self._inside_quotes) & 1
            # a line break inside quotes makes the next line a continuation
            self._skip.append(np.flatnonzero(inside) + self.newlines + 2)
            self._inside_quotes = (int(quotes_before[-1]) + self._inside_quotes) & 1
        if len(newlines):
            length = np.diff(newlines + self.size, prepend=self._prev_newline) - 1
            blank = length == 0
            one = np.flatnonzero(length == 1)
            if len(one):  # a line holding only "\r" is blank too
                before = newlines[one] - 1
                byte = np.where(before >= 0, data[np.maximum(before, 0)], self._last_byte)
                blank[one[byte == CR]] = True
            self._skip.append(np.flatnonzero(blank) + self.newlines + 1)
            self._prev_newline = int(newlines[-1]) + self.size
            self.newlines += len(newlines)
        self._last_byte = int(data[-1])
        self.size += len(data)

    def finish(self) -> LineMap:
        n_lines = self.newlines + (1 if self.size > self._prev_newline + 1 else 0)
        skip = np.unique(np.concatenate(self._skip)) if self._skip else np.empty(0, np.int64)
        skip = skip[(skip >= 2) & (skip <= n_lines)].astype(np.int64)
        return LineMap(n_lines, skip)


def lines_at(path: Path, positions: np.ndarray) -> np.ndarray:
    """Line number of each byte offset (sorted ascending)."""
    out = np.empty(len(positions), dtype=np.int64)
    if not len(positions):
        return out
    done, newlines, offset = 0, 0, 0
    with open(path, "rb") as f:
        while done < len(positions):
            chunk = f.read(CHUNK)
            if not chunk:
                out[done:] = newlines + 1
                break
            end = offset + len(chunk)
            upto = int(np.searchsorted(positions, end, side="left"))
            if upto > done:
                breaks = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == NEWLINE) + offset
                out[done:upto] = newlines + np.searchsorted(breaks, positions[done:upto], side="left") + 1
                done = upto
            newlines += chunk.count(b"\n")
            offset = end
    return out


def csv_module_line_map(path: Path) -> LineMap:
    """The slow, exact count: record starts as Python's csv module (and DuckDB) read quotes."""
    csv.field_size_limit(sys.maxsize)
    starts = []
    with open(path, encoding="utf-8", errors="replace", newline="\n") as f:  # lines end at \n only
        reader = csv.reader(f)
        previous_end = 0
        try:
            for row in reader:
                if row:  # DuckDB skips blank lines
                    starts.append(previous_end + 1)
                previous_end = reader.line_num
        except csv.Error:  # an unterminated quote runs to the end of the file: one last record
            starts.append(previous_end + 1)
    n_lines = _count_lines(path)
    data_starts = np.asarray(starts[1:], dtype=np.int64)
    skip = np.setdiff1d(np.arange(2, n_lines + 1, dtype=np.int64), data_starts, assume_unique=True)
    return LineMap(n_lines, skip)


def _count_lines(path: Path) -> int:
    newlines, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    return newlines + (last != b"\n")
