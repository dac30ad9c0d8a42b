"""The SQL of the indicators: one query per indicator version, set-based in DuckDB on a snapshot.

Every query returns rows per (period, municipality, region, age band) so that crude and
age-standardised figures can both be made from them (:mod:`opspor.monitor.indicators`):

    period, municipality_code, region_code, band, numerator, count, denominator, extra

* ``numerator`` — events (``rate``), persons (``persons``), value (``value``, scaled) or
  readmitted discharges (``proportion``);
* ``count`` — what small-number suppression looks at: events, persons, persons with a value,
  readmissions;
* ``denominator`` — persons in the population at the period's start (``rate``, ``persons``,
  ``value``) or index discharges (``proportion``);
* ``extra`` — contacts without a value (``value``), discharges whose 30 days run past the data
  (``proportion``), else 0.

The population of a period is fixed at its first day P0 (00:00): persons born on or before P0,
alive at P0 (no death date, or a death date on or after P0), aged within the band at P0 (completed
years, as :func:`opspor.rules.model.age_on`), and — for a condition — with a contact carrying the
condition's diagnosis that started in ``[P0 - lookback_days, P0)``. Events are counted for the
persons of that population only. The municipality is the one in the snapshot (the latest known).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opspor import dates
from opspor.monitor.definitions import Condition, Events, IndicatorVersion, StandardPopulation
from opspor.rules import sql as rules_sql
from opspor.rules.model import ContactCriteria
from opspor.rules.sql import Dialect

PERIOD_KINDS = ("year", "month")


@dataclass(frozen=True)
class Period:
    label: str  # "2024" or "2024-03"
    start: dt.date  # P0, included
    end: dt.date  # P1, excluded

    @property
    def kind(self) -> str:
        return "month" if len(self.label) == 7 else "year"


def years(first: int, last: int) -> list[Period]:
    return [Period(str(y), dt.date(y, 1, 1), dt.date(y + 1, 1, 1)) for y in range(first, last + 1)]


def months(first: int, last: int) -> list[Period]:
    out = []
    for y in range(first, last + 1):
        for m in range(1, 13):
            first = dt.date(y, m, 1)
            out.append(Period(f"{y}-{m:02d}", first, dates.next_month(first)))
    return out


def _q(name: str) -> str:
    return Dialect().quote(name)  # one spelling: DuckDB's, which engines translate


def _criteria(crit: ContactCriteria, alias: str, d: Dialect) -> str:
    # The rules' own SQL for a contact criteria (admission and preceded_by are refused by the
    # indicator loader, so no reference time is needed).
    return rules_sql.Builder(d, None).criteria(crit, alias, "contacts", None)


def _lasts(events: Events, alias: str, data_end: dt.datetime, d: Dialect) -> str:
    """The contact lasted ``min_hours`` or more; an open contact counts up to the data's end."""
    if events.min_hours is None:
        return "TRUE"
    start = f"{alias}.{_q('start')}"
    end = f"COALESCE({alias}.{_q('end')}, {d.timestamp(data_end)})"
    return f"COALESCE({d.add_hours(start, events.min_hours)} <= {end}, FALSE)"


def _age(birth: str, day: str) -> str:
    """Completed years at ``day`` (both DATE expressions)."""
    return (f"(year({day}) - year({birth}) - CASE WHEN month({birth}) > month({day}) OR "
            f"(month({birth}) = month({day}) AND day({birth}) > day({day})) THEN 1 ELSE 0 END)")


def _band(age: str, standard: StandardPopulation) -> str:
    whens = " ".join(f"WHEN {age} >= {a} THEN {a}" for a in reversed(standard.band_starts()) if a > 0)
    return f"CASE {whens} ELSE 0 END"


def _periods_cte(periods: list[Period]) -> str:
    values = ", ".join(f"('{p.label}', DATE '{p.start}', DATE '{p.end}')" for p in periods)
    return f"periods(period, d0, d1) AS (VALUES {values})"


def _cohort_filter(v: IndicatorVersion) -> str:
    """On a relation with columns birth_date, death_date, d0 and age."""
    parts = ["birth_date <= d0", "(death_date IS NULL OR death_date >= d0)",
             f"age >= {v.population.min_age}"]
    if v.population.max_age is not None:
        parts.append(f"age <= {v.population.max_age}")
    return " AND ".join(parts)


