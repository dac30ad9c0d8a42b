"""The ``opspor risk`` commands through the real command line: train, report, score, models,
select-model (refusing an unapproved model), card; a mismatched or tampered model is refused; bad inputs give clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq

from opspor.store import SnapshotStore
from tests.risk.risk_kit import Cli, approve
from tests.support import assert_no_cpr

SCORE_DAY = "2025-12-31"


def _risk(home: Path) -> Path:
    return home / "risk"


def _selected(home: Path) -> str:
    return (_risk(home) / "SELECTED").read_text().strip()


def _report_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    return re.sub(r'src="data:image/png;base64,[^"]*"', 'src=""', html)


def test_train_stores_both_models_and_writes_the_report(trained):
    out = trained.train_output
    assert "Trained" in out and "test as-of 2025-07-01" in out
    assert "2024-01-01, 2024-04-01, 2024-07-01, 2024-10-01" in out
    assert "boosted / true probabilities AUROC" in out
    home = trained.home
    models = {p.name: json.loads((p / "model.json").read_text()) for p in (_risk(home) / "models").iterdir()}
    assert sorted(m["kind"] for m in models.values()) == ["boosted", "logistic"]
    chosen = models[_selected(home)]
    assert chosen["kind"] == "boosted"
    for record in models.values():
        assert record["training"]["schedule"]["test_as_of"] == "2025-07-01"
        assert record["snapshot_id"] == SnapshotStore(home / "store").current()
        assert re.fullmatch(r"[0-9a-f]{64}", record["content_sha256"])
        assert record["code_version"]["opspor"] and record["code_version"]["risk_source_sha256"]
        names = [f["name"] for f in record["feature_schema"]["features"]]
        assert "acute_admissions_182d" in names and "cond_copd" in names
        assert 0.5 < record["metrics"]["auroc"] < 1
        # every outcome window the model learnt from ended by the test as-of date
        for day in record["training"]["schedule"]["train_as_of"]:
            assert day <= "2024-12-31"
    assert_no_cpr(*[(p / "model.json").read_text() for p in (_risk(home) / "models").iterdir()], cprs=trained.cprs, shaped=False)
    for p in (_risk(home) / "models").iterdir():
        data = (p / "model.joblib").read_bytes()
        assert not any(c.encode() in data for c in list(trained.cprs)[:500])


def test_report_holds_the_required_metrics_by_group_and_the_truth(trained):
    reports = list((_risk(trained.home) / "reports").iterdir())
    assert len(reports) == 1
    text = _report_text(reports[0] / "report.html")
    for needle in ("AUROC", "AUPRC", "Brier", "Kal. skæring", "Kal. hældning", "Top 1 %", "Top 2 %",
                   "Top 5 %", "sensitivitet", "PPV", "markeret", "Efter region", "Efter køn",
                   "Efter aldersgruppe", "Sande sandsynligheder", "Gradient boosting", "Logistisk regression",
                   "SPARRA", "0,95", "2025-07-01"):
        assert needle in text, needle
    assert text.count("<img") >= 4  # ROC, precision-recall, calibration, AUROC by group
    assert (reports[0] / "report.html").read_text().count("data:image/png;base64,") >= 4
    assert_no_cpr(text, cprs=trained.cprs, shaped=False)
    record = json.loads((reports[0] / "evaluation.json").read_text())
    overall = record["evaluation"]["overall"]
    assert set(overall) == {"boosted", "logistic", "truth"}
    for m in overall.values():
        assert m["auroc_ci"][0] <= m["auroc"] <= m["auroc_ci"][1]
        assert [t["share"] for t in m["top"]] == [0.01, 0.02, 0.05]
    assert set(record["evaluation"]["groups"]) == {"region", "sex", "age_band"}
    assert "ratio" in record["headline"]


def test_report_can_be_made_again_in_english(cli, home, tmp_path):
    out = tmp_path / "report-en.html"
    result = cli("risk", "report", "--lang", "en", "--out", out)
    assert str(out) in result.stdout
    text = _report_text(out)
    assert "True probabilities" in text and "By age band" in text and "Calibration" in text


def test_score_stores_ranked_explained_scores_without_cpr(cli, home, trained):
    result = cli.subprocess("risk", "score", "--as-of", SCORE_DAY)
    assert "Scored" in result.stdout
    folder = next((_risk(home) / "scores").iterdir())
    record = json.loads((folder / "score.json").read_text())
    assert record["model_id"] == _selected(home) and record["as_of"] == SCORE_DAY
    table = pq.read_table(folder / "scores.parquet")
    assert table.column_names == ["person_key", "region_code", "score", "rank_in_region", "explanation"]
    rows = table.to_pylist()
    assert len(rows) == record["persons"] > 5000
    assert all(0 <= r["score"] <= 1 for r in rows)
    by_region: dict[str, list[dict]] = {}
    for r in rows:
        by_region.setdefault(r["region_code"], []).append(r)
    for region_rows in by_region.values():
        assert [r["rank_in_region"] for r in region_rows] == list(range(1, len(region_rows) + 1))
        scores = [r["score"] for r in region_rows]
        assert scores == sorted(scores, reverse=True)
        assert region_rows[0]["explanation"]  # the highest-ranked are explained
    # the text columns (a score's digits may spell a test CPR number by chance: 0.0208064406...)
    text = "\n".join(v for r in rows for v in r.values() if isinstance(v, str))
    assert_no_cpr(text, (folder / "score.json").read_text(), cprs=trained.cprs, shaped=False)


def test_select_model_refuses_an_unapproved_model_naming_the_fix_and_takes_an_approved_one(cli, home, trained):
    listing = cli("risk", "models").stdout
    ids = [p.name for p in (_risk(home) / "models").iterdir()]
    assert len(ids) == 2 and all(i in listing for i in ids) and "yes" in listing
    other = trained.models["logistic"]
    assert other != _selected(home)
    r = cli("risk", "select-model", other, expect=1)
    err = " ".join(r.stderr.split())
    assert f"model {other} has no recorded approval and cannot be put in use" in err
    assert "the programme lead proposes it and a doctor of the region approves it" in err
    assert "/risikomodeller/" in err
    assert _selected(home) == trained.models["boosted"]  # unchanged
    approve(home, other)
    assert "doctor 20" in listing  # the boosted model's approval in `opspor risk models`
    cli("risk", "select-model", other)
    assert _selected(home) == other
    log = [json.loads(line) for line in (_risk(home) / "governance" / "decisions.jsonl").read_text().splitlines()]
    assert [(e["step"], e["model_id"]) for e in log][-1] == ("select", other)
    assert log[-1]["role"] == "operator" and log[-1]["previous"] == trained.models["boosted"]
    assert oct((_risk(home) / "governance" / "decisions.jsonl").stat().st_mode & 0o777) == "0o600"


def test_the_model_card_file_names_use_data_performance_groups_limits_and_approver(cli, home, tmp_path):
    out = tmp_path / "card.md"
    cli("risk", "card", "--out", out, "--lang", "en")
    text = out.read_text(encoding="utf-8")
    model = _selected(home)
    assert "# Model card: " in text and model in text
    for part in ("## Intended use", "Rank the region's adults", "## Data and period", "2024-01-01, 2024-04-01",
                 "## Performance on the test as-of date", "AUROC 0.", "## By group", "| sex F |", "| age_band 85+ |",
                 "## Limits", "Sees only the hospital contacts", "## Approval and use",
                 "Approved by: Test Doctor (doctor, Region Syddanmark)", "Proposed by: Test Lead", "In use: yes"):
        assert part in text, part
    danish = cli("risk", "card").stdout
    assert "Tilsigtet brug" in danish and "Godkendt af" in danish


def test_a_model_whose_features_differ_is_refused_with_the_differences_and_the_fix(cli, home, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    shipped = Path(__import__("opspor.risk.config", fromlist=["CONFIG_DIR"]).CONFIG_DIR)
    text = (shipped / "features.yaml").read_text(encoding="utf-8")
    text = text.replace("version: 2", "version: 3", 1).replace("windows_days: [30, 91, 182, 365]",
                                                                "windows_days: [91, 182, 365]")
    text = text.replace("copd:\n      codes: [DJ44]", "copd:\n      codes: [DJ44, DJ43]")
    (config / "features.yaml").write_text(text, encoding="utf-8")
    result = cli("risk", "score", "--as-of", SCORE_DAY, expect=1, env={"OPSPOR_RISK_CONFIG": str(config)})
    err = " ".join(result.stderr.split())
    model = _selected(home)
    assert f"model {model} does not fit the data" in err
    assert "acute_admissions_30d: in the model, not in the data" in err
    assert "cond_copd: definition differ" in err
    assert "version 2" in err and "version 3" in err
    assert "Fix: train a model on the current configuration with `opspor risk train`" in err
    assert not (_risk(home) / "scores").exists() or not any((_risk(home) / "scores").iterdir())


def test_a_tampered_model_file_is_refused(cli, home, trained):
    for model in trained.models.values():
        path = _risk(home) / "models" / model / "model.joblib"
        path.write_bytes(path.read_bytes() + b"\0")
    model = _selected(home)
    result = cli("risk", "score", "--as-of", SCORE_DAY, expect=1)
    err = " ".join(result.stderr.split())
    assert f"model {model}: model.joblib does not match its recorded content hash" in err
    assert "Fix:" in err
    approve(home, trained.models["logistic"])
    log = (_risk(home) / "governance" / "decisions.jsonl").read_text()
    result = cli("risk", "select-model", trained.models["logistic"], expect=1)
    assert "content hash" in result.stderr
    assert (_risk(home) / "governance" / "decisions.jsonl").read_text() == log  # the refused step is not logged
    assert _selected(home) == model


def test_an_edited_feature_schema_in_the_record_is_refused(cli, home):
    model = _selected(home)
    path = _risk(home) / "models" / model / "model.json"
    record = json.loads(path.read_text())
    record["feature_schema"]["features"].pop()
    path.write_text(json.dumps(record))
    result = cli("risk", "score", "--as-of", SCORE_DAY, expect=1)
    assert "the record was edited after training" in " ".join(result.stderr.split())


def test_bad_inputs_give_clear_errors_without_a_traceback(cli, home, trained, tmp_path):
    r = cli("risk", "score", "--as-of", "2030-01-01", expect=1)
    assert "the data end on 2026-01-01" in " ".join(r.stderr.split())
    r = cli("risk", "score", "--as-of", "2023-06-01", expect=1)
    assert "365 days of history" in " ".join(r.stderr.split())
    r = cli("risk", "score", "--as-of", "01-06-2025", expect=2)
    assert "is not a date like" in r.output
    r = cli("risk", "train", "--test-as-of", "2025-12-01", expect=1)
    assert "does not fit" in " ".join(r.stderr.split())
    r = cli("risk", "select", "--as-of", SCORE_DAY, "--capacity", "1083:x", "--out", tmp_path / "s.csv", expect=2)
    assert "is not REGION=N" in " ".join(r.output.split())
    r = cli("risk", "select", "--as-of", SCORE_DAY, "--out", tmp_path / "s.csv", expect=2)
    assert "--capacity" in r.output
    r = cli("risk", "select-model", "not-an-id", expect=1)
    assert "is not a model id" in r.stderr
    (_risk(home) / "SELECTED").unlink()
    r = cli("risk", "score", "--as-of", SCORE_DAY, expect=1)
    assert "no model is selected" in r.stderr and "opspor risk select-model ID" in " ".join(r.stderr.split())
    empty = Cli(tmp_path / "empty-home", trained.cprs)
    r = empty.subprocess("risk", "train", expect=1)  # the installed command, as an operator runs it
    assert "has no snapshot yet" in " ".join(r.stderr.split())
    r = empty("risk", "score", "--as-of", SCORE_DAY, expect=1)
    assert "no model is selected" in r.stderr
