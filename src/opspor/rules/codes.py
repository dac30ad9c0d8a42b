"""Code lists: how an entry in a list is read, and when a recorded code matches a list.

One meaning everywhere (both engines use :attr:`CodeList.prefixes`):

* ``DE11``       matches ``DE11`` and every longer code that starts with it (``DE119``);
* ``DF1*``       the same as ``DF1``: the star only says "prefix" out loud;
* ``DM30-DM36``  expands to ``DM30, DM31, ..., DM36``, each then matching by prefix.
  Both ends must have the same length and the same leading letters, and the rest must be digits
  with ``start <= end``; anything else is rejected when the list is loaded.

Matching is exact on case: codes are upper-case by the data contract, and list entries must be
written in upper case too. A missing (NULL) code matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"^[A-Z][A-Z0-9]*$")
_LETTERS_DIGITS = re.compile(r"^([A-Z]+)([0-9]+)$")


class CodeEntryError(ValueError):
    """An entry of a code list cannot be read. ``fix`` says how to write it instead."""

    def __init__(self, entry: str, problem: str, fix: str) -> None:
        super().__init__(f"entry {entry!r}: {problem}")
        self.entry = entry
        self.problem = problem
        self.fix = fix


def expand_entry(entry: str) -> tuple[str, ...]:
    """The prefixes one list entry stands for, in order. Raises :class:`CodeEntryError`."""
    if not isinstance(entry, str):
        raise CodeEntryError(
            str(entry),
            f"expected a code written as text, got {type(entry).__name__}",
            'quote the entry, e.g. "DE11"',
        )
    text = entry.strip()
    if text != entry or not text:
        raise CodeEntryError(
            entry, "empty or surrounded by spaces", "write the code alone, e.g. DE11"
        )
    if "-" in text:
        return _expand_range(text)
    if "*" in text[:-1]:
        raise CodeEntryError(entry, "'*' may only end an entry", "write e.g. DF1*")
    if text.endswith("*"):
        text = text[:-1]
    if not _CODE.match(text):
        if _CODE.match(text.upper()):
            raise CodeEntryError(entry, "codes are upper-case", f"write {text.upper()}")
        raise CodeEntryError(
            entry,
            "not a code (a letter followed by letters and digits)",
            "write e.g. DE11, DF1* or DM30-DM36",
        )
    return (text,)


def _expand_range(entry: str) -> tuple[str, ...]:
    parts = entry.split("-")
    if len(parts) != 2:
        raise CodeEntryError(entry, "a range has exactly one '-'", "write e.g. DM30-DM36")
    low, high = parts
    fix = "write a range as two codes of equal length with the same letters, e.g. DM30-DM36"
    if len(low) != len(high):
        raise CodeEntryError(entry, "the two ends of the range differ in length", fix)
    m_low, m_high = _LETTERS_DIGITS.match(low), _LETTERS_DIGITS.match(high)
    if not (m_low and m_high):
        raise CodeEntryError(entry, "each end must be letters followed by digits", fix)
    if m_low.group(1) != m_high.group(1):
        raise CodeEntryError(entry, "the two ends do not share their letter prefix", fix)
    letters, width = m_low.group(1), len(m_low.group(2))
    first, last = int(m_low.group(2)), int(m_high.group(2))
    if first > last:
        raise CodeEntryError(entry, "the range runs backwards", f"write {high}-{low}")
    return tuple(f"{letters}{n:0{width}d}" for n in range(first, last + 1))


def code_matches(code: str | None, prefixes: tuple[str, ...]) -> bool:
    """True when ``code`` equals or starts with one of ``prefixes``. ``None`` matches nothing."""
    return code is not None and any(code.startswith(p) for p in prefixes)


@dataclass(frozen=True)
class CodeList:
    """A named list of codes, as written (``entries``) and as matched (``prefixes``)."""

    name: str
    source: str
    entries: tuple[str, ...]
    prefixes: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (group label, its entries), for review
    note: str = ""
    version: str = ""

    @classmethod
    def from_entries(
        cls,
        name: str,
        entries: tuple[str, ...] | list[str],
        *,
        source: str = "",
        groups: tuple[tuple[str, tuple[str, ...]], ...] = (),
        note: str = "",
        version: str = "",
    ) -> CodeList:
        prefixes: list[str] = []
        for entry in entries:
            for prefix in expand_entry(entry):
                if prefix not in prefixes:
                    prefixes.append(prefix)
        return cls(name, source, tuple(entries), tuple(prefixes), groups, note, version)

    def matches(self, code: str | None) -> bool:
        return code_matches(code, self.prefixes)
