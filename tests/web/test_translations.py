"""Every text of the web app has its Danish translation, and the compiled catalogue is current."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import opspor.web

LOCALE = Path(opspor.web.__file__).parent / "locale" / "da" / "LC_MESSAGES"


def _text(lines: str) -> str:
    return "".join(ast.literal_eval(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', lines))


def _entries() -> list[tuple[str, str, str]]:
    """(msgid, first msgstr, block) of every entry but the header."""
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    out = []
    for block in po.split("\n\n"):
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.MULTILINE)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.MULTILINE)
        if msgid and msgstr and _text(msgid.group(1)):
            out.append((_text(msgid.group(1)), _text(msgstr.group(1)), block))
    return out


def test_every_message_is_translated():
    entries = _entries()
    assert len(entries) > 500
    assert [msgid for msgid, msgstr, block in entries if not msgstr or "#, fuzzy" in block] == []


def test_compiled_catalogue_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as f:
        catalogue = gettext.GNUTranslations(f)
    stale = [msgid for msgid, msgstr, block in entries_without_plurals()
             if catalogue.gettext(msgid) != msgstr]
    assert stale == [], "django.mo is older than django.po: compile it (docs/web.md)"


def entries_without_plurals():
    return [e for e in _entries() if "msgid_plural" not in e[2] and "msgctxt" not in e[2]]
