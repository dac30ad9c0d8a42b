"""Red / yellow / green: a measurement, a questionnaire score or a missing measurement
classified by a patient's protocol (``protocols``) with the thresholds in force for that patient
(the protocol's, or a clinician's adjustment). Plain functions on plain values: the web app
hands in the rows and stores the verdicts (``web/telemonitoring/actions.py``).

The highest colour wins; among rules of that colour the first in the protocol is the one named.
A measurement no rule flags is green, with no rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from opspor.telemonitoring.kinds import VALUE, Catalogue
from opspor.telemonitoring.protocols import Condition, Rule

GREEN, YELLOW, RED = "green", "yellow", "red"
RANK = {GREEN: 0, YELLOW: 1, RED: 2}


@dataclass(frozen=True)
class Limit:
    """A rule with the threshold in force for one patient."""

    rule: Rule
    threshold: float
    adjusted: bool
    index: int  # 0: the value (or first component), 1: the second component


@dataclass(frozen=True)
class Verdict:
    colour: str
    rule: str = ""  # the rule that fired ("" when green)
    threshold: float | None = None
    value: float | None = None  # the number the rule looked at (for a rise: the rise)


GREEN_VERDICT = Verdict(GREEN)


def limits(catalogue: Catalogue, condition: Condition, adjusted: dict[str, float]) -> dict[str, list[Limit]]:
    """{kind: [limits in protocol order]} of ``condition`` with the patient's adjusted thresholds
    ({rule id: threshold})."""
    out: dict[str, list[Limit]] = {}
    for rule in condition.rules:
        parts = [p.name for p in catalogue.kinds[rule.kind].parts]
        index = 0 if rule.part == VALUE else parts.index(rule.part)
        threshold = adjusted.get(rule.id, rule.threshold)
        out.setdefault(rule.kind, []).append(Limit(rule, threshold, rule.id in adjusted, index))
    return out


def classify(kind_limits: Sequence[Limit], value: float, value2: float | None, effective: dt.datetime,
             earlier: Sequence[tuple[dt.datetime, float]] = ()) -> Verdict:
    """The verdict on one measurement. ``earlier``: (time, value) of the patient's earlier
    measurements of the same kind (only rise rules look at them; any order)."""
    best = GREEN_VERDICT
    for limit in kind_limits:
        rule = limit.rule
        if RANK[rule.colour] <= RANK[best.colour]:
            continue
        x = value if limit.index == 0 else value2
        if x is None:
            continue
        if rule.test == "below":
            fired, seen = x < limit.threshold, x
        elif rule.test == "above":
            fired, seen = x > limit.threshold, x
        else:  # rise over the lowest in the window before
            since = effective - dt.timedelta(days=rule.within_days)
            window = [v for t, v in earlier if since <= t < effective]
            seen = x - min(window) if window else None
            fired = seen is not None and seen > limit.threshold
        if fired:
            best = Verdict(rule.colour, rule.id, limit.threshold, seen)
    return best


@dataclass(frozen=True)
class Missing:
    kind: str
    since: dt.datetime  # the last measurement, or the start of the plan
    days: int  # the plan's missing_after_days
    colour: str


def missing(plan: dict[str, int], last: dict[str, dt.datetime | None], started: dt.datetime, now: dt.datetime,
            colour: str) -> list[Missing]:
    """The planned kinds ({kind: missing_after_days}) with no measurement for that many days
    before ``now`` (counted from the last one, or from ``started`` if none yet)."""
    out = []
    for kind, days in plan.items():
        since = last.get(kind) or started
        if now - since > dt.timedelta(days=days):
            out.append(Missing(kind, since, days, colour))
    return out
