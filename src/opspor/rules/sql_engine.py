"""The rules in SQL: the text of :mod:`opspor.rules.sql`, in the engine's dialect, run by any
SQL engine (:mod:`opspor.engines`: DuckDB, Spark), rows turned into the shared results."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from opspor.rules import sql
from opspor.rules.model import EligibilityRule, RepeatedAcuteRule
from opspor.rules.results import (
    LIST_COLUMNS,
    EligibilityRow,
    ListLine,
    sort_eligibility,
    sort_lines,
)

if TYPE_CHECKING:
    from opspor.engines import Engine


def repeated_acute_list(engine: Engine, run_day: date, rule: RepeatedAcuteRule) -> list[ListLine]:
    rows = engine.rows(sql.repeated_acute_sql(engine.dialect, rule, run_day))
    return sort_lines([ListLine(**dict(zip(LIST_COLUMNS, row, strict=True))) for row in rows])


def aps_eligibility(engine: Engine, as_of: date, rule: EligibilityRule) -> list[EligibilityRow]:
    query, n_routes, n_exclusions = sql.eligibility_sql(engine.dialect, rule, as_of)
    out = []
    for person_key, cpr, region_code, municipality_code, *flags in engine.rows(query):
        route_flags, exclusion_flags = flags[:n_routes], flags[n_routes:]
        reasons = [
            ex.reason for ex, hit in zip(rule.exclusions, exclusion_flags, strict=True) if hit
        ]
        out.append(
            EligibilityRow(
                cpr=cpr,
                region_code=region_code,
                municipality_code=municipality_code,
                routes=[r.id for r, hit in zip(rule.routes, route_flags, strict=True) if hit],
                excluded=bool(reasons),
                exclusion_reasons=reasons,
                person_key=person_key,
            )
        )
    return sort_eligibility(out)
