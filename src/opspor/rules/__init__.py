"""Case-finding rules: rules as data (YAML -> frozen objects), one meaning, several engines.

* :mod:`~opspor.rules.codes`     code lists and how a code matches
* :mod:`~opspor.rules.model`     the rule objects (and the few shared definitions: cut-off, age)
* :mod:`~opspor.rules.load`      YAML files in ``rules/config`` -> rule objects, with clear errors
* :mod:`~opspor.rules.reference_engine`  plain Python; defines what a rule means
* :mod:`~opspor.rules.sql`       SQL shared by SQL engines, run by :mod:`~opspor.rules.sql_engine`
* :mod:`~opspor.rules.results`   the rows every engine returns

The functions below take an engine (:mod:`opspor.engines`, made from a connection string): the
reference engine evaluates the rule in Python, every other engine runs its SQL; see
``docs/rules.md``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from opspor.rules import reference_engine, sql_engine
from opspor.rules.load import (
    RuleConfigError,
    load_aps_eligibility,
    load_code_lists,
    load_repeated_acute,
)
from opspor.rules.model import EligibilityRule, RepeatedAcuteRule
from opspor.rules.results import EligibilityRow, ListLine

if TYPE_CHECKING:
    from opspor.engines import Engine


def evaluator(engine: Engine):
    """The module that evaluates rules on ``engine``: the reference engine's Python, or SQL."""
    return reference_engine if engine.reference else sql_engine


def repeated_acute_list(
    engine: Engine, run_day: date, rule: RepeatedAcuteRule | None = None
) -> list[ListLine]:
    """The department list lines for ``run_day`` (shipped rule unless ``rule`` is given)."""
    return evaluator(engine).repeated_acute_list(engine, run_day, rule or load_repeated_acute())


def aps_eligibility(
    engine: Engine, as_of: date, rule: EligibilityRule | None = None
) -> list[EligibilityRow]:
    """Aktiv Patientstøtte eligibility on ``as_of`` (shipped rule unless ``rule`` is given)."""
    return evaluator(engine).aps_eligibility(engine, as_of, rule or load_aps_eligibility())


__all__ = [
    "aps_eligibility",
    "evaluator",
    "repeated_acute_list",
    "RuleConfigError",
    "load_aps_eligibility",
    "load_code_lists",
    "load_repeated_acute",
]
