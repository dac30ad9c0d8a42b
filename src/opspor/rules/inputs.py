"""The tables the engines read from a snapshot, and a small builder of them from plain dicts.

The engines rely on the store's schema (``opspor.store.schema``). :func:`arrow_tables` builds
these tables from plain dicts, filling unspecified columns with harmless defaults; every
engine's ``populate`` (:mod:`opspor.engines`) takes them, for tests, examples and anyone
exploring a rule.

Engines assume the data contract: required columns are not NULL and ``contact_id`` is unique.
Optional columns (``end``, ``secondary_diagnoses``, ``procedures``, ``drg_value``, ``pathway``,
``residence_type``, ``death_date``, ...) may be NULL, and lists may be NULL or empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pyarrow as pa

from opspor.store.schema import TABLES as STORE_TABLES

# The engines read the snapshot tables exactly as the store defines them (one definition).
TABLES = {name: STORE_TABLES[name] for name in ("identity", "persons", "contacts")}

_ARROW = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "DOUBLE": pa.float64(),
    "VARCHAR[]": pa.list_(pa.string()),
}

PERSON_DEFAULTS: dict[str, Any] = {
    "birth_date": date(1950, 1, 1),
    "sex": "F",
    "municipality_code": "461",
    "region_code": "1083",
    "gp_provider_number": None,
    "residence_type": "own_home",
    "death_date": None,
}

CONTACT_DEFAULTS: dict[str, Any] = {
    "hospital_unit": "OUH",
    "course_department": "MED1",
    "contact_department": "MED1",
    "specialty": "medicine",
    "priority": "acute",
    "contact_type": "physical",
    "end": None,
    "action_diagnosis": "DR069",
    "secondary_diagnoses": None,
    "procedures": None,
    "drg_value": 1000.0,
    "pathway": None,
}


def arrow_tables(
    persons: Iterable[Mapping[str, Any]] = (), contacts: Iterable[Mapping[str, Any]] = ()
) -> dict[str, pa.Table]:
    """``identity``, ``persons`` and ``contacts`` as Arrow tables with the store's columns.

    A person dict needs ``cpr``; ``person_key`` defaults to ``"pk-" + cpr`` and ``name`` to
    ``"Name " + cpr``. A contact dict needs ``contact_id``, ``start`` and either ``person_key``
    or ``cpr``. Other columns default to :data:`PERSON_DEFAULTS` / :data:`CONTACT_DEFAULTS`.
    """
    keys: dict[str, str] = {}
    identity_rows, person_rows = [], []
    for p in persons:
        unknown = set(p) - {"cpr", "name", "person_key", "phone", "email"} - set(PERSON_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown person columns: {sorted(unknown)}")
        key = p.get("person_key") or f"pk-{p['cpr']}"
        keys[p["cpr"]] = key
        identity_rows.append((key, p["cpr"], p.get("name", f"Name {p['cpr']}"), p.get("phone"), p.get("email")))
        row = {**PERSON_DEFAULTS, **{k: v for k, v in p.items() if k in PERSON_DEFAULTS}}
        person_rows.append((key, *(row[name] for name, _ in TABLES["persons"][1:])))
    contact_rows = []
    for c in contacts:
        unknown = set(c) - {"contact_id", "person_key", "cpr", "start"} - set(CONTACT_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown contact columns: {sorted(unknown)}")
        key = c.get("person_key") or keys.get(c.get("cpr", ""), f"pk-{c.get('cpr')}")
        row = {**CONTACT_DEFAULTS, **c, "person_key": key}
        contact_rows.append(tuple(row[name] for name, _ in TABLES["contacts"]))
    out = {}
    for table, rows in (
        ("identity", identity_rows),
        ("persons", person_rows),
        ("contacts", contact_rows),
    ):
        columns = TABLES[table]
        out[table] = pa.table(
            {name: [row[i] for row in rows] for i, (name, _) in enumerate(columns)},
            schema=pa.schema([(name, _ARROW[kind]) for name, kind in columns]),
        )
    return out

