"""One translation mechanism (docs/architecture.md, "Translations"): the code holds English
message ids and the catalogue the Danish; no branch on the language and no table with a text per
language in the code, and the computation translates without Django being configured."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from opspor import i18n

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "opspor"


def _is_language(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in i18n.LANGUAGES


def language_choices(tree: ast.AST) -> list[str]:
    """``lang == "da"`` (or ``!=``, either side), ``{"da": ..., "en": ...}`` and a pair of tables
    ``X_DA`` / ``X_EN``: the ways the code chose a text by language before the catalogue."""
    found = []
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            if _is_language(node.left) or any(_is_language(c) for c in node.comparators):
                found.append((node.lineno, "comparison with a language code"))
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if set(i18n.LANGUAGES) <= keys:
                found.append((node.lineno, "a text per language"))
        elif isinstance(node, (ast.Name, ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name.isupper() and name.endswith(("_DA", "_EN")):
                names.add((name[:-3], name[-2:], node.lineno))
    stems = {stem for stem, lang, _ in names if lang == "DA"} & {stem for stem, lang, _ in names if lang == "EN"}
    found += [(line, f"tables {stem}_DA and {stem}_EN") for stem, _, line in names if stem in stems]
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_the_scan_sees_each_way_of_choosing_a_text_by_language():
    code = ('a = "x" if lang == "da" else "y"\n'
            'b = "x" if "en" != lang else "y"\n'
            'C = {"title": {"da": "Titel", "en": "Title"}}\n'
            'D = {"da": ["jan"], "en": ["Jan"], "de": ["Jan"]}\n'
            'E_DA = ("jan",)\nE_EN = ("Jan",)\nf = E_DA if x else E_EN\n'
            'ok = {"da": value}\nok2 = lang in ("da", "en")\nok3 = lang == DEFAULT\n')
    assert language_choices(ast.parse(code)) == [
        "line 1: comparison with a language code", "line 2: comparison with a language code",
        "line 3: a text per language", "line 4: a text per language",
        "line 5: tables E_DA and E_EN", "line 6: tables E_DA and E_EN", "line 7: tables E_DA and E_EN",
        "line 7: tables E_DA and E_EN"]


def test_no_code_chooses_a_text_by_language():
    """Texts are English message ids translated through ``opspor.i18n`` (outside the web app) or
    Django's gettext (in it); configuration keeps its own ``_da``/``_en`` fields."""
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if found := language_choices(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            offenders[str(path.relative_to(PACKAGE))] = found
    assert offenders == {}, "mark the English text with _() and put the Danish in django.po (docs/web.md)"


def test_the_computation_translates_without_django_configured():
    """The risk report's and the committee report's words, in a fresh process with no settings."""
    code = (
        "import sys\n"
        "from opspor.risk.texts import t\n"
        "from opspor.monitor import report_build, tasks\n"
        "from opspor.i18n import translate_all\n"
        "from django.conf import settings\n"
        "assert not settings.configured\n"
        "assert not any(m.startswith(('opspor.web', 'opspor.cli')) for m in sys.modules), 'web or cli imported'\n"
        "print(t('title', 'da')); print(t('title', 'en'))\n"
        "print(translate_all(report_build.TEXTS, 'da')['s_status'])\n"
        "print(tasks.state_labels('da')[tasks.OVERDUE]); print(tasks.Frequency.ONCE.label('da'))\n"
        "print(report_build.fmt(1234.5, 1, 'da')); print(report_build.fmt(1234.5, 1, 'en'))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}  # no DJANGO_SETTINGS_MODULE
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Risikomodel for akutte indlæggelser: evaluering", "Risk model for acute admissions: evaluation",
        "Status på målsætningerne", "Overskredet", "Én gang", "1.234,5", "1,234.5"]


def test_the_translator_and_its_context():
    da, en = i18n.translator("da"), i18n.translator("en")
    assert (da("Due"), en("Due")) == ("Forfald", "Due")
    soon = i18n.pgettext_lazy("committee report", "Due")
    assert (soon, da(soon), en(soon)) == ("Due", "Forfalder", "Due")
    assert da("a text nobody has translated") == "a text nobody has translated"  # see test_translations
    assert i18n.number("-1,234,567.25 %", "da") == "-1.234.567,25 %"
    assert i18n.localized({"title_da": "Titel", "title_en": "Title"}, "title", "en") == "Title"


def test_a_figure_is_a_number_in_the_language_or_a_dash():
    """The one set of formatters of the risk report, the model card, its analyses and the
    monitoring PDF: a number in the language's separators, ``–`` where it is missing."""
    assert [i18n.figure(v, 3, "da") for v in (0.71249, 1234.5, -0.0001, 7)] == ["0,712", "1.234,500", "0,000", "7,000"]
    assert i18n.figure(1234.5, 1, "en") == "1,234.5"
    assert [i18n.figure(v, 2, "da") for v in (None, float("nan"), float("inf"))] == ["–"] * 3
    assert (i18n.percent(0.1234, "da"), i18n.percent(0.5, "en", 0), i18n.percent(0.01234, "da", 2)) == (
        "12,3 %", "50 %", "1,23 %")
    assert (i18n.percent(None, "da"), i18n.percent(float("nan"), "en")) == ("–", "–")
    assert i18n.estimate(0.7123, 0.701, 0.7234, 3, "da") == "0,712 [0,701; 0,723]"
    assert i18n.estimate(1.05, None, 1.2, 2, "en") == "1.05 [–; 1.20]"  # a missing end
    assert i18n.estimate(None, 0.1, 0.2, 2, "da") == "–"


@pytest.mark.parametrize("call", [lambda: i18n.translator("fr"), lambda: i18n.number("1.5", "de"),
                                  lambda: i18n.localized({}, "title", "sv")])
def test_an_unknown_language_is_refused_by_name(call):
    with pytest.raises(ValueError, match=r"language '(fr|de|sv)': use one of da, en"):
        call()
