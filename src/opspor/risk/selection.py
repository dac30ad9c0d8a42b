"""Selection for Aktiv Patientstøtte: in each region, the highest-scored eligible persons, up to
the region's capacity.

A person is a candidate when, on the as-of date,

* the eligibility rule (``opspor.rules.aps_eligibility``, the shipped ``aps_eligibility.yaml``)
  lists them with at least one route and **no** exclusion (dead, assisted living, dementia, ...);
* they are not already in the programme (``already_in_programme``: person keys);
* they have a score from the selected model for that date.

Candidates are taken in the order of ``rank_in_region`` (the score, highest first; ties by
person key) until the region's capacity is used. A region without a capacity gets nobody.
The scores are the newest stored ones of the selected model for the as-of date on the current
snapshot; when there are none, the date is scored first (and the scores stored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from opspor import engines
from opspor.risk import explain as explain_mod
from opspor.risk import registry, scoring, settings
from opspor.risk.features import FeatureSet
from opspor.rules import aps_eligibility
from opspor.store import SnapshotStore


class SelectionError(Exception):
    """Selection cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Selected:
    region_code: str
    person_key: str
    score: float  # 0-1
    rank: int  # 1 = the first selected in the region
    explanation: str
    rank_in_region: int = 0  # among everybody scored in the region
    routes: tuple[str, ...] = field(default=())  # the eligibility routes that hold


@dataclass
class Selection:
    """The selected persons and the counts behind them (for the console and the web)."""

    as_of: date
    model_id: str
    score_id: str
    snapshot_id: str
    selected: list[Selected]
    by_region: dict[str, dict]  # region -> capacity, eligible, already, candidates, selected


def check_capacities(capacities: Mapping[str, int]) -> dict[str, int]:
    out = {}
    for region, capacity in capacities.items():
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise SelectionError(f"the capacity of region {region} must be a whole number >= 0, got "
                                 f"{capacity!r}")
        out[str(region)] = capacity
    return out


def _scores_for(as_of: date, store: SnapshotStore, log: Callable[[str], None]) -> scoring.ScoreSet:
    model_id = registry.require_selected()
    current = store.current()
    for found in scoring.stored(model_id, as_of):
        if found.snapshot_id == current:
            return found
    log(f"no stored scores of model {model_id} for {as_of} on snapshot {current}: scoring now")
    record = scoring.score(as_of, model_id, store=store, snapshot_id=current, log=log)
    return next(s for s in scoring.stored(model_id, as_of) if s.score_id == record["score_id"])


def select(
    as_of: date,
    capacities: Mapping[str, int],
    already_in_programme: Iterable[str] = (),
    store: SnapshotStore | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Selection:
    capacities = check_capacities(capacities)
    store = store or SnapshotStore()
    scores = _scores_for(as_of, store, log)
    already = set(already_in_programme)
    con = engines.connect(store=store, snapshot=scores.snapshot_id)
    try:
        rows = aps_eligibility(con, as_of)
        eligible = {r.person_key: r for r in rows if not r.excluded}
        table = scores.table(columns=["person_key", "region_code", "score", "rank_in_region", "explanation"])
        keys = pa.array(list(eligible), pa.string())
        mask = pc.is_in(table.column("person_key"), value_set=keys)
        table = table.filter(mask)
        out: list[Selected] = []
        by_region: dict[str, dict] = {}
        regions = sorted(set(capacities) | {r.region_code for r in eligible.values() if r.region_code})
        region_col = table.column("region_code").to_pylist()
        per_region: dict[str, list[int]] = {}
        for i, region in enumerate(region_col):
            per_region.setdefault(region, []).append(i)
        ranks = table.column("rank_in_region").to_pylist()
        pkeys = table.column("person_key").to_pylist()
        score = table.column("score").to_pylist()
        texts = table.column("explanation").to_pylist()
        for region in regions:
            idx = sorted(per_region.get(region, []), key=lambda i: ranks[i])
            capacity = capacities.get(region, 0)
            candidates = [i for i in idx if pkeys[i] not in already]
            chosen = candidates[:capacity]
            for n, i in enumerate(chosen, start=1):
                out.append(Selected(region, pkeys[i], float(score[i]), n, texts[i] or "", int(ranks[i]),
                                    tuple(eligible[pkeys[i]].routes)))
            by_region[region] = {"capacity": capacity, "eligible_scored": len(idx),
                                 "already_in_programme": len(idx) - len(candidates),
                                 "candidates": len(candidates), "selected": len(chosen)}
        missing = [s for s in out if not s.explanation]
        if missing:
            out = _explain_missing(con, scores, as_of, out, missing)
    finally:
        con.close()
    return Selection(as_of, scores.model_id, scores.score_id, scores.snapshot_id, out, by_region)


def _explain_missing(con, scores: scoring.ScoreSet, as_of: date, out: list[Selected],
                     missing: list[Selected]) -> list[Selected]:
    """Explain the selected persons whose stored scores carry no explanation (ranked below the
    explained share): their features are computed again for just them."""
    model, record = registry.load_model(scores.model_id)
    cfg = settings.load()
    fs = FeatureSet(cfg.features)
    registry.check_schema(record, fs)
    frame = fs.compute(con, as_of, person_keys=[s.person_key for s in missing])
    lang = scores.record.get("language", "da")
    texts = explain_mod.explain(model, fs, frame.X, None, lang)
    by_key = dict(zip(frame.person_key.to_pylist(), texts, strict=True))
    return [s if s.explanation else Selected(s.region_code, s.person_key, s.score, s.rank,
                                             by_key.get(s.person_key, ""), s.rank_in_region, s.routes)
            for s in out]
