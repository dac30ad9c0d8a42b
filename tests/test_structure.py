"""The code's structure, read from the source with ``ast``: one reader of YAML
(``opspor.config_reader``) refusing duplicate and unknown keys alike in every configuration file,
and imports that go one way (docs/architecture.md, "Configuration" and "Import direction")."""

from __future__ import annotations

import ast
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from opspor import config_reader
from tests.fhir.fhir_kit import read_profile

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "opspor"

# PyYAML's loaders: the functions that parse YAML and the Loader classes they take
YAML_LOADERS = {"load", "load_all", "safe_load", "safe_load_all", "full_load", "full_load_all",
                "unsafe_load", "unsafe_load_all", "compose", "compose_all", "parse", "scan",
                "Loader", "SafeLoader", "FullLoader", "UnsafeLoader", "BaseLoader", "CLoader",
                "CSafeLoader", "CFullLoader", "CUnsafeLoader", "CBaseLoader"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), str(path)) for name, path in MODULES.items()}


# --------------------------------------------------------------------------- YAML


def _yaml_loader_uses(tree: ast.AST) -> list[str]:
    """``yaml.safe_load(...)``, ``yaml.Loader``, ``from yaml import safe_load`` ... in a module."""
    yaml_names = {"yaml"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yaml_names |= {a.asname or a.name for a in node.names if a.name == "yaml"}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in yaml_names and node.attr in YAML_LOADERS):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("yaml", "ruamel"):
            found += [f"line {node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if a.name in YAML_LOADERS or node.module.startswith("ruamel") or a.name == "*"]
    return found


def test_the_scan_sees_a_yaml_loader():
    """The scan itself: each way of reaching a loader is seen."""
    code = ("import yaml\nimport yaml as y\nfrom yaml import safe_load\n"
            "a = yaml.safe_load('x')\nb = y.load('x', Loader=y.SafeLoader)\n")
    assert _yaml_loader_uses(ast.parse(code)) == [
        "line 3: from yaml import safe_load", "line 4: yaml.safe_load", "line 5: y.load", "line 5: y.SafeLoader"]


def test_only_the_config_reader_calls_a_yaml_loader():
    """Every YAML file is read through ``opspor.config_reader`` (duplicate keys refused)."""
    assert "opspor.config_reader" in MODULES and _yaml_loader_uses(TREES["opspor.config_reader"])
    offenders = {name: uses for name, tree in TREES.items()
                 if name != "opspor.config_reader" and (uses := _yaml_loader_uses(tree))}
    assert offenders == {}, "read YAML with opspor.config_reader.read_yaml / parse_yaml instead"


def _readers() -> list[tuple[str, Path, Callable[[Path], object]]]:
    """(name, shipped file, reader of one file) for every configuration file of the project."""
    from opspor.alerts import settings as alerts
    from opspor.fhir import profiles
    from opspor.monitor import definitions, register, targets
    from opspor.risk import config as risk
    from opspor.rules import load as rules
    from opspor.web.aps import rules as programme
    from opspor.web.aps.instruments import loader as instruments
    from opspor.web.messaging import policy
    from opspor.web.people import policy as role_scope

    return [
        ("code lists", rules.CONFIG_DIR / rules.CODE_LISTS_FILE, rules.load_code_lists),
        ("repeated acute rule", rules.CONFIG_DIR / rules.REPEATED_ACUTE_FILE, rules.load_repeated_acute),
        ("APS eligibility rule", rules.CONFIG_DIR / rules.APS_ELIGIBILITY_FILE, rules.load_aps_eligibility),
        ("risk features", risk.CONFIG_DIR / risk.FEATURES_FILE, risk.load_features),
        ("risk outcome", risk.CONFIG_DIR / risk.OUTCOME_FILE, risk.load_outcome),
        ("risk model", risk.CONFIG_DIR / risk.MODEL_FILE, risk.load_model),
        ("indicators", definitions.CONFIG_DIR / definitions.INDICATORS_FILE,
         definitions.load_indicators),
        ("targets", targets.CONFIG_FILE, targets.load_targets),
        ("monitoring register", register.EXAMPLE_FILE, register.load_register),
        ("data alerts", alerts.CONFIG_FILE, alerts.load_config),
        ("FHIR profile", profiles.CONFIG_DIR / profiles.PROFILES["medcom-carecommunication"], read_profile),
        ("messages policy", policy.POLICY_FILE, policy.load_policy),
        ("address book", policy.SYNTHETIC_ADDRESSBOOK, policy.load_addressbook),
        ("APS programme", programme.SHIPPED, programme.load),
        ("APS instrument", instruments.CONFIG_DIR / "who5.yaml", instruments.load_file),
        ("role scope policy", role_scope.POLICY_FILE, role_scope.load_policy),
    ]


READERS = _readers()


def _copy(tmp_path: Path, shipped: Path, text: str) -> Path:
    """The package's YAML files copied (a file may name others by a relative path), the one
    file changed."""
    for source in PACKAGE.rglob("*.yaml"):
        target = tmp_path / source.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    path = tmp_path / shipped.relative_to(PACKAGE)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "shipped", "read"), READERS, ids=[r[0] for r in READERS])
