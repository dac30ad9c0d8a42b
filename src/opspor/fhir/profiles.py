"""Profile validation of messages: the base FHIR rules by the ``fhir.resources`` models, then the
profile's own constraints, kept as versioned data in ``profiles_config/*.yaml`` and interpreted
here. Outgoing messages are checked before they are queued (``check``); incoming
HospitalNotifications are checked by the same rules before they are read
(``fhir/medcom_inbound.py``, ``findings(..., base=False)``).

No Python library validates StructureDefinition profiles and the HL7 Java validator cannot be
fetched where opspor is built, so the constraints of the MedCom profiles were read from their
FSH sources and written down as rules (docs/messages.md says which, and what is not checked).

A rule names a *context* (default: the Bundle) and a *path* below it, in a small FHIRPath-like
language::

    Bundle.entry.resource.ofType(Communication)      resources of one type in the bundle
    payload.where(contentString)                      items where a sub-path exists
    identifier.where(system='urn:oid:1.3.88')         ... or has a value (also !=)
    extension('http://...')                           extensions with that url
    subject.reference.resolve()                       the bundle entry a reference points to
    entry[0]                                          one item of a list

and what must hold for each context item: ``min``/``max`` (how many values the path has),
``fixed`` (every value equals), ``includes`` (some value equals), ``in`` (every value is one
of), ``pattern`` (every value matches the regular expression), ``resolves`` (every value is a
reference to a bundle entry of one of these types), ``among`` (every value is one of the values
of another path from the Bundle), ``datetime`` (every value is an ISO 8601 date-time with its
time zone), ``not_before`` (every value is a date-time not before that of another path of the
same context), and ``when`` (the rule applies only if a path has / lacks a value or equals
something). Every finding names the concrete element path and the rule. A rule may also say how
a refusal to the sender names the element (``element``), the problem (``problem``; ``{value}``
is the value found) and the fix (``fix``): the finding carries them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from opspor import config_reader

CONFIG_DIR = Path(__file__).with_name("profiles_config")
PROFILES = {
    "medcom-carecommunication": "medcom-carecommunication-5.0.4.yaml",
    "opspor-data-alert": "opspor-data-alert-1.yaml",
    "medcom-hospitalnotification": "medcom-hospitalnotification-opspor-1.yaml",
    "medcom-carecommunication-inbound": "medcom-carecommunication-inbound-opspor-1.yaml",
}
_RULE_KEYS = {"id", "source", "description", "context", "path", "min", "max", "fixed", "includes", "in",
              "pattern", "resolves", "among", "when", "xor", "datetime", "not_before", "element", "problem", "fix"}
_CHECKS = {"min", "max", "fixed", "includes", "in", "pattern", "resolves", "among", "xor", "datetime", "not_before"}
_WHEN_KEYS = {"path", "exists", "equals", "not_equals"}


class ProfileConfigError(config_reader.ConfigError):
    """A profile's rule file cannot be used (file, key, problem, fix)."""


class _Ctx(config_reader.Ctx):
    error_class = ProfileConfigError


@dataclass(frozen=True)
class Finding:
    path: str
    rule: str
    message: str
    element: str = ""  # how a refusal names the element (the rule's ``element``), else the path
    fix: str = ""  # the rule's ``fix``, if it gives one

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.rule}]"


class ProfileError(ValueError):
    """A message does not conform; ``findings`` lists every problem."""

    def __init__(self, profile: str, findings: list[Finding]) -> None:
        self.profile = profile
        self.findings = findings
        shown = "; ".join(str(f) for f in findings[:10])
        more = f" (and {len(findings) - 10} more)" if len(findings) > 10 else ""
        super().__init__(f"the message does not conform to {profile}: {shown}{more}")


@dataclass(frozen=True)
class Rule:
    id: str
    source: str
    path: str
    context: str = "Bundle"
    min: int | None = None
    max: int | None = None
    fixed: Any = None
    includes: Any = None
    in_: tuple = ()
    pattern: str | None = None
    resolves: tuple = ()
    among: str | None = None
    when: dict | None = None
    xor: tuple = ()
    datetime: bool = False
    not_before: str | None = None
    element: str = ""
    problem: str = ""
    fix: str = ""


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    title: str
    file: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- loading