def _condition_ctes(v: IndicatorVersion, conditions: dict[str, Condition], d: Dialect) -> list[str]:
    """``cond``: (period, person_key), once each, of the persons with one of the population's
    conditions."""
    if not v.population.condition_any:
        return []
    parts = []
    for key in v.population.condition_any:
        c = conditions[key]
        parts.append(
            f"SELECT pr.period, c.person_key FROM contacts c JOIN periods pr "
            f"ON c.{_q('start')} < CAST(pr.d0 AS TIMESTAMP) "
            f"AND c.{_q('start')} >= CAST(pr.d0 AS TIMESTAMP) - INTERVAL '{c.lookback_days}' DAY "
            f"WHERE {_criteria(c.contact, 'c', d)}"
        )
    return [f"cond AS (SELECT DISTINCT period, person_key FROM ({' UNION ALL '.join(parts)}) u)"]


def _population_rows(v: IndicatorVersion, standard: StandardPopulation) -> str:
    """Persons of the population per (period, municipality, region, band)."""
    age = _age("p.birth_date", "pr.d0")
    if v.population.condition_any:
        source = ("cond cs JOIN persons p "
                  "ON p.person_key = cs.person_key JOIN periods pr ON pr.period = cs.period")
    else:
        source = "periods pr CROSS JOIN persons p"
    return (
        f"pop AS (SELECT period, municipality_code, region_code, {_band('age', standard)} AS band, "
        f"count(*) AS n FROM (SELECT pr.period, pr.d0, p.municipality_code, p.region_code, "
        f"p.birth_date, p.death_date, {age} AS age FROM {source}) x "
        f"WHERE {_cohort_filter(v)} GROUP BY ALL)"
    )


def _event_persons(v: IndicatorVersion, relation: str, when: str, standard: StandardPopulation) -> str:
    """Join ``relation`` (person_key + timestamp column ``when``) to its period and person, keeping
    the persons of the population; adds period, d0, municipality_code, region_code, band."""
    age = _age("p.birth_date", "pr.d0")
    cond_join = ("JOIN cond ON cond.period = pr.period AND cond.person_key = e.person_key "
                 if v.population.condition_any else "")
    inner = (
        f"SELECT e.*, pr.period, pr.d0, p.municipality_code, p.region_code, p.birth_date, "
        f"p.death_date, {age} AS age FROM {relation} e "
        f"JOIN periods pr ON e.{_q(when)} >= CAST(pr.d0 AS TIMESTAMP) "
        f"AND e.{_q(when)} < CAST(pr.d1 AS TIMESTAMP) {cond_join}"
        f"JOIN persons p ON p.person_key = e.person_key"
    )
    return f"SELECT x.*, {_band('age', standard)} AS band FROM ({inner}) x WHERE {_cohort_filter(v)}"


def episode_ctes(v: IndicatorVersion, d: Dialect) -> list[str]:
    """The CTEs ``cc`` and ``entries`` of a ``persons`` indicator: ``entries`` holds
    (person_key, start) of every contact that makes its person count (the ``at_least``-th within
    ``window_days``). Shared with the data alerts (:mod:`opspor.alerts`), so both count the same
    patients."""
    ep = v.episode
    s = _q("start")
    part = "person_key, hospital_unit" if ep.same_hospital_unit else "person_key"
    return [
        f"cc AS (SELECT c.person_key, c.hospital_unit, c.{s} FROM contacts c "
        f"WHERE {_criteria(ep.contact, 'c', d)})",
        f"entries AS (SELECT person_key, {s} FROM (SELECT person_key, {s}, "
        f"lag({s}, {ep.at_least - 1}) OVER (PARTITION BY {part} ORDER BY {s}) AS prev FROM cc) "
        f"WHERE prev > {s} - INTERVAL '{ep.window_days}' DAY)",
    ]


def age_sql(birth: str, day: str) -> str:
    """Completed years at ``day`` (both DATE expressions); public for :mod:`opspor.alerts`."""
    return _age(birth, day)


def cohort_filter_sql(v: IndicatorVersion) -> str:
    """The population filter of a period (born by P0, alive at P0, within the ages) on a relation
    with columns birth_date, death_date, d0 and age; public for :mod:`opspor.alerts`."""
    return _cohort_filter(v)


