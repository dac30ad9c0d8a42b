"""Rules across rows and files: repeated keys, contacts without a person, contacts vs. life dates."""

from __future__ import annotations

import duckdb

from opspor.ingest import findings, rules
from opspor.ingest.read import RawFile
from opspor.ingest.sql import lit, lit_list
from opspor.store.schema import ident

LINES_LISTED = 10


def keys(raw: RawFile, column: str) -> str:
    """SQL: ``line``, the raw ``value`` and the stored ``key`` (the CPR number without dash) of
    the rows whose ``column`` passed its checks, as the findings of ``validate`` tell."""
    col = raw.ref.spec.column(column)
    kind = rules.kind(col)
    broken = (
        f"SELECT line FROM findings WHERE file = {lit(raw.ref.label)} AND \"column\" = {lit(column)} "
        f"AND rule IN {lit_list(kind.rules(col))}"
    )
    return (
        f"SELECT line, {ident(column)} AS value, {kind.stored(ident(column), col)} AS key "
        f"FROM {raw.table} ANTI JOIN ({broken}) USING (line) WHERE key IS NOT NULL"
    )


def _listed(lines: str, unit: str) -> str:
    """SQL text like 'lines 3, 7 and 2 more'."""
    return (
        f"'{unit}s ' || array_to_string({lines}[1:{LINES_LISTED}], ', ') || CASE WHEN len({lines}) > "
        f"{LINES_LISTED} THEN ' and ' || (len({lines}) - {LINES_LISTED}) || ' more' ELSE '' END"
    )


def duplicates(con: duckdb.DuckDBPyConnection, raw: RawFile) -> None:
    """Repeated keys: exact repeats are left out with a warning; differing rows are all rejected."""
    spec, ref = raw.ref.spec, raw.ref
    others = [c.name for c in spec.columns if c.name != spec.key]
    version = "{" + ", ".join(f"{lit(name)}: {ident(name)}" for name in others) + "}"
    differing = ", ".join(
        f"CASE WHEN count(DISTINCT coalesce({ident(n)}, chr(0))) > 1 THEN {lit(n)} END" for n in others
    )
    con.execute(
        f"""
        CREATE TEMP TABLE _repeated AS
        WITH keyed AS ({keys(raw, spec.key)}),
        repeated AS (SELECT line, key FROM keyed SEMI JOIN (
            SELECT key FROM keyed GROUP BY key HAVING count(*) > 1) USING (key))
        SELECT key, list(line ORDER BY line) AS lines, list({ident(spec.key)} ORDER BY line) AS values,
               count(DISTINCT {version}) AS versions,
               list_filter([{differing}], lambda x: x IS NOT NULL) AS differing
        FROM repeated JOIN {raw.table} USING (line) GROUP BY key
        """
    )
    label = lit(ref.label)
    con.execute(
        f"""
        INSERT INTO findings
        SELECT 'reject', {label}, unnest(lines), {lit(spec.key)}, unnest(values), 'duplicate_conflict',
               'the same {spec.key} is on several rows that differ',
               'the rows for this {spec.key} on ' || {_listed('lines', ref.unit)} || ' differ in: '
                   || array_to_string(differing, ', '),
               'keep one row per {spec.key} in the drop (a later drop may replace it)'
        FROM _repeated WHERE versions > 1
        """
    )
    con.execute(
        f"""
        INSERT INTO findings
        SELECT 'warning', {label}, unnest(lines[2:]), {lit(spec.key)}, unnest(values[2:]),
               'duplicate_identical', 'the row repeats an identical earlier row; the repeat is ignored',
               'the same as {ref.unit} ' || lines[1] || '; the repeat is ignored',
               'remove repeated rows from the extract'
        FROM _repeated WHERE versions = 1
        """
    )
    con.execute(f"INSERT INTO dropped SELECT {label}, unnest(lines[2:]) FROM _repeated WHERE versions = 1")
    con.execute("DROP TABLE _repeated")


def contacts_without_person(
    con: duckdb.DuckDBPyConnection, persons: RawFile, contacts: RawFile, previous: str | None
) -> None:
    """Reject contacts whose CPR is not a loaded person of this drop (nor of ``previous``, the
    attached previous snapshot, in merge mode), saying so when the person's row was rejected."""
    person_keys = keys(persons, "cpr")
    loaded = f"SELECT key FROM ({person_keys}) ANTI JOIN ({findings.excluded_lines(persons.ref)}) USING (line)"
    if previous:
        loaded += f" UNION ALL SELECT cpr FROM {previous}.identity"
    con.execute(
        f"""
        INSERT INTO findings
        SELECT 'reject', {lit(contacts.ref.label)}, c.line, 'cpr', c.value,
               CASE WHEN r.line IS NULL THEN 'unknown_person' ELSE 'person_rejected' END,
               CASE WHEN r.line IS NULL THEN 'no person with this CPR number in {persons.ref.label}'
                    ELSE 'the person''s row was rejected' END,
               CASE WHEN r.line IS NULL
                    THEN 'no person with this CPR number in {persons.ref.label}'
                         {"|| ' nor in the previous snapshot'" if previous else ""}
                    ELSE 'the person row on {persons.ref.label} {persons.ref.unit} ' || r.line || ' was rejected' END,
               CASE WHEN r.line IS NULL THEN 'add the person to {persons.ref.label} (every contact needs one)'
                    ELSE 'fix the person''s row (see its reject) and load the drop again' END
        FROM ({keys(contacts, "cpr")}) AS c
        LEFT JOIN (
            SELECT key, min(line) AS line FROM ({person_keys})
            SEMI JOIN ({findings.rejected_lines(persons.ref)}) USING (line) GROUP BY key
        ) AS r USING (key)
        WHERE NOT EXISTS (SELECT 1 FROM ({loaded}) AS l WHERE l.key = c.key)
        """
    )


def contact_warnings(
    con: duckdb.DuckDBPyConnection, contacts: RawFile, contacts_table: str, persons_table: str
) -> None:
    """Warn about contacts starting after the person's death or before their birth.

    ``contacts_table`` holds the contacts to load (stored values and ``line``), ``persons_table``
    every person of the new snapshot (``person_key``, ``birth_date``, ``death_date``).
    """
    con.execute(
        f"""
        INSERT INTO findings
        SELECT 'warning', {lit(contacts.ref.label)}, line, 'start', strftime(start, '%Y-%m-%dT%H:%M:%S'),
               w[1], w[2], w[2], w[3]
        FROM (
            SELECT c.line, c.start, CASE
                WHEN CAST(c.start AS DATE) > p.death_date THEN
                    ['contact_after_death', 'the contact starts after the person''s death_date',
                     'check start, and the death_date of the person in persons']
                WHEN CAST(c.start AS DATE) < p.birth_date THEN
                    ['contact_before_birth', 'the contact starts before the person''s birth_date',
                     'check start, and the birth_date of the person in persons']
                END AS w
            FROM {contacts_table} AS c JOIN {persons_table} AS p USING (person_key)
        )
        WHERE w IS NOT NULL
        """
    )