def _load(path: Path) -> Profile:
    data, _digest = config_reader.read_yaml(path, ProfileConfigError)
    file = str(path)
    keys = ("version", "name", "title", "rules")
    config_reader.mapping(_Ctx(file), data, keys, keys, docs="see docs/messages.md")
    rules = []
    seen: set[str] = set()
    for i, raw in enumerate(data["rules"]):
        where = f"rules[{i}]"
        config_reader.mapping(_Ctx(file, where), raw, tuple(sorted(_RULE_KEYS)), docs="see docs/messages.md")
        for key in ("id", "path", "source"):
            if not raw.get(key):
                raise ProfileConfigError(file, f"{where}.{key}", "is missing", f"give the rule's {key}")
        if raw["id"] in seen:
            raise ProfileConfigError(file, f"{where}.id", f"duplicate rule id {raw['id']!r}", "give each rule its own id")
        seen.add(raw["id"])
        if not _CHECKS & set(raw):
            raise ProfileConfigError(file, where, "says nothing to check", "add min, max, fixed, includes, in, "
                                     "pattern, resolves, among, xor, datetime or not_before")
        for key in ("element", "problem", "fix", "not_before"):
            if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
                raise ProfileConfigError(file, f"{where}.{key}", "must be a non-empty text", f"give the {key} as text "
                                         "or leave the key out")
        if "datetime" in raw and raw["datetime"] is not True:
            raise ProfileConfigError(file, f"{where}.datetime", "must be true", "write `datetime: true` or leave it out")
        when = raw.get("when")
        if when is not None and (not isinstance(when, dict) or "path" not in when or set(when) - _WHEN_KEYS):
            raise ProfileConfigError(file, f"{where}.when", "must be a mapping with `path` and one of "
                                     "exists/equals/not_equals", "correct the condition")
        if "pattern" in raw:
            try:
                re.compile(raw["pattern"])
            except re.error as e:
                raise ProfileConfigError(file, f"{where}.pattern", f"not a regular expression ({e})",
                                         "correct the pattern") from None
        rules.append(Rule(
            id=raw["id"], source=raw["source"], path=raw["path"], context=raw.get("context", "Bundle"),
            min=raw.get("min"), max=raw.get("max"), fixed=raw.get("fixed"), includes=raw.get("includes"),
            in_=tuple(raw.get("in", ())), pattern=raw.get("pattern"), resolves=tuple(raw.get("resolves", ())),
            among=raw.get("among"), when=when, xor=tuple(raw.get("xor", ())), datetime=bool(raw.get("datetime")),
            not_before=raw.get("not_before"), element=raw.get("element", ""), problem=raw.get("problem", ""),
            fix=raw.get("fix", ""),
        ))
    return Profile(name=data["name"], version=str(data["version"]), title=data["title"], file=file,
                   rules=tuple(rules))


@cache
def profile(name: str) -> Profile:
    try:
        filename = PROFILES[name]
    except KeyError:
        raise ProfileConfigError(str(CONFIG_DIR), name, "unknown profile", f"use one of {', '.join(PROFILES)}") from None
    return _load(CONFIG_DIR / filename)


# --------------------------------------------------------------------------- paths

Node = tuple[str, Any]  # (concrete element path, value)
_STEP = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<arg>.*)\))?(?:\[(?P<index>\d+)\])?$", re.DOTALL)
_COND = re.compile(r"^\s*(?P<path>[^=!]+?)\s*(?:(?P<op>!=|=)\s*'(?P<value>[^']*)')?\s*$")


def _split(path: str) -> list[str]:
    steps, depth, quoted, current = [], 0, False, ""
    for ch in path:
        if ch == "'" :
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == "." and depth == 0 and not quoted:
            steps.append(current)
            current = ""
        else:
            current += ch
    steps.append(current)
    return [s for s in steps if s]


