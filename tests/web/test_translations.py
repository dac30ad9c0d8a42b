"""Every text of the web app and of the reports has its Danish translation, and the compiled
catalogue is current (one catalogue: docs/architecture.md, "Translations")."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import opspor.web

LOCALE = Path(opspor.web.__file__).parent / "locale" / "da" / "LC_MESSAGES"
PACKAGE = Path(opspor.web.__file__).parents[1]
# the functions makemessages extracts from Python (xgettext's defaults and Django's keywords),
# with the position of the context argument where there is one
MARKERS = {"_": None, "gettext": None, "gettext_lazy": None, "gettext_noop": None,
           "pgettext": 0, "pgettext_lazy": 0}


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


def _context(block: str) -> str | None:
    found = re.search(r'^msgctxt ((?:".*"\n?)+)', block, re.M)
    return _text(found.group(1)) if found else None


def test_compiled_catalogue_matches_the_source_for_messages_with_a_context():
    with open(LOCALE / "django.mo", "rb") as f:
        catalogue = gettext.GNUTranslations(f)
    with_context = [(_context(block), msgid, msgstr) for msgid, msgstr, block in _entries() if "msgctxt" in block]
    assert len(with_context) >= 13  # the months and the reports' words that differ from the web app's
    assert [(c, m) for c, m, msgstr in with_context if catalogue.pgettext(c, m) != msgstr] == []


def marked_messages(tree: ast.AST) -> set[tuple[str | None, str]]:
    """(context, message id) of every literal text marked for translation in a module."""
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in MARKERS:
            continue
        at = MARKERS[name]
        texts = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                 for a in node.args[: (at + 2 if at is not None else 1)]]
        if None not in texts:
            found.add((texts[at], texts[at + 1]) if at is not None else (None, texts[0]))
    return found


def test_the_scan_sees_every_marker():
    code = ('from opspor.i18n import gettext_lazy as _\nA = _("One")\nB = pgettext_lazy("month", "May")\n'
            'c = translator(lang)("not literal" + x)\nd = self.gettext("Two")\ne = _(name)\n')
    assert marked_messages(ast.parse(code)) == {(None, "One"), ("month", "May"), (None, "Two")}


def test_every_message_marked_in_the_code_has_its_danish():
    """The reports' texts (``opspor.i18n``) and the web app's (Django) come from this catalogue:
    a message missing from django.po would come out in English on a Danish page or report."""
    translated = {(_context(block), msgid) for msgid, msgstr, block in _entries() if msgstr and "#, fuzzy" not in block}
    marked = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        marked |= marked_messages(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    assert len(marked) > 500
    missing = sorted(marked - translated, key=str)
    assert missing == [], "add them to django.po with their Danish and compile it (docs/web.md)"
