"""Arrow tables in the contract's text form, and streaming CSV / Parquet writers.

Every drop column is written as text exactly as the data contract spells it (ISO dates,
``YYYY-MM-DDTHH:MM:SS`` timestamps, upper-case codes); empty values are nulls, which the CSV writer
renders as empty fields. Parquet files carry the same strings (all columns of type string), so a
reader sees the same values whichever format it gets. CSV is written unquoted (no value contains a
comma, quote or line break; the writer refuses one that would).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from opspor.contract import CONTACT_TYPES, CONTACTS, PATHWAYS, PERSONS, PRIORITIES, SEX
from opspor.synth.contacts import Contacts
from opspor.synth.departments import units
from opspor.synth.model import Model
from opspor.synth.population import RESIDENCE, Persons

PERSONS_SCHEMA = pa.schema([(c.name, pa.string()) for c in PERSONS.columns])
CONTACTS_SCHEMA = pa.schema([(c.name, pa.string()) for c in CONTACTS.columns])
TRUTH_SCHEMA = pa.schema(
    [("cpr", pa.string()), ("as_of", pa.string()), ("p_admission_6m", pa.float64()), ("p_admission_12m", pa.float64())]
)
LATENT_SCHEMA = pa.schema(
    [
        ("cpr", pa.string()),
        ("frailty", pa.float64()),
        ("residence_type", pa.string()),
        ("hospital_unit", pa.string()),
        ("conditions", pa.string()),
    ]
)
_TIMES = pa.array([f"T{m // 60:02d}:{m % 60:02d}:00" for m in range(1440)])


def _take(values, idx: np.ndarray) -> pa.Array:
    """``values[idx]`` as a string array; negative indices become nulls."""
    values = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    idx = np.asarray(idx, dtype=np.int64)
    return pc.take(values, pa.array(idx, mask=idx < 0))


def _int_strings(values: np.ndarray, width: int = 0) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    s = pa.array(values, mask=values < 0).cast(pa.string())
    return pc.utf8_lpad(s, width=width, padding="0") if width else s


def _dates(start: dt.date, days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """ISO dates of day numbers relative to ``start``; ``missing`` marks nulls."""
    days = np.asarray(days, dtype=np.int64)
    d = (np.datetime64(start, "D") + days).astype("datetime64[D]")
    return pa.array(d, type=pa.date32(), mask=missing).cast(pa.string())


def _timestamps(start: dt.date, minutes: np.ndarray) -> pa.Array:
    minutes = np.asarray(minutes, dtype=np.int64)
    missing = minutes < 0
    day = np.where(missing, 0, minutes // 1440)
    table = _dates(start, np.arange(int(day.max(initial=0)) + 1))
    dates = pc.take(table, pa.array(day, mask=missing))
    times = pc.take(_TIMES, pa.array(np.where(missing, 0, minutes % 1440)))
    return pc.binary_join_element_wise(dates, times, "")


def _join(arrays: list[pa.Array], sep: str = ";") -> pa.Array:
    """Join nullable string arrays with ``sep``, skipping nulls; all null -> null."""
    acc = arrays[0]
    for s in arrays[1:]:
        acc = pc.coalesce(pc.binary_join_element_wise(acc, s, sep), acc, s)
    return acc


def cpr_strings(p: Persons) -> pa.Array:
    return _int_strings(p.cpr, 10)


# Shares of the persons whose phone number / e-mail address the drop gives (the contract's
# optional columns). The values follow from the CPR number, so they take no draw from the
# generator's random streams (a drop of a given seed keeps its other values).
PHONE_SHARE, EMAIL_SHARE = 0.9, 0.6
_MIX = np.uint64(0x9E3779B97F4A7C15)


def contact_columns(cpr: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Synthetic ``phone`` (8 digits, the first 2-9) and ``email`` (at example.org, a domain
    reserved for examples) of persons, derived from their CPR numbers; null for a share."""
    h = np.asarray(cpr, dtype=np.uint64) * _MIX
    h ^= h >> np.uint64(29)
    h *= _MIX
    h ^= h >> np.uint64(32)
    u_phone = (h & np.uint64(0xFFFF)).astype(np.float64) / 65536
    u_email = ((h >> np.uint64(16)) & np.uint64(0xFFFF)).astype(np.float64) / 65536
    number = 20_000_000 + (h >> np.uint64(32)) % np.uint64(80_000_000)
    phone = pa.array(number.astype(np.int64), mask=u_phone >= PHONE_SHARE).cast(pa.string())
    box = pc.binary_join_element_wise(
        "borger", pa.array((h >> np.uint64(20)) % np.uint64(1_000_000), mask=u_email >= EMAIL_SHARE).cast(pa.string()),
        "@example.org", "")
    return phone, box


