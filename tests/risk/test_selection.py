"""Selection respects each region's capacity, the eligibility rule and its exclusions, and who is
already in the programme; the web app's reading API returns the stored scores."""

from __future__ import annotations

import csv
import datetime as dt
import stat

import pyarrow.parquet as pq
import pytest

from opspor.engines import connect
from opspor.rules import aps_eligibility
from opspor.store import SnapshotStore
from tests.risk.risk_kit import env_for

DAY = "2025-12-31"


@pytest.fixture
def in_home(home, monkeypatch):
    """The environment of the copied store for in-process calls of the API."""
    for name, value in env_for(home).items():
        if name.startswith("OPSPOR_"):
            monkeypatch.setenv(name, value)
    return home


def _eligibility(home, day: dt.date):
    with connect(store=SnapshotStore(home / "store")) as con:
        return {r.person_key: r for r in aps_eligibility(con, day)}


def _scores(home):
    folder = next((home / "risk" / "scores").iterdir())
    return pq.read_table(folder / "scores.parquet").to_pylist()


def test_select_takes_the_top_eligible_per_region_up_to_capacity(cli, home, tmp_path):
    cli("risk", "score", "--as-of", DAY)
    scores = _scores(home)
    rows = _eligibility(home, dt.date.fromisoformat(DAY))
    eligible = {k for k, r in rows.items() if not r.excluded}
    excluded = {k for k, r in rows.items() if r.excluded}
    assert eligible and excluded  # the population has both
    ranked = {}
    for s in scores:  # scores are stored in region and rank order
        if s["person_key"] in eligible:
            ranked.setdefault(s["region_code"], []).append(s["person_key"])
    # the programme already has the three highest-ranked eligible persons of region 1084
    already = ranked["1084"][:3]
    (tmp_path / "programme.txt").write_text("person_key\n" + "\n".join(already) + "\n# the end\n")
    (tmp_path / "capacity.csv").write_text("region_code,capacity\n1083,3\n1081,0\n")
    out = tmp_path / "selected.csv"
    result = cli("risk", "select", "--as-of", DAY, "--capacity", "1084=5", "--capacity-file",
                 tmp_path / "capacity.csv", "--exclude-file", tmp_path / "programme.txt", "--out", out)
    assert "Selected 8 persons" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with open(out, encoding="utf-8", newline="") as f:
        selected = list(csv.DictReader(f))
    assert list(selected[0]) == ["region_code", "rank", "cpr", "name", "person_key", "score", "rank_in_region",
                                 "routes", "explanation"]
    by_region: dict[str, list[dict]] = {}
    for row in selected:
        by_region.setdefault(row["region_code"], []).append(row)
    assert {r: len(v) for r, v in by_region.items()} == {"1083": 3, "1084": 5}
    assert [r["person_key"] for r in by_region["1084"]] == ranked["1084"][3:8]
    assert [r["person_key"] for r in by_region["1083"]] == ranked["1083"][:3]
    for chosen in by_region.values():
        assert [int(r["rank"]) for r in chosen] == list(range(1, len(chosen) + 1))
        ranks = [int(r["rank_in_region"]) for r in chosen]
        assert ranks == sorted(ranks)
    with SnapshotStore(home / "store").connect() as con:
        identity = dict(con.execute("SELECT person_key, cpr FROM identity").fetchall())
    for row in selected:
        assert row["person_key"] in eligible and row["person_key"] not in excluded
        assert row["person_key"] not in already
        assert row["cpr"] == identity[row["person_key"]] and row["name"]
        assert row["routes"] and row["explanation"]


def test_the_api_selects_the_same_and_explains_everybody_it_selects(in_home, tmp_path, monkeypatch):
    from opspor.risk import api
    from opspor.risk.selection import SelectionError

    # explain only the first 1 % of each region when scoring, so selection must explain the rest
    config = tmp_path / "config"
    config.mkdir()
    from opspor.risk.config import CONFIG_DIR

    text = (CONFIG_DIR / "model.yaml").read_text().replace("explain_share: 0.05", "explain_share: 0.01")
    (config / "model.yaml").write_text(text.replace("explain_min_per_region: 1000", "explain_min_per_region: 0"))
    monkeypatch.setenv("OPSPOR_RISK_CONFIG", str(config))
    day = dt.date.fromisoformat(DAY)
    selected = api.select(day, {"1082": 60, "1085": 2}, already_in_programme=set())
    regions = [s.region_code for s in selected]
    assert regions.count("1082") == 60 and regions.count("1085") == 2
    assert all(s.explanation for s in selected)
    scores = api.latest_scores(day)
    assert scores is not None and scores.as_of == day
    unexplained = [s for s in selected if scores[s.person_key].explanation is None]
    assert unexplained  # they were explained by the selection itself
    eligible = {k for k, r in _eligibility(in_home, day).items() if not r.excluded}
    assert {s.person_key for s in selected} <= eligible
    again = api.select(day, {"1082": 60, "1085": 2}, already_in_programme={selected[0].person_key})
    assert selected[0].person_key not in {s.person_key for s in again}
    assert len([s for s in again if s.region_code == "1082"]) == 60
    with pytest.raises(SelectionError, match="whole number >= 0"):
        api.select(day, {"1082": -1})


def test_latest_scores_reads_a_region_and_persons(in_home):
    from opspor.risk import api, registry, scoring

    assert api.latest_scores() is None  # nothing scored yet
    day = dt.date.fromisoformat(DAY)
    record = scoring.score(day)
    scores = api.latest_scores()
    assert scores.score_id == record["score_id"] and scores.model_id == registry.selected()
    assert scores.snapshot_id == SnapshotStore().current() and scores.as_of == day
    rows = scores.region("1083")
    assert rows and [r.rank_in_region for r in rows] == list(range(1, len(rows) + 1))
    assert all(r.region_code == "1083" for r in rows)
    top = rows[0]
    assert scores[top.person_key] == top and top.person_key in scores
    assert scores.lookup([top.person_key, "no-such-key"]) == {top.person_key: top}
    score, rank, explanation = top.score, top.rank_in_region, top.explanation
    assert 0 < score <= 1 and rank == 1 and explanation
    assert len(scores) == record["persons"]
    assert api.latest_scores(dt.date(2025, 1, 1)) is None
    (in_home / "risk" / "SELECTED").unlink()
    assert api.latest_scores() is None
