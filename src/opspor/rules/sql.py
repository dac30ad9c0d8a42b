"""SQL generation shared by every SQL engine. Dialect differences go through :class:`Dialect`.

The queries mirror :mod:`opspor.rules.reference_engine` step by step; read them side by side.
Every boolean is made two-valued on the spot with ``COALESCE(..., FALSE)`` (or ``TRUE`` where
the rule says NULL passes), so NOT / OR never meet a NULL.

A new SQL engine (e.g. Spark SQL) subclasses :class:`Dialect`, overriding only what its SQL
spells differently, and runs the text from :func:`repeated_acute_sql` / :func:`eligibility_sql`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from opspor.rules.codes import CodeList
from opspor.rules.model import (
    ContactCriteria,
    EligibilityRule,
    RepeatedAcuteRule,
)


class Dialect:
    """ANSI-ish defaults; engines override what their SQL spells differently."""

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def string(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def timestamp(self, value: datetime) -> str:
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"

    def date(self, value: date) -> str:
        return f"DATE '{value.isoformat()}'"

    def add_days(self, expr: str, days: int) -> str:
        sign = "-" if days < 0 else "+"
        return f"({expr} {sign} INTERVAL '{abs(days)}' DAY)"

    def add_hours(self, expr: str, hours: int) -> str:
        sign = "-" if hours < 0 else "+"
        return f"({expr} {sign} INTERVAL '{abs(hours)}' HOUR)"

    def left(self, expr: str, n: int) -> str:
        """The first ``n`` characters of ``expr`` (all of it when shorter)."""
        return f"left({expr}, {n})"

    def list_any(self, list_expr: str, var: str, predicate: str) -> str:
        """TRUE when some element ``var`` of the list satisfies ``predicate``;
        FALSE for a NULL or empty list."""
        raise NotImplementedError

    def starts_with_any(self, expr: str, prefixes: tuple[str, ...]) -> str:
        """``expr`` starts with one of ``prefixes``; NULL when ``expr`` is NULL (callers make it
        two-valued). Written as "the first n characters are one of the n-long prefixes", one IN
        per prefix length, which engines evaluate far faster than one starts_with per prefix.
        (A code shorter than n has itself as its first n characters: it can only equal a
        prefix it starts with.) Engines with a fast regular expression may use one instead."""
        by_length: dict[int, list[str]] = {}
        for prefix in prefixes:
            by_length.setdefault(len(prefix), []).append(prefix)
        return (
            "("
            + " OR ".join(
                f"{self.left(expr, n)} IN ({', '.join(self.string(p) for p in ps)})"
                for n, ps in sorted(by_length.items())
            )
            + ")"
        )

    def cte(self, name: str, body: str, inline: bool = False) -> str:
        """A common table expression. ``inline``: a cheap filter of a table, better computed
        again by each reader than stored (engines that materialise a CTE with several readers
        should not materialise this one)."""
        return f"{name} AS ({body})"

    def age_years(self, birth_expr: str, day: date) -> str:
        """Completed years at ``day`` (see :func:`opspor.rules.model.age_on`)."""
        return (
            f"({day.year} - year({birth_expr}) - CASE WHEN month({birth_expr}) > {day.month} "
            f"OR (month({birth_expr}) = {day.month} AND day({birth_expr}) > {day.day}) "
            "THEN 1 ELSE 0 END)"
        )


class Builder:
    def __init__(self, dialect: Dialect, admission_hours: int | None) -> None:
        self.d = dialect
        self.admission_hours = admission_hours
        self._n = 0
        self.ctes: list[str] = []  # helper CTEs (preceded_by), placed after the existing-contact CTEs

    def alias(self, stem: str) -> str:
        self._n += 1
        return f"{stem}{self._n}"

    def col(self, alias: str, name: str) -> str:
        return f"{alias}.{self.d.quote(name)}"

    def in_list(self, expr: str, values: tuple[str, ...]) -> str:
        return f"COALESCE({expr} IN ({', '.join(self.d.string(v) for v in values)}), FALSE)"

    def code_match(self, expr: str, codes: CodeList) -> str:
        """``expr`` starts with one of the list's prefixes. NULL when ``expr`` is NULL; callers make
        it two-valued."""
        return self.d.starts_with_any(expr, codes.prefixes)

    def criteria(self, crit: ContactCriteria, a: str, existing: str, at: datetime,
                 window_days: int | None = None) -> str:
        """SQL for :func:`reference_engine.meets` on row alias ``a``; ``existing``: the relation
        of contacts existing at ``at``. ``window_days``: only when the caller also requires the
        row to lie in that window; ``preceded_by`` then looks for pairs in it only (fewer)."""
        d, c = self.d, self.col
        parts: list[str] = []
        if crit.priority is not None:
            parts.append(self.in_list(c(a, "priority"), crit.priority))
        if crit.contact_type is not None:
            parts.append(self.in_list(c(a, "contact_type"), crit.contact_type))
        if crit.specialty is not None:
            parts.append(self.in_list(c(a, "specialty"), crit.specialty))
        if crit.pathway_empty:
            parts.append(f"({c(a, 'pathway')} IS NULL)")
        if crit.drg_value_not_zero:
            parts.append(f"COALESCE({c(a, 'drg_value')} <> 0, TRUE)")
        if crit.procedures_none_of is not None:
            x = self.alias("x")
            hit = self.code_match(x, crit.procedures_none_of)
            parts.append(f"(NOT {d.list_any(c(a, 'procedures'), x, hit)})")
        if crit.procedures_any_of is not None:
            x = self.alias("x")
            parts.append(d.list_any(c(a, "procedures"), x, self.code_match(x, crit.procedures_any_of)))
        if crit.action_diagnosis_in is not None:
            hit = self.code_match(c(a, "action_diagnosis"), crit.action_diagnosis_in)
            parts.append(f"COALESCE({hit}, FALSE)")
        if crit.any_diagnosis_in is not None:
            x = self.alias("x")
            action = self.code_match(c(a, "action_diagnosis"), crit.any_diagnosis_in)
            secondary = d.list_any(
                c(a, "secondary_diagnoses"), x, self.code_match(x, crit.any_diagnosis_in)
            )
            parts.append(f"(COALESCE({action}, FALSE) OR {secondary})")
        if crit.admission:
            until = f"LEAST(COALESCE({c(a, 'end')}, {d.timestamp(at)}), {d.timestamp(at)})"
            parts.append(
                f"COALESCE({d.add_hours(c(a, 'start'), self.admission_hours)} <= {until}, FALSE)"
            )
        if crit.preceded_by is not None:
            parts.append(self.preceded_by(crit, a, existing, at, window_days))
        return "(" + " AND ".join(parts) + ")" if parts else "TRUE"

    def preceded_by(self, crit: ContactCriteria, a: str, existing: str, at: datetime,
                    window_days: int | None = None) -> str:
        """``crit.preceded_by`` for row ``a``: its contact_id is among the contacts that meet the
        rest of ``crit`` and have an earlier contact ``e`` as the rule says. The pairs are found
        once, in a helper CTE joining only the candidates with the person's other contacts (the
        same meaning as a correlated EXISTS, which engines evaluate for every row; contact_id is
        unique by the data contract)."""
        c, d, pb = self.col, self.d, crit.preceded_by
        k, e, name = self.alias("k"), self.alias("e"), self.alias("preceded")
        rest = self.criteria(replace(crit, preceded_by=None), k, existing, at)
        inner = self.criteria(pb.contact, e, existing, at)
        self.ctes.append(
            f"{name} AS (SELECT {c(k, 'contact_id')} AS contact_id FROM {existing} AS {k} "
            f"JOIN {existing} AS {e} ON {c(e, 'person_key')} = {c(k, 'person_key')} "
            f"AND {c(e, 'contact_id')} <> {c(k, 'contact_id')} AND {c(e, 'end')} IS NOT NULL "
            f"AND {c(e, 'end')} <= {c(k, 'start')} "
            f"AND {c(e, 'end')} >= {d.add_days(c(k, 'start'), -pb.within_days)} "
            f"WHERE {self.window(k, at, window_days)} AND {rest} AND {inner})"
        )
        return f"COALESCE({c(a, 'contact_id')} IN (SELECT contact_id FROM {name}), FALSE)"

    def window(self, a: str, at: datetime, days: int | None) -> str:
        if days is None:
            return "TRUE"
        return f"({self.col(a, 'start')} >= {self.d.timestamp(at - timedelta(days=days))})"

    def existing(self, at: datetime) -> str:
        return f"SELECT * FROM contacts WHERE {self.d.quote('start')} < {self.d.timestamp(at)}"


class _Counts:
    """Every count condition of one query, computed in one scan of the existing contacts.

    ``{tag}_n``: per person, t<i> = the contacts meeting condition i (window and criteria) and,
    for a condition added with ``same_hospital_unit``, u<i> = the most at any one hospital unit
    (then ``{tag}_unit`` counts per (person, unit) first). A person without contacts has no row:
    callers LEFT JOIN and make the test two-valued.
    """

    def __init__(self, b: Builder, existing: str, at: datetime, tag: str) -> None:
        self.b, self.existing, self.at, self.tag = b, existing, at, tag
        self.items: list[tuple[ContactCriteria, int | None, bool]] = []

    def add(self, contact: ContactCriteria, window_days: int | None,
            same_hospital_unit: bool = False) -> int:
        self.items.append((contact, window_days, same_hospital_unit))
        return len(self.items) - 1

    def holds(self, rel: str, index: int, at_least: int) -> str:
        column = f"{'u' if self.items[index][2] else 't'}{index}"
        return f"COALESCE({rel}.{column} >= {at_least}, FALSE)"

    def ctes(self) -> list[str]:
        """The contacts meeting no condition are dropped before grouping: they add 0 to every
        count, and every condition asks for at least 1 contact, so a missing row (tested as
        FALSE by :meth:`holds`) says the same as a row of zeros. For speed (docs/benchmarks.md):
        when every condition has a window, contacts before the earliest window are dropped in
        the scan (a plain range filter the engine pushes down, instead of evaluating each
        condition on all history), and the counts are grouped per (person, unit) only when some
        condition asks for one unit (grouping 4 M rows by two text keys was 0.1-0.4 s)."""
        b, a = self.b, self.b.alias("c")
        n = range(len(self.items))
        flags = ", ".join(
            f"CASE WHEN {b.window(a, self.at, days)} "
            f"AND {b.criteria(crit, a, self.existing, self.at, days)} THEN 1 ELSE 0 END AS n{i}"
            for i, (crit, days, _) in enumerate(self.items)
        )
        windows = [days for _, days, _ in self.items]
        scan = "" if None in windows else f" WHERE {b.window(a, self.at, max(windows))}"
        hit = " + ".join(f"n{i}" for i in n)
        per_unit = any(unit for _, _, unit in self.items)
        keys = "person_key, hospital_unit" if per_unit else "person_key"
        sums = ", ".join(f"SUM(n{i}) AS n{i}" for i in n)
        grouped = [
            (f"{self.tag}_flags AS (SELECT {b.col(a, 'person_key')} AS person_key, "
             f"{b.col(a, 'hospital_unit')} AS hospital_unit, {flags} FROM {self.existing} AS {a}"
             f"{scan})"),
            (f"{self.tag}_unit AS (SELECT {keys}, {sums} FROM {self.tag}_flags "
             f"WHERE {hit} > 0 GROUP BY {keys})"),
        ]
        if not per_unit:
            totals = ", ".join(f"n{i} AS t{i}" for i in n)
            return [*grouped, f"{self.tag}_n AS (SELECT person_key, {totals} FROM {self.tag}_unit)"]
        totals = ", ".join(
            f"SUM(n{i}) AS t{i}" + (f", MAX(n{i}) AS u{i}" if unit else "")
            for i, (_, _, unit) in enumerate(self.items)
        )
        per_person = f"{self.tag}_n AS (SELECT person_key, {totals} FROM {self.tag}_unit GROUP BY person_key)"
        return [*grouped, per_person]


# --------------------------------------------------------------------------- programme 2


def _members_ctes(b: Builder, rule: RepeatedAcuteRule, cutoff: datetime, tag: str) -> list[str]:
    """The CTEs up to ``members_{tag}``, without ``ex_{tag}`` (see :func:`repeated_acute_sql`)."""
    c = b.col
    recent = cutoff - timedelta(hours=rule.presence.ended_within_hours)
    counts = _Counts(b, f"ex_{tag}", cutoff, f"count_{tag}")
    target = rule.target_group
    i = counts.add(target.contact, target.window_days, target.same_hospital_unit)
    a = b.alias("p")
    return [
        *counts.ctes(),
        f"target_{tag} AS (SELECT n.person_key FROM count_{tag}_n AS n "
        f"WHERE {counts.holds('n', i, target.at_least)})",
        f"members_{tag} AS (SELECT DISTINCT {c(a, 'hospital_unit')} AS hospital_unit, "
        f"{c(a, 'contact_department')} AS department, {c(a, 'person_key')} AS person_key "
        f"FROM ex_{tag} AS {a} "
        f"WHERE {c(a, 'person_key')} IN (SELECT person_key FROM target_{tag}) "
        f"AND ({c(a, 'end')} IS NULL OR {c(a, 'end')} >= {b.d.timestamp(recent)}) "
        f"AND {b.criteria(rule.presence.contact, a, f'ex_{tag}', cutoff)})",
    ]




def repeated_acute_sql(dialect: Dialect, rule: RepeatedAcuteRule, run_day: date) -> str:
    """One query returning the list lines in :data:`opspor.rules.results.LIST_COLUMNS` order."""
    b = Builder(dialect, rule.admission_hours)
    cutoff = rule.cutoff(run_day)
    previous = rule.cutoff(rule.previous_run_day(run_day))
    members = _members_ctes(b, rule, cutoff, "now") + _members_ctes(b, rule, previous, "before")
    c = b.col
    counted = (
        f"({b.window('k', cutoff, rule.target_group.window_days)} "
        f"AND {b.criteria(rule.target_group.contact, 'k', 'ex_now', cutoff)})"
    )
    ctes = [
        dialect.cte("ex_now", b.existing(cutoff), inline=True),
        dialect.cte("ex_before", b.existing(previous), inline=True),
        *b.ctes,
        *members,
    ]
    return (
        "WITH " + ",\n".join(ctes) + "\n"
        "SELECT m.department AS department, m.hospital_unit AS hospital_unit, i.cpr, i.name, "
        "k.contact_id, k.action_diagnosis, k.course_department, k.contact_department, "
        f"{c('k', 'start')}, {c('k', 'end')}, {counted} AS counted, "
        "(b.person_key IS NULL) AS new_today, m.person_key "
        "FROM members_now AS m "
        "JOIN ex_now AS k ON k.person_key = m.person_key "
        f"AND {b.window('k', cutoff, rule.lines_window_days)} "
        "LEFT JOIN identity AS i ON i.person_key = m.person_key "
        "LEFT JOIN members_before AS b ON b.person_key = m.person_key "
        "AND b.hospital_unit IS NOT DISTINCT FROM m.hospital_unit "
        "AND b.department IS NOT DISTINCT FROM m.department"
    )


# --------------------------------------------------------------------------- programme 1


def eligibility_sql(dialect: Dialect, rule: EligibilityRule, as_of: date) -> tuple[str, int, int]:
    """Query returning person_key, cpr, region_code, municipality_code, then one boolean per
    route and one per exclusion (rule order); only persons with some route. Also returns the
    route and exclusion counts."""
    b = Builder(dialect, rule.admission_hours)
    at = rule.reference_time(as_of)
    age = dialect.age_years("p.birth_date", as_of)
    counts = _Counts(b, "ex", at, "cnt")
    routes = []
    for r in rule.routes:
        conds = " OR ".join(
            counts.holds(
                "n",
                counts.add(cond.contact, cond.window_days, cond.same_hospital_unit),
                cond.at_least,
            )
            for cond in r.any_of
        )
        age_ok = "TRUE" if r.min_age is None else f"COALESCE({age} >= {r.min_age}, FALSE)"
        routes.append(f"({age_ok} AND ({conds}))")
    exclusions = []
    for ex in rule.exclusions:
        if ex.contact is not None:
            exclusions.append(counts.holds("n", counts.add(ex.contact, ex.window_days), 1))
        elif ex.residence_type is not None:
            exclusions.append(b.in_list("p.residence_type", ex.residence_type))
        elif ex.dead:
            exclusions.append(f"COALESCE(p.death_date <= {dialect.date(as_of)}, FALSE)")
        else:
            raise ValueError(f"exclusion {ex.reason!r} has no kind")
    flags = [f"{s} AS r{i}" for i, s in enumerate(routes)] + [
        f"{s} AS x{i}" for i, s in enumerate(exclusions)
    ]
    any_route = " OR ".join(f"f.r{i}" for i in range(len(routes)))
    cols = [f"f.r{i}" for i in range(len(routes))] + [f"f.x{i}" for i in range(len(exclusions))]
    ctes = [dialect.cte("ex", b.existing(at), inline=True), *counts.ctes()]
    ctes[1:1] = b.ctes  # the helper CTEs, written while writing the counts, read by them
    sql = (
        "WITH " + ",\n".join(ctes) + ",\n"
        f"f AS (SELECT p.person_key, p.region_code, p.municipality_code, {', '.join(flags)} "
        "FROM persons AS p LEFT JOIN cnt_n AS n ON n.person_key = p.person_key)\n"
        f"SELECT f.person_key, i.cpr, f.region_code, f.municipality_code, {', '.join(cols)} "
        f"FROM f LEFT JOIN identity AS i ON i.person_key = f.person_key WHERE {any_route}"
    )
    return sql, len(routes), len(exclusions)