def persons_table(model: Model, p: Persons, cpr: pa.Array, start: dt.date, muni_codes: list[str], death_day: np.ndarray, n_days: int) -> pa.Table:
    names = model.names
    firsts = pa.array(names["male"] + names["female"])
    first = pc.take(firsts, pa.array(p.first_name + p.sex.astype(np.int64) * len(names["male"])))
    surnames = pa.array(names["surnames"])
    surname = pc.take(surnames, pa.array(p.surname))
    middle = _take(surnames, p.middle_name)
    name = _join([first, middle, surname], " ")
    dead = (death_day >= 0) & (death_day < n_days)
    cols = {
        "cpr": cpr,
        "name": name,
        "birth_date": _dates(start, p.bday),
        "sex": _take(SEX, p.sex),
        "municipality_code": _take(muni_codes, p.muni),
        "gp_provider_number": _int_strings(p.gp),
        "residence_type": _take(RESIDENCE, p.residence_recorded),
        "death_date": _dates(start, np.where(dead, death_day, 0), ~dead),
    }
    cols["phone"], cols["email"] = contact_columns(p.cpr)
    return pa.table(cols, schema=PERSONS_SCHEMA)


def contacts_table(model: Model, c: Contacts, cpr: pa.Array, start: dt.date, chunk: int) -> pa.Table:
    u = units()
    m = len(c)
    codes = pa.array(model.codes.strings)
    ids = pc.binary_join_element_wise(
        pa.array(np.full(m, "K")), _int_strings(chunk * 100_000_000 + np.arange(m), 12), ""
    ) if m else pa.array([], pa.string())
    secondary = _join([_take(codes, c.secondary[:, k]) for k in range(c.secondary.shape[1])] + [_take(codes, c.extra)])
    cols = {
        "contact_id": ids,
        "cpr": pc.take(cpr, pa.array(c.pid)),
        "hospital_unit": _take(u.codes, c.unit),
        "course_department": _take(u.dept_codes, c.course),
        "contact_department": _take(u.dept_codes, c.contact),
        "specialty": _take(u.dept_specialty, c.contact),
        "priority": _take(PRIORITIES, c.priority),
        "contact_type": _take(CONTACT_TYPES, c.ctype),
        "start": _timestamps(start, c.start),
        "end": _timestamps(start, c.end),
        "action_diagnosis": _take(codes, c.action),
        "secondary_diagnoses": secondary,
        "procedures": _take(codes, c.proc),
        "drg_value": _int_strings(c.drg),
        "pathway": _take(PATHWAYS, c.pathway),
    }
    return pa.table(cols, schema=CONTACTS_SCHEMA)


def truth_table(cpr: pa.Array, rows: list[tuple[dt.date, np.ndarray, np.ndarray, np.ndarray]]) -> pa.Table:
    tables = []
    for as_of, who, p6, p12 in rows:
        tables.append(
            pa.table(
                {
                    "cpr": pc.take(cpr, pa.array(who)),
                    "as_of": pa.array(np.full(len(who), as_of.isoformat())),
                    "p_admission_6m": pa.array(p6),
                    "p_admission_12m": pa.array(p12),
                },
                schema=TRUTH_SCHEMA,
            )
        )
    return pa.concat_tables(tables) if tables else TRUTH_SCHEMA.empty_table()


def latent_table(model: Model, p: Persons, cpr: pa.Array) -> pa.Table:
    keys = pa.array([c.key for c in model.conditions])
    cond = _join([_take(keys, np.where(p.has[:, k], k, -1)) for k in range(model.n_conditions)])
    return pa.table(
        {
            "cpr": cpr,
            "frailty": pa.array(p.frailty),
            "residence_type": _take(RESIDENCE, p.residence),
            "hospital_unit": _take(units().codes, p.unit),
            "conditions": cond,
        },
        schema=LATENT_SCHEMA,
    )


class Writer:
    """One output file, written table by table (CSV or Parquet)."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path = path
        self.rows = 0
        self.fmt = fmt
        if fmt == "csv":
            self._file = open(path, "wb")
            self._file.write((",".join(schema.names) + "\n").encode("utf-8"))
            self._writer = pacsv.CSVWriter(
                self._file, schema, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none")
            )
        elif fmt == "parquet":
            self._file = None
            self._writer = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            raise ValueError(f"unknown format {fmt!r}")

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table)
            self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
        if self._file is not None:
            self._file.close()