def test_every_configuration_file_refuses_duplicate_and_unknown_keys_alike(tmp_path, name, shipped, read):
    text = shipped.read_text(encoding="utf-8")
    read(_copy(tmp_path / "as_shipped", shipped, text))  # the copy as such is good

    path = _copy(tmp_path / "twice", shipped, text + '\nversion: "99"\n')
    with pytest.raises(config_reader.ConfigError) as twice:
        read(path)
    assert str(path).endswith(twice.value.file) and twice.value.key.startswith("line ")
    assert str(twice.value).startswith(f"{twice.value.file}: at line ")
    assert "not valid YAML: duplicate key 'version'. Fix: correct the YAML at that place" in str(twice.value)

    path = _copy(tmp_path / "unknown", shipped, text + "\nversoin: 2\n")
    with pytest.raises(config_reader.ConfigError) as unknown:
        read(path)
    assert str(path).endswith(unknown.value.file)
    assert str(unknown.value).startswith(
        f"{unknown.value.file}: at versoin: unknown key. Fix: did you mean `version`? allowed keys here: ")


# --------------------------------------------------------------------------- imports


def _imports(name: str) -> set[str]:
    """The opspor modules ``name`` imports anywhere in its body (inside functions too)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return out


def test_the_graph_sees_imports_inside_functions():
    assert "opspor.web.aps.models" in GRAPH["opspor.web.monitoring.rollout"]  # inside a function
    assert "opspor.monitor.report_build" in GRAPH["opspor.cli.monitor"]  # imported inside a command
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_import_cycle():
    """No two modules import each other, directly or round a loop (a package's ``__init__``
    re-exporting its own modules aside)."""
    inits = {name for name, path in MODULES.items() if path.name == "__init__.py"}
    graph = {a: {b for b in bs if b not in inits} for a, bs in GRAPH.items()}
    assert _cycles(graph) == []
    assert "opspor.risk.features" not in GRAPH["opspor.risk.config"]
    assert not any(b.startswith("opspor.monitor.report_build") for b in GRAPH["opspor.web.monitoring.publish"])


def test_the_computation_never_imports_the_web_app_or_the_command_line():
    """``opspor.alerts`` <-> ``opspor.web.alerts`` and the like: the web app and the CLI use the
    computing packages, never the other way round (publishing is handed in by the CLI)."""
    wrong = sorted(f"{a} -> {b}" for a, bs in GRAPH.items() for b in bs
                   if not a.startswith(("opspor.web", "opspor.cli"))
                   and (b.startswith("opspor.web") or b.startswith("opspor.cli")))
    assert wrong == []
    assert not any(b.startswith("opspor.web.alerts") for a in GRAPH if a.startswith("opspor.alerts")
                   for b in GRAPH[a])


# The web apps, lowest first: an app imports only apps below it (docs/architecture.md).
WEB_LAYERS = ("accounts", "core", "audit", "people", "worklists", "aps", "trial", "messaging",
              "alerts", "monitoring", "telemonitoring", "directory", "signin", "citizen", "acute", "inbound",
              "careplan", "riskmonitor")

# Imports against that direction that are still there (issue 18 item 5): each is named so that
# no new one comes in unnoticed, and the test fails when one goes, so that it is struck off here.
WEB_BACK_EDGES = {
    ("accounts.demo", "people.models"),  # demo data: belongs above the apps it fills
    ("accounts.demo", "worklists.models"),
    ("accounts.views", "audit"),  # login/logout audit entries
    ("accounts.views", "audit.actions"),
    ("accounts.actions", "audit"),  # TOTP enrolment writes its audit entry
    ("accounts.organisations", "audit"),  # adding the reference organisations is audited
    ("accounts.organisations", "audit.actions"),
    ("accounts.demo", "audit"),  # making the demo users is audited
    ("accounts.demo", "audit.actions"),
    ("accounts.admin", "audit"),  # the admin's changes of users and organisations are audited
    ("accounts.admin", "audit.actions"),
    ("accounts.actions", "audit.actions"),
    ("people.views", "worklists.models"),  # the person page shows list entries and screenings
    ("people.scope", "aps.models"),  # municipalities see persons included in the programme (CaseQuerySet.INCLUDED)
    ("core.views", "audit"),  # the home page: counts of every app, audited
    ("core.views", "audit.actions"),
    ("core.views", "people.scope"),
    ("core.views", "worklists.models"),
    ("worklists.publish", "aps"),  # publishing a run hands the pool to aps.publish (aps writes its own table)
    ("worklists.publish", "aps.publish"),
    ("worklists.actions", "messaging"),  # MDT and screening queue messages
    ("worklists.actions", "messaging.actions"),
    ("aps.actions", "messaging"),
    ("aps.actions", "messaging.actions"),
    ("aps.actions", "trial"),  # invitation randomises when the programme is a trial
    ("aps.actions", "trial.actions"),
    ("aps.views", "trial"),
    ("aps.views", "trial.actions"),
}


def _web_app(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "web" and parts[2] in WEB_LAYERS else None


def test_the_web_apps_import_each_other_in_one_direction():
    assert {p.name for p in (PACKAGE / "web").iterdir() if (p / "apps.py").is_file()} == set(WEB_LAYERS)
    back = set()
    for a, bs in GRAPH.items():
        for b in bs:
            app_a, app_b = _web_app(a), _web_app(b)
            if app_a and app_b and WEB_LAYERS.index(app_a) < WEB_LAYERS.index(app_b):
                back.add((a.removeprefix("opspor.web."), b.removeprefix("opspor.web.")))
    assert sorted(back - WEB_BACK_EDGES) == [], "an app imports one above it: see docs/architecture.md"
    assert sorted(WEB_BACK_EDGES - back) == [], "gone: strike it off WEB_BACK_EDGES"


# --------------------------------------------------------------------------- engines

# Where DuckDB is used directly: the engines, and the parts that build or describe a snapshot
# (ingest, the store, the FHIR import's staging database, the truth file of synthetic data).
DUCKDB_ALLOWED = ("opspor.engines", "opspor.ingest", "opspor.store", "opspor.fhir.contract.imports",
                  "opspor.risk.truth")


def _duckdb_uses(tree: ast.AST) -> list[str]:
    """``duckdb.connect(...)`` calls and imports of the DuckDB dialect in a module."""
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "duckdb" and node.attr == "connect"):
            found.append(f"line {node.lineno}: duckdb.connect")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("opspor.engines.duckdb"):
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Name) and node.id == "DIALECT":
            found.append(f"line {node.lineno}: DIALECT")
    return found


def test_the_scan_sees_a_duckdb_connection():
    tree = ast.parse("import duckdb\ncon = duckdb.connect('x')\nfrom opspor.engines.duckdb import DIALECT\n"
                     "q = DIALECT.quote('a')\n")
    assert len(_duckdb_uses(tree)) == 3


def test_only_the_engines_open_a_snapshot_or_name_a_dialect():
    """Every reader of a snapshot goes through an engine (opspor.engines.connect) and its
    dialect, so that each runs on DuckDB and Spark alike."""
    wrong = {name: uses for name, tree in TREES.items()
             if not name.startswith(DUCKDB_ALLOWED) and (uses := _duckdb_uses(tree))}
    assert wrong == {}
    store_connects = sorted(
        name for name, tree in TREES.items() if not name.startswith(DUCKDB_ALLOWED)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "connect"
        and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "SnapshotStore")
    assert store_connects == []
