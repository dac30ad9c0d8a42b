"""Scoring everybody alive on an as-of date with a stored model, and reading stored scores.

``score(as_of)`` computes the features on the current snapshot, refuses a model whose feature
schema differs from the configuration's (:func:`opspor.risk.registry.check_schema`), scores,
ranks each region's persons (1 = highest score; equal scores in the snapshot's order), explains
the highest-ranked (``explain_share`` of each region, at least ``explain_min_per_region``) and stores::

    $OPSPOR_HOME/risk/scores/<score_id>/scores.parquet   person_key, region_code, score (0-1),
                                                         rank_in_region, explanation (or null)
    $OPSPOR_HOME/risk/scores/<score_id>/score.json       model, snapshot, as-of, counts

``scores.parquet`` is sorted by region and rank, in row groups of 65,536 rows, so one region's
rows are read without the others (:class:`ScoreSet`). It holds no CPR number.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opspor import engines
from opspor.risk import explain as explain_mod
from opspor.risk import registry, settings
from opspor.risk.features import FeatureFrame, FeatureSet
from opspor.risk.outcome import data_period
from opspor.store import SnapshotStore

SCORE_FORMAT = "opspor.risk.scores/1"
SCORES_FILE, SCORE_RECORD = "scores.parquet", "score.json"
ROW_GROUP = 65_536
SCHEMA = pa.schema([
    ("person_key", pa.string()),
    ("region_code", pa.string()),
    ("score", pa.float64()),
    ("rank_in_region", pa.int32()),
    ("explanation", pa.string()),
])


class ScoringError(Exception):
    """Scoring cannot go ahead on these data; the message says why and what to do."""


def check_as_of(con, as_of: date, fs: FeatureSet) -> None:
    period = data_period(con)
    if period is None:
        raise ScoringError("the snapshot has no contacts, so there is nothing to score on. Fix: "
                           "load a drop with `opspor ingest DIR`")
    if as_of > period.end_day:
        raise ScoringError(
            f"the data end on {period.end_day} (latest contact {period.latest_start:%Y-%m-%d %H:%M}); "
            f"scores as of {as_of} would not see what happened after that. Fix: choose an as-of date "
            f"on or before {period.end_day}, or load newer data")
    first = as_of - timedelta(days=fs.cfg.history_days)
    if first < period.first_day:
        raise ScoringError(
            f"the features of {as_of} read {fs.cfg.history_days} days of history (from {first}), but "
            f"the data start on {period.first_day}. Fix: choose an as-of date on or after "
            f"{period.first_day + timedelta(days=fs.cfg.history_days)}")


def _group_codes(values: pa.Array) -> np.ndarray:
    """An integer per row naming its value (NULL is a value of its own)."""
    encoded = pc.fill_null(values, "\x00").dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def rank_in_region(region_code: pa.Array, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order: rows sorted by region, then score descending; rank of each row in its region).

    Equal scores keep the order of the snapshot's persons table (stable sorts), so ranks are the
    same every time the same snapshot is scored with the same model."""
    codes = _group_codes(region_code)
    order = np.argsort(-p, kind="stable")
    order = order[np.argsort(codes[order], kind="stable")]
    codes = codes[order]
    start = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(start, np.arange(len(codes)), 0))
    ranks = np.empty(len(order), dtype=np.int32)
    ranks[order] = (np.arange(len(order)) - first + 1).astype(np.int32)
    return order, ranks


def explain_rows(region_code: pa.Array, ranks: np.ndarray, share: float, minimum: int) -> np.ndarray:
    """Rows to explain: the ``max(minimum, ceil(share · n))`` highest ranks of each region."""
    if len(ranks) == 0:
        return np.zeros(0, dtype=np.int64)
    codes = _group_codes(region_code)
    n = np.bincount(codes)[codes]
    return np.flatnonzero(ranks <= np.maximum(minimum, np.ceil(share * n)))


