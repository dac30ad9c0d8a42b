"""The outcome: at least one acute admission in the horizon after the as-of date, and the period
the data cover.

For as-of date A (T = A 00:00) and horizon N days (``outcome.yaml``; 6m = 182, 12m = 365):

* the population is everybody alive at T (``death_date`` empty or ``>= A``) — the features'
  population, row for row;
* ``y = 1`` when a contact meeting the outcome's concept (``acute_admission`` of
  ``rules/config/concepts.yaml``: priority acute, lasted ``admission_hours`` or more) *started*
  in ``[T, T + N days)``; its length is counted up to the end of the data, so an acute stay
  still open in the data counts once it had lasted that long there. A stay that began before T and goes on after it is
  not an outcome (it is the feature ``admitted_at_as_of``);
* a person who dies in the window before any acute admission has ``y = 0`` (death is a
  competing risk, as in the generator's truth) with ``deaths: competing_risk``, or is left out
  with ``deaths: exclude``. A death after an admission does not change ``y = 1``;
* the outcome is known only when the whole window lies inside the data: ``T + N days`` must
  not be after the end of the data (:func:`data_period`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from opspor.engines import Engine
from opspor.risk.config import OutcomeConfig
from opspor.rules import concepts as clinical
from opspor.rules.sql import Dialect


class OutcomeError(Exception):
    """The outcome cannot be known for the date asked; the message says why and what to do."""


@dataclass(frozen=True)
class DataPeriod:
    """What the snapshot covers: contacts from ``first_day``; the data end at ``end``
    (00:00 after the day of the latest contact start, the moment the extract was taken)."""

    first_day: date
    end: datetime
    latest_start: datetime

    @property
    def end_day(self) -> date:
        """The first day not in the data."""
        return self.end.date()


def data_period(engine: Engine) -> DataPeriod | None:
    """The period the snapshot's contacts cover; None without contacts."""
    first, latest = engine.row("SELECT min(start), max(start) FROM contacts")
    if first is None:
        return None
    end = datetime.combine(latest.date() + timedelta(days=1), datetime.min.time())
    return DataPeriod(first.date(), end, latest)


@dataclass
class Outcome:
    """Outcomes aligned with a FeatureFrame row for row (both ordered by ``person_key``)."""

    as_of: date
    horizon_days: int
    person_key: pa.Array
    y: np.ndarray  # int8: 1 = acute admission in the window
    died: np.ndarray  # bool: died in the window (with or without an admission)


def outcome_sql(as_of: date, cfg: OutcomeConfig, data_end: datetime, d: Dialect) -> str:
    T = d.timestamp(datetime.combine(as_of, datetime.min.time()))
    A = d.date(as_of)
    window_end = d.add_days(T, cfg.horizon_days)
    last_day = as_of + timedelta(days=cfg.horizon_days - 1)
    event = "(" + " OR ".join(f"({clinical.shipped().sql(name, d, 'contacts', data_end)})"
                              for name in cfg.concepts) + ")"  # any of the concepts
    return f"""
WITH adm AS (
  SELECT DISTINCT person_key FROM contacts
  WHERE start >= {T} AND start < {window_end} AND {event}
)
SELECT p.person_key, (a.person_key IS NOT NULL) AS y,
       coalesce(p.death_date <= {d.date(last_day)}, FALSE) AS died
FROM persons p LEFT JOIN adm a ON a.person_key = p.person_key
WHERE (p.death_date IS NULL OR p.death_date >= {A}) AND (p.birth_date IS NULL OR p.birth_date < {A})
ORDER BY p.person_key
"""


def compute(
    engine: Engine,
    as_of: date,
    cfg: OutcomeConfig,
    period: DataPeriod | None = None,
) -> Outcome:
    """The outcome of everybody alive at ``as_of``. Raises :class:`OutcomeError` when the window
    is not inside the data."""
    period = period or data_period(engine)
    if period is None:
        raise OutcomeError("the snapshot has no contacts, so no outcome can be known")
    window_end = as_of + timedelta(days=cfg.horizon_days)
    if window_end > period.end_day:
        raise OutcomeError(
            f"the outcome of {as_of} needs data up to {window_end} ({cfg.horizon}: "
            f"{cfg.horizon_days} days), but the data end on {period.end_day} (latest contact "
            f"{period.latest_start:%Y-%m-%d %H:%M}). Fix: choose an as-of date on or before "
            f"{period.end_day - timedelta(days=cfg.horizon_days)}, or load newer data")
    table = engine.query(outcome_sql(as_of, cfg, period.end, engine.dialect))
    return Outcome(
        as_of,
        cfg.horizon_days,
        table.column("person_key").combine_chunks(),
        table.column("y").to_numpy(zero_copy_only=False).astype(np.int8),
        table.column("died").to_numpy(zero_copy_only=False).astype(bool),
    )


def usable(outcome: Outcome, cfg: OutcomeConfig) -> np.ndarray:
    """Rows that enter training and evaluation: all, or without the persons who died in the
    window before an admission (``deaths: exclude``)."""
    if cfg.deaths == "exclude":
        return ~(outcome.died & (outcome.y == 0))
    return np.ones(len(outcome.y), dtype=bool)