def indicator_sql(v: IndicatorVersion, periods: list[Period], conditions: dict[str, Condition],
                  standard: StandardPopulation, data_end: dt.datetime, d: Dialect) -> str:
    ctes = [_periods_cte(periods), *_condition_ctes(v, conditions, d)]
    s, e = _q("start"), _q("end")
    if v.kind in ("rate", "value"):
        value = f"c.{_q(v.value_column)}" if v.kind == "value" else "NULL"
        ctes.append(
            f"ev AS (SELECT c.person_key, c.{s}, {value} AS value FROM contacts c "
            f"WHERE {_criteria(v.events.contact, 'c', d)} AND {_lasts(v.events, 'c', data_end, d)})")
        ctes.append(f"evp AS ({_event_persons(v, 'ev', 'start', standard)})")
        if v.kind == "rate":
            num = "count(*) AS numerator, count(*) AS count, 0 AS extra"
        else:
            num = (f"sum(COALESCE(value, 0)) * {v.value_scale!r} AS numerator, "
                   "count(DISTINCT person_key) AS count, count(*) FILTER (WHERE value IS NULL) AS extra")
        ctes.append(f"num AS (SELECT period, municipality_code, region_code, band, {num} "
                    "FROM evp GROUP BY ALL)")
        ctes.append(_population_rows(v, standard))
    elif v.kind == "persons":
        ctes.extend(episode_ctes(v, d))
        ctes.append(f"evp AS ({_event_persons(v, 'entries', 'start', standard)})")
        ctes.append("num AS (SELECT period, municipality_code, region_code, band, "
                    "count(DISTINCT person_key) AS numerator, count(DISTINCT person_key) AS count, "
                    "0 AS extra FROM evp GROUP BY ALL)")
        ctes.append(_population_rows(v, standard))
    elif v.kind == "proportion":
        r = v.readmission
        ctes.append(
            f"idx AS (SELECT c.contact_id, c.person_key, c.{e} FROM contacts c WHERE c.{e} IS NOT NULL "
            f"AND {_criteria(v.events.contact, 'c', d)} AND {_lasts(v.events, 'c', data_end, d)})")
        ctes.append(
            f"re AS (SELECT c.contact_id, c.person_key, c.{s} FROM contacts c "
            f"WHERE {_criteria(r.events.contact, 'c', d)} AND {_lasts(r.events, 'c', data_end, d)})")
        ctes.append(
            f"readm AS (SELECT DISTINCT i.contact_id FROM idx i JOIN re r ON r.person_key = i.person_key "
            f"AND r.contact_id <> i.contact_id AND r.{s} >= i.{e} "
            f"AND r.{s} <= i.{e} + INTERVAL '{r.within_days}' DAY)")
        ctes.append(f"evp AS ({_event_persons(v, 'idx', 'end', standard)} "
                    f"AND (x.death_date IS NULL OR x.death_date > CAST(x.{e} AS DATE)))")
        late = d.timestamp(data_end)
        ctes.append(
            "num AS (SELECT period, municipality_code, region_code, band, "
            "count(readm.contact_id) AS numerator, count(readm.contact_id) AS count, "
            f"count(*) FILTER (WHERE evp.{e} + INTERVAL '{r.within_days}' DAY > {late}) AS extra, "
            "count(*) AS n FROM evp LEFT JOIN readm ON readm.contact_id = evp.contact_id GROUP BY ALL)")
        ctes.append("pop AS (SELECT period, municipality_code, region_code, band, n FROM num)")
    else:  # pragma: no cover - the loader refuses other kinds
        raise ValueError(v.kind)
    return (
        "WITH " + ",\n".join(ctes) + "\n"
        "SELECT pop.period, pop.municipality_code, pop.region_code, pop.band, "
        "COALESCE(num.numerator, 0) AS numerator, COALESCE(num.count, 0) AS count, "
        "pop.n AS denominator, COALESCE(num.extra, 0) AS extra "
        "FROM pop LEFT JOIN num ON num.period = pop.period "
        "AND num.municipality_code IS NOT DISTINCT FROM pop.municipality_code "
        "AND num.region_code IS NOT DISTINCT FROM pop.region_code AND num.band = pop.band "
        "ORDER BY 1, 2, 3, 4"
    )


def bounds_sql() -> str:
    """The data's first and last contact start, and its latest known moment (a start or an end:
    how long an open contact has lasted is counted up to it)."""
    s, e = _q("start"), _q("end")
    return f"SELECT min({s}), max({s}), max(greatest({s}, COALESCE({e}, {s}))) FROM contacts"