def score_frame(model, fs: FeatureSet, frame: FeatureFrame, share: float, minimum: int,
                lang: str = "da") -> tuple[pa.Table, dict]:
    """The scores table of a feature frame (sorted by region and rank) and timings."""
    t0 = time.perf_counter()
    p = model.predict(frame.X)
    t1 = time.perf_counter()
    order, ranks = rank_in_region(frame.region_code, p)
    rows = explain_rows(frame.region_code, ranks, share, minimum)
    explanation = np.full(len(p), None, dtype=object)
    if rows.size:
        explanation[rows] = explain_mod.explain(model, fs, frame.X[rows], p[rows], lang)
    t2 = time.perf_counter()
    take = pa.array(order)
    table = pa.table({
        "person_key": frame.person_key.take(take),
        "region_code": frame.region_code.take(take),
        "score": pa.array(p[order]),
        "rank_in_region": pa.array(ranks[order], pa.int32()),
        "explanation": pa.array(explanation[order].tolist(), pa.string()),
    }, schema=SCHEMA)
    return table, {"predict": round(t1 - t0, 2), "explain": round(t2 - t1, 2), "explained": int(rows.size)}


def score(
    as_of: date,
    model_id: str | None = None,
    store: SnapshotStore | None = None,
    snapshot_id: str | None = None,
    lang: str = "da",
    log: Callable[[str], None] = lambda _: None,
    engine: str | None = None,
) -> dict:
    """Score everybody alive at ``as_of`` on the current snapshot with the selected model (or
    ``model_id``) and store the scores; returns ``score.json``'s record. ``engine``: the
    connection string of the engine computing the features (default: DuckDB)."""
    started = time.perf_counter()
    model_id = model_id or registry.require_selected()
    model, record = registry.load_model(model_id)
    cfg = settings.load()
    fs = FeatureSet(cfg.features)
    registry.check_schema(record, fs)
    store = store or SnapshotStore()
    snapshot_id = snapshot_id or store.current()
    con = engines.connect(engine, store=store, snapshot=snapshot_id)
    try:
        check_as_of(con, as_of, fs)
        frame = fs.compute(con, as_of)
    finally:
        con.close()
    log(f"features of {len(frame):,} persons in {frame.seconds:.1f} s")
    table, timings = score_frame(model, fs, frame, cfg.model.explain_share,
                                 cfg.model.explain_min_per_region, lang)
    log(f"scored in {timings['predict']:.1f} s, {timings['explained']:,} explained in {timings['explain']:.1f} s")
    score_id = registry.new_id()
    regions = {r["values"]: r["counts"] for r in pc.value_counts(table.column("region_code")).to_pylist()}
    result = {
        "format": SCORE_FORMAT,
        "score_id": score_id,
        "model_id": model_id,
        "model_kind": record["kind"],
        "snapshot_id": snapshot_id,
        "as_of": as_of.isoformat(),
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "persons": table.num_rows,
        "regions": {str(k): int(v) for k, v in sorted(regions.items(), key=lambda kv: str(kv[0]))},
        "explained": timings["explained"],
        "language": lang,
        "feature_schema_sha256": fs.schema_digest,
        "timings_seconds": {"features": round(frame.seconds, 2), **{k: v for k, v in timings.items()
                                                                     if k != "explained"}},
        "code_version": registry.code_version(),
    }
    with registry.staged_folder(registry.scores_dir() / score_id) as stage:
        pq.write_table(table, stage / SCORES_FILE, row_group_size=ROW_GROUP, compression="zstd")
        result["duration_seconds"] = round(time.perf_counter() - started, 2)
        registry.write_json(stage / SCORE_RECORD, result)
    result["path"] = str(registry.scores_dir() / score_id / SCORES_FILE)
    return result


# --------------------------------------------------------------------------- reading


class ScoreRow(NamedTuple):
    person_key: str
    region_code: str | None
    score: float  # 0-1
    rank_in_region: int  # 1 = the highest score in the region
    explanation: str | None  # null below the explained ranks