def _children(node: Node, name: str) -> Iterator[Node]:
    """The values of ``name`` below ``node``; an empty text or null is no value (as in FHIR)."""
    path, value = node
    if not isinstance(value, dict) or name not in value:
        return
    child = value[name]
    if isinstance(child, list):
        for i, item in enumerate(child):
            if item not in (None, ""):
                yield _label(f"{path}.{name}[{i}]", item), item
    elif child not in (None, ""):
        yield _label(f"{path}.{name}", child), child


def _label(path: str, value: Any) -> str:
    if path.endswith(".resource") and isinstance(value, dict) and "resourceType" in value:
        return f"{path}({value['resourceType']})"
    return path


class _Bundle:
    def __init__(self, bundle: dict) -> None:
        self.root: Node = ("Bundle", bundle)
        self.by_ref: dict[str, Node] = {}
        entries = bundle.get("entry") if isinstance(bundle.get("entry"), list) else []
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                continue
            node = (f"Bundle.entry[{i}].resource({resource.get('resourceType', '?')})", resource)
            if entry.get("fullUrl"):
                self.by_ref[entry["fullUrl"]] = node
            if resource.get("resourceType") and resource.get("id"):
                self.by_ref[f"{resource['resourceType']}/{resource['id']}"] = node

    def eval(self, path: str, start: Node) -> list[Node]:
        steps = _split(path)
        nodes = [start]
        if steps and steps[0] == "Bundle":
            nodes, steps = [self.root], steps[1:]
        for step in steps:
            m = _STEP.match(step)
            if not m:
                raise ValueError(f"cannot read path step {step!r} in {path!r}")
            name, arg, index = m["name"], m["arg"], m["index"]
            out: list[Node] = []
            if arg is None:
                for n in nodes:
                    out.extend(_children(n, name))
            elif name == "ofType":
                out = [n for n in nodes if isinstance(n[1], dict) and n[1].get("resourceType") == arg.strip()]
            elif name == "where":
                out = [n for n in nodes if self._holds(n, arg)]
            elif name == "extension":
                url = arg.strip().strip("'")
                for n in nodes:
                    out.extend(c for c in _children(n, "extension") if isinstance(c[1], dict) and c[1].get("url") == url)
            elif name == "resolve":
                out = [found for n in nodes if (found := self.resolve(n[1])) is not None]
            else:
                raise ValueError(f"unknown function {name}() in {path!r}")
            if index is not None:
                out = out[int(index):int(index) + 1]
            nodes = out
        return nodes

    def resolve(self, reference: Any) -> Node | None:
        """The bundle entry ``reference`` points to: by fullUrl or ``Type/id``, also when the
        reference is absolute (``https://host/fhir/Type/id``) and the entry's fullUrl is not."""
        if not isinstance(reference, str):
            return None
        return self.by_ref.get(reference) or self.by_ref.get("/".join(reference.split("/")[-2:]))

    def _holds(self, node: Node, condition: str) -> bool:
        m = _COND.match(condition)
        if not m:
            raise ValueError(f"cannot read condition {condition!r}")
        values = [v for _, v in self.eval(m["path"], node)]
        if m["op"] is None:
            return bool(values)
        if m["op"] == "=":
            return m["value"] in [str(v) for v in values]
        return bool(values) and m["value"] not in [str(v) for v in values]


# --------------------------------------------------------------------------- checking

def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _applies(doc: _Bundle, rule: Rule, context: Node) -> bool:
    if not rule.when:
        return True
    values = [v for _, v in doc.eval(rule.when["path"], context)]
    if "exists" in rule.when and bool(values) != bool(rule.when["exists"]):
        return False
    if "equals" in rule.when and rule.when["equals"] not in values:
        return False
    if "not_equals" in rule.when and (not values or rule.when["not_equals"] in values):
        return False
    return True


