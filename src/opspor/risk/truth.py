"""The synthetic generator's true probabilities, for the report's "best possible" column.

``opspor synth`` writes ``truth/ground_truth.(parquet|csv)`` with ``cpr, as_of, p_admission_6m,
p_admission_12m`` (docs/synthetic-data.md). They are joined to the test persons through the
snapshot's ``identity`` table inside DuckDB, so no CPR number leaves the database. Only a
horizon the truth defines (182 or 365 days) can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from opspor.engines import Engine

TRUTH_COLUMNS = {182: "p_admission_6m", 365: "p_admission_12m"}


class TruthError(Exception):
    """The truth folder cannot be used; the message says why and what to do."""


@dataclass
class Truth:
    p: np.ndarray  # aligned with the persons asked for; NaN where the truth has no row
    column: str
    file: str
    missing: int


def truth_file(folder: Path) -> Path:
    for name in ("ground_truth.parquet", "ground_truth.csv"):
        if (folder / name).is_file():
            return folder / name
    raise TruthError(f"no ground_truth.parquet or ground_truth.csv in {folder}. Fix: pass the "
                     "`truth/` folder that `opspor synth` wrote next to the drop")


def load(engine: Engine, folder: Path, as_of: date, horizon_days: int,
         person_key: pa.Array) -> Truth:
    """The true probability of each person in ``person_key`` at ``as_of`` (the truth file is
    read by DuckDB, so ``engine`` must be a DuckDB engine)."""
    con = getattr(engine, "con", None)
    if con is None:
        raise TruthError(f"the truth file is read with DuckDB, not {engine.name}. Fix: train "
                         "with --engine duckdb:// to compare with the truth")
    column = TRUTH_COLUMNS.get(horizon_days)
    if column is None:
        raise TruthError(f"the truth has horizons of 182 and 365 days, not {horizon_days}. Fix: "
                         "train with --horizon 6m or 12m to compare with the truth")
    path = truth_file(Path(folder))
    quoted = "'" + str(path).replace("'", "''") + "'"
    # CSV: every column as text, so a CPR number keeps its leading zero
    source = f"read_parquet({quoted})" if path.suffix == ".parquet" else f"read_csv({quoted}, all_varchar=true)"
    try:
        dates = [d for (d,) in con.execute(f"SELECT DISTINCT CAST(as_of AS DATE) FROM {source} "
                                           "ORDER BY 1").fetchall()]
    except duckdb.Error as exc:
        raise TruthError(f"{path} cannot be read: {str(exc).splitlines()[0]}") from None
    if as_of not in dates:
        shown = ", ".join(str(d) for d in dates[:12]) + (" ..." if len(dates) > 12 else "")
        raise TruthError(f"{path} has no probabilities for {as_of} (it has {shown}). Fix: make "
                         f"the synthetic data with `--truth-as-of {as_of}`, or test on one of its dates")
    con.register("_opspor_risk_persons", pa.table({
        "person_key": person_key, "row": pa.array(np.arange(len(person_key), dtype=np.int64))}))
    try:
        table = con.sql(
            f"SELECT p.row, CAST(t.{column} AS DOUBLE) AS p FROM _opspor_risk_persons p "
            f"JOIN identity i USING (person_key) JOIN {source} t ON t.cpr = i.cpr "
            f"WHERE CAST(t.as_of AS DATE) = DATE '{as_of.isoformat()}'").to_arrow_table()
    finally:
        con.unregister("_opspor_risk_persons")
    p = np.full(len(person_key), np.nan)
    p[table.column("row").to_numpy()] = table.column("p").to_numpy()
    return Truth(p, column, str(path), int(np.isnan(p).sum()))