class ScoreSet(Mapping):
    """One stored set of scores: ``score_id``, ``model_id``, ``as_of``, ``snapshot_id`` and a
    mapping ``person_key -> ScoreRow``.

    ``region(code)`` reads one region's rows (sorted by rank) without the rest of the file;
    ``lookup(keys)`` a few persons; the mapping interface (``scores[key]``, ``key in scores``)
    loads the whole set once, which suits a region's web pages but not 6 million persons.
    """

    def __init__(self, folder: Path, record: dict):
        self.folder = folder
        self.record = record
        self.score_id: str = record["score_id"]
        self.model_id: str = record["model_id"]
        self.model_kind: str = record.get("model_kind", "")
        self.snapshot_id: str = record["snapshot_id"]
        self.as_of: date = date.fromisoformat(record["as_of"])
        self.created_at: str = record.get("created_at", "")
        self.persons: int = int(record.get("persons", 0))

    @property
    def path(self) -> Path:
        return self.folder / SCORES_FILE

    def table(self, region_code: str | None = None, columns: list[str] | None = None) -> pa.Table:
        """The stored rows (one region's: only the row groups whose statistics may hold it)."""
        f = pq.ParquetFile(self.path)
        if region_code is None:
            return f.read(columns=columns)
        field = f.schema_arrow.get_field_index("region_code")
        groups = []
        for i in range(f.metadata.num_row_groups):
            stats = f.metadata.row_group(i).column(field).statistics
            if stats is None or not stats.has_min_max or stats.min <= region_code <= stats.max:
                groups.append(i)
        wanted = None if columns is None else sorted(set(columns) | {"region_code"})
        table = f.read_row_groups(groups, columns=wanted)
        table = table.filter(pc.equal(table.column("region_code"), region_code))
        return table if columns is None else table.select(columns)

    def region(self, region_code: str, limit: int | None = None) -> list[ScoreRow]:
        """A region's rows, highest score first (``limit``: only the first ones)."""
        table = self.table(region_code)
        if limit is not None:
            table = table.slice(0, limit)
        return _rows(table)

    def lookup(self, person_keys: Iterable[str]) -> dict[str, ScoreRow]:
        """The rows of some persons (absent keys are left out)."""
        keys = pa.array(list(person_keys), pa.string())
        if len(keys) == 0:
            return {}
        table = pq.read_table(self.path)
        table = table.filter(pc.is_in(table.column("person_key"), value_set=keys))
        return {row.person_key: row for row in _rows(table)}

    @cached_property
    def _all(self) -> dict[str, ScoreRow]:
        return {row.person_key: row for row in _rows(self.table())}

    def __getitem__(self, person_key: str) -> ScoreRow:
        return self._all[person_key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all)

    def __len__(self) -> int:
        return self.persons

    def __repr__(self) -> str:
        return f"ScoreSet({self.score_id}, model {self.model_id}, as of {self.as_of}, {self.persons:,} persons)"


def _rows(table: pa.Table) -> list[ScoreRow]:
    columns = [table.column(name).to_pylist() for name in ScoreRow._fields]
    # many small objects: the cyclic garbage collector would run over and over (3-4x slower)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return list(map(ScoreRow._make, zip(*columns, strict=True)))
    finally:
        if enabled:
            gc.enable()


def stored(model_id: str | None = None, as_of: date | None = None) -> list[ScoreSet]:
    """Stored score sets, newest first, optionally of one model and/or one as-of date."""
    folder = registry.scores_dir()
    if not folder.exists():
        return []
    out = []
    for sub in folder.iterdir():
        if not registry.is_id(sub.name):
            continue
        try:
            record = registry.read_json(sub / SCORE_RECORD)
        except (OSError, ValueError):
            continue
        if record.get("format") != SCORE_FORMAT or not (sub / SCORES_FILE).is_file():
            continue
        if model_id is not None and record.get("model_id") != model_id:
            continue
        if as_of is not None and record.get("as_of") != as_of.isoformat():
            continue
        out.append(ScoreSet(sub, record))
    return sorted(out, key=lambda s: s.score_id, reverse=True)
