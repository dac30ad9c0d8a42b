"""YAML rule files -> frozen rule objects (:mod:`opspor.rules.model`), checked on the way in.

Every problem raises :class:`RuleConfigError` naming the file, the key (a path such as
``routes[1].any_of[0].window_days``), what is wrong and how to fix it. Unknown keys are errors
(a misspelt key must not silently change a clinical rule), and so are duplicate keys. Contact
criteria and code lists are read by :mod:`opspor.rules.criteria`, the concepts by
:mod:`opspor.rules.concepts`.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any

from opspor import config_reader, contract
from opspor.rules.concepts import load_concepts
from opspor.rules.criteria import (  # noqa: F401 (CodeLists, RuleReader: the reader's API, re-exported)
    CODE_LISTS_FILE,
    CONFIG_DIR,
    CodeLists,
    RuleConfigError,
    RuleReader,
    _mapping,
    load_code_lists,
)
from opspor.rules.model import (
    COMPARE_WITH,
    EligibilityRule,
    Exclusion,
    Presence,
    RepeatedAcuteRule,
    Route,
    RuleInfo,
)

REPEATED_ACUTE_FILE = "repeated_acute.yaml"
APS_ELIGIBILITY_FILE = "aps_eligibility.yaml"

def _check_rule(ctx: config_reader.Ctx, data: Any, expected_rule: str) -> None:
    """Before anything else: is this file the rule this loader reads?"""
    if isinstance(data, dict) and "rule" in data and data["rule"] != expected_rule:
        raise ctx.at("rule").error(
            f"this loader reads `rule: {expected_rule}`, the file says {config_reader.show(data['rule'])}",
            f"load the file with the loader for its rule, or write `rule: {expected_rule}`",
        )


def _header(
    ctx: config_reader.Ctx, top: dict, rule_name: str, path: Path, digest: str
) -> tuple[RuleInfo, RuleReader]:
    """The rule's identity (name, version, source, file and hashes) and the reader of its
    criteria (its code lists and concepts)."""
    if "admission_hours" in top:
        raise ctx.at("admission_hours").error(
            "the length of an admission is defined once, in concepts.yaml",
            "remove `admission_hours` here; change `admission_hours` in concepts.yaml if needed",
        )
    version = config_reader.version(ctx.at("version"), top["version"])
    source = config_reader.text(ctx.at("source"), top["source"], "source")
    cl_path = _sibling(ctx.at("code_lists"), top["code_lists"], path)
    code_lists = load_code_lists(cl_path)
    concepts = load_concepts(_sibling(ctx.at("concepts"), top["concepts"], path))
    info = RuleInfo(
        rule_name, version, source, str(path), digest, code_lists.version, code_lists.digest,
        concepts.version, concepts.digest,
    )
    reader = RuleReader(
        str(path), code_lists, concepts.admission_hours, concepts.contacts, concepts.file,
        concepts.ages,
    )
    return info, reader


def _sibling(ctx: config_reader.Ctx, value: Any, path: Path) -> Path:
    name = config_reader.text(ctx, value, "file name")
    sibling = path.parent / name
    if not sibling.is_file():
        raise ctx.error(
            f"no file {name!r} next to the rule file", f"put {name} in {path.parent} or name the right file"
        )
    return sibling


def _time(ctx: config_reader.Ctx, value: Any) -> time:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ctx.error(
            f"YAML read an unquoted time as the number {value}",
            'quote the time: `time: "18:00"`',
        )
    if not isinstance(value, str) or not re.match(r"^\d{2}:\d{2}$", value):
        raise ctx.error(f"expected a time HH:MM, got {config_reader.show(value)}", 'write e.g. `time: "18:00"`')
    hour, minute = int(value[:2]), int(value[3:])
    if hour > 23 or minute > 59:
        raise ctx.error(f"{value!r} is not a time of day", 'write e.g. `time: "18:00"`')
    return time(hour, minute)


# --------------------------------------------------------------------------- the two rules


def load_repeated_acute(path: str | Path | None = None) -> RepeatedAcuteRule:
    path = Path(path) if path is not None else CONFIG_DIR / REPEATED_ACUTE_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    _check_rule(ctx, data, "repeated_acute")
    keys = (
        "version",
        "rule",
        "source",
        "code_lists",
        "concepts",
        "admission_hours",
        "cutoff",
        "target_group",
        "presence",
        "lines",
        "new_today",
    )
    top = _mapping(ctx, data, keys, tuple(k for k in keys if k != "admission_hours"))
    info, reader = _header(ctx, top, "repeated_acute", path, digest)

    cctx = ctx.at("cutoff")
    cutoff = _mapping(cctx, top["cutoff"], ("days_before_run", "time"), ("days_before_run", "time"))
    pctx = ctx.at("presence")
    presence = _mapping(
        pctx, top["presence"], ("contact", "ended_within_hours"), ("contact", "ended_within_hours")
    )
    lctx = ctx.at("lines")
    lines = _mapping(lctx, top["lines"], ("window_days",), ("window_days",))
    nctx = ctx.at("new_today")
    new_today = _mapping(nctx, top["new_today"], ("compare_with",), ("compare_with",))
    compare_with = new_today["compare_with"]
    if compare_with not in COMPARE_WITH:
        raise nctx.at("compare_with").error(
            f"unknown value {config_reader.show(compare_with)}", f"write one of: {', '.join(COMPARE_WITH)}"
        )
    return RepeatedAcuteRule(
        info=info,
        cutoff_days_before_run=config_reader.integer(
            cctx.at("days_before_run"), cutoff["days_before_run"], 0, "days_before_run: 1"
        ),
        cutoff_time=_time(cctx.at("time"), cutoff["time"]),
        target_group=reader.count(ctx.at("target_group"), top["target_group"]),
        presence=Presence(
            contact=reader.criteria(pctx.at("contact"), presence["contact"]),
            ended_within_hours=config_reader.integer(
                pctx.at("ended_within_hours"),
                presence["ended_within_hours"],
                0,
                "ended_within_hours: 24",
            ),
        ),
        lines_window_days=config_reader.integer(lctx.at("window_days"), lines["window_days"], 1, "window_days: 182"),
        compare_with=compare_with,
        admission_hours=reader.admission_hours,
    )


def load_aps_eligibility(path: str | Path | None = None) -> EligibilityRule:
    path = Path(path) if path is not None else CONFIG_DIR / APS_ELIGIBILITY_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    _check_rule(ctx, data, "aps_eligibility")
    keys = ("version", "rule", "source", "code_lists", "concepts", "admission_hours", "routes",
            "exclusions")
    top = _mapping(ctx, data, keys, tuple(k for k in keys if k != "admission_hours"))
    info, reader = _header(ctx, top, "aps_eligibility", path, digest)

    rctx = ctx.at("routes")
    if not isinstance(top["routes"], list) or not top["routes"]:
        raise rctx.error(
            "expected a non-empty list of routes", "write `routes:` followed by `- id: ...` items"
        )
    routes: list[Route] = []
    for i, raw in enumerate(top["routes"]):
        ictx = rctx.at(i)
        body = _mapping(ictx, raw, ("id", "min_age", "age", "any_of"), ("id", "any_of"))
        route_id = config_reader.ident(ictx.at("id"), body["id"], "id")
        if any(r.id == route_id for r in routes):
            raise ictx.at("id").error(
                f"route id {route_id!r} is used twice", "give each route its own id"
            )
        actx = ictx.at("any_of")
        if not isinstance(body["any_of"], list) or not body["any_of"]:
            raise actx.error(
                "expected a non-empty list of conditions",
                "write `any_of:` followed by `- window_days: ...`",
            )
        routes.append(
            Route(
                id=route_id,
                min_age=reader.min_age(ictx, body),
                any_of=tuple(reader.count(actx.at(j), c) for j, c in enumerate(body["any_of"])),
            )
        )

    ectx = ctx.at("exclusions")
    raw_ex = top["exclusions"] if top["exclusions"] is not None else []
    if not isinstance(raw_ex, list):
        raise ectx.error(
            "expected a list of exclusions", "write `exclusions:` followed by `- reason: ...` items"
        )
    exclusions: list[Exclusion] = []
    kinds = ("contact", "residence_type", "dead")
    for i, raw in enumerate(raw_ex):
        ictx = ectx.at(i)
        body = _mapping(ictx, raw, ("reason", "window_days") + kinds, ("reason",))
        reason = config_reader.ident(ictx.at("reason"), body["reason"], "reason")
        if any(e.reason == reason for e in exclusions):
            raise ictx.at("reason").error(
                f"reason {reason!r} is used twice", "give each exclusion its own reason"
            )
        given = [k for k in kinds if k in body]
        if len(given) != 1:
            raise ictx.error(
                f"an exclusion needs exactly one of {', '.join(kinds)}; found {given or 'none'}",
                "split it into one exclusion per kind, each with its own reason",
            )
        if "window_days" in body and given != ["contact"]:
            raise ictx.at("window_days").error(
                "only a `contact` exclusion has a window", "remove `window_days`"
            )
        kind = given[0]
        if kind == "contact":
            window = body.get("window_days")
            exclusions.append(
                Exclusion(
                    reason,
                    contact=reader.criteria(ictx.at("contact"), body["contact"]),
                    window_days=None
                    if window is None
                    else config_reader.integer(ictx.at("window_days"), window, 1, "window_days: 365"),
                )
            )
        elif kind == "residence_type":
            exclusions.append(
                Exclusion(
                    reason,
                    residence_type=config_reader.choices(ictx.at(kind), body[kind], contract.RESIDENCE_TYPES),
                )
            )
        else:
            if body[kind] is not True:
                raise ictx.at(kind).error(
                    "only `dead: true` is meaningful", "write `dead: true` or remove the exclusion"
                )
            exclusions.append(Exclusion(reason, dead=True))

    return EligibilityRule(
        info=info,
        admission_hours=reader.admission_hours,
        routes=tuple(routes),
        exclusions=tuple(exclusions),
    )
