"""No clinical constant in Python: codes, admission hours, window days, ages and the clinical
enumeration values used as criteria live in the versioned YAML configuration
(rules/config/concepts.yaml, the rule files, the code lists, risk/monitor/alerts configuration);
code interprets them. The check reads every module under src/opspor as a syntax tree (AST), so
docstrings and comments (documentation) are not findings, and a finding names file, line and what.

What is looked for:

* ``code``: an SKS-like code in a string (a diagnosis ``D`` + letter + two digits, or a token that
  starts with an entry of a shipped code list), e.g. ``"DJ44"``, ``"AAF6"``;
* ``duration``: ``timedelta(hours=12)`` / ``timedelta(days=365)`` with a number above 1, or SQL
  ``INTERVAL 12 HOUR`` / ``INTERVAL '30' DAY`` in a string;
* ``threshold``: a comparison of a name about hours, days, age or windows with a number above 1
  (``hours >= 12``, ``age >= 65``), or such a name given a number above 1 (``ADMISSION_HOURS = 12``,
  a parameter default ``days: int = 365``);
* ``criterion``: a clinical enumeration value (priority, contact type, pathway, specialty) compared
  with (``== "acute"``, ``in {"telephone", ...}``) or written as an SQL literal (``= 'acute'``,
  ``IN ('telephone', ...)``).

The allow-list below is short and names each place with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from opspor import contract

SRC = Path(__file__).resolve().parents[1] / "src" / "opspor"

# Modules that may hold such values: the readers of the configuration and the contract itself.
READERS = {
    "contract.py": "the data contract: it defines the enumeration values the configuration refers to",
    "rules/load.py": "the rule files' reader",
    "rules/criteria.py": "the rule language's reader (contact criteria, code lists)",
    "rules/concepts.py": "the concepts' reader and compiler",
    "rules/codes.py": "the code lists' reader: its messages show the entry syntax (DE11, DF1*, DM30-DM36)",
}

# (module, kind, text found) -> reason. Each entry is one place that is not a clinical constant.
ALLOWED = {
    ("synth", "*", "*"):
        "the synthetic generator: its own model of a population (docs/synthetic-data.md), data it "
        "writes, not criteria applied to data",
    ("monitor/effect.py", "duration", "INTERVAL 12 HOUR"):
        "exposure arithmetic: the death day counts half a day, not an admission length",
    ("monitor/effect.py", "threshold", "HORIZONS"):
        "the trial's follow-up horizons in months and days (3, 6, 12 months), the analysis plan",
    ("monitor/effect.py", "threshold", "days=365"):
        "the before-after comparison's default window, an option of the analysis (CLI --days)",
    ("fhir/contract/mapping.py", "criterion", "*"):
        "terminology: the contract's enumeration values mapped one to one to FHIR codes and back",
    ("ingest/rules.py", "code", "*"):
        "examples of the code format in validation messages (what a code looks like), not criteria",
    ("fhir/contract/mapping.py", "code", "*"):
        "an example of the code format in an import error message",
    ("risk/config.py", "code", "DJ44"):
        "the example in the messages that say how to write a condition's codes",
    ("rules/inputs.py", "code", "DR069"):
        "the default action diagnosis of arrow_tables()' rows (Engine.populate) (tests, examples): matches no list",
    ("ingest/rules.py", "threshold", "DEFAULT_MAX_CONTACT_DAYS"):
        "a plausibility check of the data (a contact longer than this is probably an error)",
    ("lists/build.py", "*", "hours=24"):
        "operations: warn when no contact started in the day before the cut-off (stale snapshot)",
    ("web/citizen/demo.py", "threshold", "GRANT_DAYS"):
        "the demo: how long the demo citizen's synthetic relative may see the page",
    ("telemonitoring/evaluation.py", "threshold", "DAYS_PER_YEAR"):
        "calendar arithmetic: the mean length of a year (365.25 days), to turn patient-days into patient-years",
    ("monitor/tasks.py", "threshold", "DEFAULT_DUE_WITHIN_DAYS"):
        "administration: which monitoring tasks the task list shows as due soon",
    ("monitor/demo_rollout.py", "duration", "days=14"):
        "demonstration data: a telephone session every 14 days in the demo rollout",
    ("alerts/schedule.py", "threshold", "day"):
        "the day of the month the data alerts are run, a schedule setting",
    ("fhir/medcom.py", "duration", "days=32"):
        "calendar arithmetic: the last day of a month",
    ("web/aps/queries.py", "threshold", "age >= 90"):
        "privacy: ten-year age bands shown on lists stop at 90+ so that old ages do not identify",
    ("web/settings.py", "threshold", "SESSION_COOKIE_AGE"):
        "the session cookie's lifetime, not a person's age",
}

_ENUMS = set(contract.PRIORITIES) | set(contract.CONTACT_TYPES) | set(contract.PATHWAYS) | set(
    contract.SPECIALTIES)
_NAME = re.compile(r"hour|(^|_)days?($|_)|(^|_)age($|_)|min_age|max_age|within|window|admission",
                   re.IGNORECASE)
_INTERVAL = re.compile(r"INTERVAL\s+'?(\d+)'?\s+(HOUR|DAY)", re.IGNORECASE)
_SQL_ENUM = re.compile(r"(=|\bIN\s*\(|,)\s*'(" + "|".join(sorted(_ENUMS)) + r")'", re.IGNORECASE)
_TOKEN = re.compile(r"\b[A-Z][A-Z0-9]{2,}\b")
_DIAGNOSIS = re.compile(r"^D[A-Z]\d{2}[A-Z0-9]*$")


def _code_prefixes() -> tuple[str, ...]:
    prefixes: set[str] = set()
    for path in (SRC / "rules/config/code_lists.yaml", SRC / "monitor/config/code_lists.yaml"):
        for body in yaml.safe_load(path.read_text(encoding="utf-8"))["lists"].values():
            parts = body.get("codes") or [c for g in body.get("groups", {}).values() for c in g]
            prefixes.update(p.split("-")[0].rstrip("*") for p in parts)
    return tuple(sorted(prefixes))


PREFIXES = _code_prefixes()


def _is_code(token: str) -> bool:
    return bool(_DIAGNOSIS.match(token)) or any(token.startswith(p) for p in PREFIXES)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _big(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value > 1)


def _literal(node: ast.AST) -> bool:
    """A number or a tuple/list of them, as written (not a computation that uses one)."""
    return all(isinstance(n, (ast.Constant, ast.Tuple, ast.List, ast.UnaryOp, ast.USub, ast.Load))
               for n in ast.walk(node))


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _enum_values(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in _ENUMS:
        return [node.value]
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
        return [v for e in node.elts for v in _enum_values(e)]
    return []


def findings(source: str) -> list[tuple[int, str, str]]:
    """(line, kind, text) of every clinical constant in the module ``source``."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    out: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            text = node.value
            out += [(line, "code", t) for t in _TOKEN.findall(text) if _is_code(t)]
            out += [(line, "duration", m.group(0)) for m in _INTERVAL.finditer(text) if int(m.group(1)) > 1]
            out += [(line, "criterion", m.group(0)) for m in _SQL_ENUM.finditer(text)]
        elif isinstance(node, ast.JoinedStr):
            continue  # its parts are Constant nodes, visited on their own
        elif isinstance(node, ast.Call) and _name(node.func) == "timedelta":
            out += [(line, "duration", f"{k.arg}={k.value.value}") for k in node.keywords
                    if k.arg in ("hours", "days", "weeks") and _big(k.value)]
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_big(s) for s in sides) and any(_NAME.search(_name(s)) for s in sides):
                out.append((line, "threshold", ast.unparse(node)))
            if any(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops):
                out += [(line, "criterion", v) for s in sides for v in _enum_values(s)]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if value is not None and any(_NAME.search(_name(t)) for t in targets) and _literal(
                    value) and any(_big(n) for n in ast.walk(value)):
                out.append((line, "threshold", _name(targets[0])))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args.posonlyargs + node.args.args
            pairs = list(zip(args[len(args) - len(node.args.defaults):], node.args.defaults))
            pairs += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d]
            out += [(line, "threshold", f"{a.arg}={d.value}") for a, d in pairs
                    if _NAME.search(a.arg) and _big(d)]
    return sorted(set(out))


