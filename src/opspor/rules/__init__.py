"""Case-finding rules: rules as data (YAML -> frozen objects), one meaning, several engines.

* :mod:`~opspor.rules.codes`     code lists and how a code matches
* :mod:`~opspor.rules.model`     the rule objects (and the few shared definitions: cut-off, age)
* :mod:`~opspor.rules.load`      YAML files in ``rules/config`` -> rule objects, with clear errors
* :mod:`~opspor.rules.reference_engine`  plain Python; defines what a rule means
* :mod:`~opspor.rules.sql`       SQL shared by SQL engines; :mod:`~opspor.rules.duckdb_engine`
* :mod:`~opspor.rules.results`   the rows every engine returns

Every engine module exposes ``repeated_acute_list(con, run_day, rule)`` and
``aps_eligibility(con, as_of, rule)``; see ``docs/rules.md``.
"""

from __future__ import annotations

from datetime import date

import duckdb

from opspor.rules import duckdb_engine, reference_engine
from opspor.rules.load import (
    RuleConfigError,
    load_aps_eligibility,
    load_code_lists,
    load_repeated_acute,
)
from opspor.rules.model import EligibilityRule, RepeatedAcuteRule
from opspor.rules.results import EligibilityRow, ListLine

ENGINES = {reference_engine.NAME: reference_engine, duckdb_engine.NAME: duckdb_engine}
DEFAULT_ENGINE = duckdb_engine.NAME


def repeated_acute_list(
    con: duckdb.DuckDBPyConnection,
    run_day: date,
    rule: RepeatedAcuteRule | None = None,
    engine: str = DEFAULT_ENGINE,
) -> list[ListLine]:
    """The department list lines for ``run_day`` (shipped rule unless ``rule`` is given)."""
    return ENGINES[engine].repeated_acute_list(con, run_day, rule or load_repeated_acute())


def aps_eligibility(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    rule: EligibilityRule | None = None,
    engine: str = DEFAULT_ENGINE,
) -> list[EligibilityRow]:
    """Aktiv Patientstøtte eligibility on ``as_of`` (shipped rule unless ``rule`` is given)."""
    return ENGINES[engine].aps_eligibility(con, as_of, rule or load_aps_eligibility())


__all__ = [
    "DEFAULT_ENGINE",
    "aps_eligibility",
    "repeated_acute_list",
    "ENGINES",
    "RuleConfigError",
    "load_aps_eligibility",
    "load_code_lists",
    "load_repeated_acute",
]