def parse_datetime(value: Any) -> dt.datetime | None:
    """An ISO 8601 date-time with its time zone (``Z`` or an offset), else None."""
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _check_rule(doc: _Bundle, rule: Rule) -> list[Finding]:
    findings: list[Finding] = []

    def bad(path: str, message: str, value: Any = None) -> None:
        if rule.problem:
            message = rule.problem.replace("{value}", _show(value) if value is not None else "none")
        findings.append(Finding(path, rule.id, message, rule.element, rule.fix))

    for context in doc.eval(rule.context, doc.root):
        if not _applies(doc, rule, context):
            continue
        nodes = doc.eval(rule.path, context)
        where = f"{context[0]}.{rule.path}" if rule.context != "Bundle" or not rule.path.startswith("Bundle") else rule.path
        if rule.min is not None and len(nodes) < rule.min:
            bad(where, f"must have at least {rule.min} value(s), has {len(nodes)}")
        if rule.max is not None and len(nodes) > rule.max:
            bad(where, f"may have at most {rule.max} value(s), has {len(nodes)}")
        if rule.includes is not None and rule.includes not in [v for _, v in nodes]:
            bad(where, f"must include {_show(rule.includes)}")
        if rule.xor:
            present = [bool(doc.eval(p, context)) for p in rule.xor]
            if sum(present) != 1:
                bad(context[0], f"exactly one of {', '.join(rule.xor)} must be present")
        allowed = None
        if rule.among:
            allowed = {v for _, v in doc.eval(rule.among, doc.root)}
        for path, value in nodes:
            if rule.fixed is not None and value != rule.fixed:
                bad(path, f"must be {_show(rule.fixed)}, is {_show(value)}", value)
            if rule.in_ and value not in rule.in_:
                bad(path, f"{_show(value)} is not one of {', '.join(map(str, rule.in_))}", value)
            if rule.pattern is not None and not (isinstance(value, str) and re.fullmatch(rule.pattern, value)):
                bad(path, f"{_show(value)} does not match {rule.pattern}", value)
            if rule.resolves:
                target = doc.by_ref.get(value) if isinstance(value, str) else None
                if target is None:
                    bad(path, f"reference {_show(value)} does not point to a resource in the bundle")
                elif target[1].get("resourceType") not in rule.resolves:
                    bad(path, f"must point to {' or '.join(rule.resolves)}, points to {target[1].get('resourceType')}")
            if allowed is not None and value not in allowed:
                bad(path, f"{_show(value)} is not one of the values of {rule.among}")
            if (rule.datetime or rule.not_before) and parse_datetime(value) is None:
                if rule.datetime:
                    bad(path, f"{_show(value)} is not a date-time with a time zone", value)
                continue
            if rule.not_before:
                earlier = [t for _, v in doc.eval(rule.not_before, context) if (t := parse_datetime(v))]
                if any(parse_datetime(value) < t for t in earlier):
                    bad(path, f"before {rule.not_before}", value)
    return findings


def base_findings(bundle: dict) -> list[Finding]:
    """The base FHIR R4(B) rules (types, required elements, choice types) by fhir.resources."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as e:
        return [Finding("Bundle." + ".".join(str(p) for p in err["loc"]) if err["loc"] else "Bundle",
                        "fhir-r4-base", err["msg"]) for err in e.errors()]
    return []


def findings(bundle: dict, name: str, base: bool = True) -> list[Finding]:
    """Every problem of ``bundle`` against the base spec (unless ``base`` is false: the profile's
    rules only, for a message received) and the profile ``name``."""
    found = base_findings(bundle) if base else []
    if not isinstance(bundle, dict):
        return found or [Finding("Bundle", "fhir-r4-base", "is not a JSON object")]
    doc = _Bundle(bundle)
    for rule in profile(name).rules:
        found.extend(_check_rule(doc, rule))
    return found


def check(bundle: dict, name: str) -> None:
    """Raise :class:`ProfileError` unless ``bundle`` conforms to the profile ``name``."""
    found = findings(bundle, name)
    if found:
        p = profile(name)
        raise ProfileError(f"{p.title} ({p.version})", found)