def _allowed(module: str, kind: str, text: str) -> bool:
    for (where, k, what) in ALLOWED:
        if (module == where or module.startswith(where + "/")) and k in ("*", kind) and what in ("*", text):
            return True
    return False


def test_no_clinical_constant_in_python_outside_the_configuration():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = path.relative_to(SRC).as_posix()
        if module in READERS or "/migrations/" in module:
            continue
        for line, kind, text in findings(path.read_text(encoding="utf-8")):
            if not _allowed(module, kind, text):
                found.append(f"src/opspor/{module}:{line}: {kind} {text!r}")
    assert not found, (
        "clinical constants in Python; put them in the configuration (rules/config/concepts.yaml, "
        "the rule, code-list, risk, monitor or alerts YAML) and read them from there, or, if the "
        "value is not clinical, add a named entry with its reason to ALLOWED:\n" + "\n".join(found))


PLANTED = '''
import datetime as dt
ADMISSION_HOURS = 12
def lasted(c, hours: int = 12):
    if c.priority == "acute" and c.contact_type not in {"telephone", "video"}:
        return c.end - c.start >= dt.timedelta(hours=12) or age >= 65
SQL = "SELECT * FROM contacts WHERE priority = 'acute' AND start + INTERVAL 12 HOUR <= stop"
CODES = ("DJ44", "AAF6")
'''


def test_the_check_finds_a_planted_constant_of_every_kind():
    got = findings(PLANTED)
    kinds = {(kind, text) for _, kind, text in got}
    assert {("threshold", "ADMISSION_HOURS"), ("threshold", "hours=12"), ("criterion", "acute"),
            ("criterion", "telephone"), ("criterion", "video"), ("duration", "hours=12"),
            ("threshold", "age >= 65"), ("criterion", "= 'acute'"), ("duration", "INTERVAL 12 HOUR"),
            ("code", "DJ44"), ("code", "AAF6")} <= kinds, sorted(kinds)
    # and documentation is not a finding; nor are non-clinical numbers
    assert findings('"""An admission lasts 12 hours (DJ44, AAF6)."""\nx = 12\nretries = 3\n') == []


def test_a_constant_planted_in_a_real_module_fails_the_check(tmp_path, monkeypatch):
    """The whole check, on a copy of the source tree with one constant planted in risk/outcome.py."""
    import shutil

    copy = tmp_path / "opspor"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    target = copy / "risk/outcome.py"
    target.write_text(target.read_text(encoding="utf-8") + "\nACUTE = \"priority = 'acute'\"\n",
                      encoding="utf-8")
    monkeypatch.setitem(globals(), "SRC", copy)
    try:
        test_no_clinical_constant_in_python_outside_the_configuration()
    except AssertionError as exc:
        assert "risk/outcome.py" in str(exc) and "= 'acute'" in str(exc)
    else:
        raise AssertionError("a planted constant was not found")
