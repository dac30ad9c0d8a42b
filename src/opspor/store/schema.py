"""The tables of a snapshot, written once here for the loader and every reader.

``identity`` is the only table holding CPR numbers, names and contact details (phone, e-mail;
snapshots made before these columns lack them: readers ask ``optional_columns``); every other table is keyed by
``person_key`` (``opspor.cpr.pseudonym``). ``_meta`` has one row describing the snapshot and
``_loads`` the history of every drop applied to reach it, oldest first.
"""

from __future__ import annotations

TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "identity": (("person_key", "VARCHAR"), ("cpr", "VARCHAR"), ("name", "VARCHAR"),
                 ("phone", "VARCHAR"), ("email", "VARCHAR")),
    "persons": (
        ("person_key", "VARCHAR"),
        ("birth_date", "DATE"),
        ("sex", "VARCHAR"),
        ("municipality_code", "VARCHAR"),
        ("region_code", "VARCHAR"),
        ("gp_provider_number", "VARCHAR"),
        ("residence_type", "VARCHAR"),
        ("death_date", "DATE"),
    ),
    "contacts": (
        ("contact_id", "VARCHAR"),
        ("person_key", "VARCHAR"),
        ("hospital_unit", "VARCHAR"),
        ("course_department", "VARCHAR"),
        ("contact_department", "VARCHAR"),
        ("specialty", "VARCHAR"),
        ("priority", "VARCHAR"),
        ("contact_type", "VARCHAR"),
        ("start", "TIMESTAMP"),
        ("end", "TIMESTAMP"),
        ("action_diagnosis", "VARCHAR"),
        ("secondary_diagnoses", "VARCHAR[]"),
        ("procedures", "VARCHAR[]"),
        ("drg_value", "DOUBLE"),
        ("pathway", "VARCHAR"),
    ),
    "_meta": (
        ("snapshot_id", "VARCHAR"),
        ("parent_id", "VARCHAR"),
        ("created_at", "TIMESTAMP"),  # UTC
        ("reference_version", "VARCHAR"),
        ("opspor_version", "VARCHAR"),
        ("pseudonym_key_fingerprint", "VARCHAR"),
        ("identity_rows", "BIGINT"),
        ("persons_rows", "BIGINT"),
        ("contacts_rows", "BIGINT"),
    ),
    "_loads": (
        ("load_id", "VARCHAR"),
        ("snapshot_id", "VARCHAR"),  # the snapshot this load created
        ("drop_path", "VARCHAR"),
        ("drop_sha256", "VARCHAR"),
        ("mode", "VARCHAR"),
        ("loaded_at", "TIMESTAMP"),  # UTC
        ("persons_read", "BIGINT"),
        ("persons_loaded", "BIGINT"),
        ("persons_rejected", "BIGINT"),
        ("contacts_read", "BIGINT"),
        ("contacts_loaded", "BIGINT"),
        ("contacts_rejected", "BIGINT"),
        ("warnings", "BIGINT"),
    ),
}


# Columns added to a table after snapshots were first made: an older snapshot lacks them, and a
# reader takes them as NULL there (``select_list``).
LATER_COLUMNS: dict[str, tuple[str, ...]] = {"identity": ("phone", "email")}


def select_list(table: str, present: set[str] | list[str], alias: str = "") -> str:
    """SQL: the table's columns for a SELECT from a copy holding the columns ``present``; a
    later column the copy lacks is NULL (of its type)."""
    prefix = f"{alias}." if alias else ""
    later = LATER_COLUMNS.get(table, ())
    return ", ".join(
        f"{prefix}{ident(name)}" if name in present or name not in later else f"NULL::{kind} AS {ident(name)}"
        for name, kind in TABLES[table]
    )


def ident(name: str) -> str:
    """A quoted SQL identifier (``end`` and ``start`` are keywords)."""
    return '"' + name.replace('"', '""') + '"'


def column_names(table: str) -> list[str]:
    return [name for name, _ in TABLES[table]]


def create_sql(table: str, schema: str | None = None) -> str:
    cols = ", ".join(f"{ident(name)} {kind}" for name, kind in TABLES[table])
    target = f"{schema}.{table}" if schema else table
    return f"CREATE TABLE {target} ({cols})"
