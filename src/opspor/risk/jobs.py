"""The risk jobs the CLI, the demo and the web app call: train (with temporal validation,
evaluation, registry and report), and re-make a report.

``train`` reads one snapshot, computes features and outcomes for the training and test as-of
dates (:mod:`opspor.risk.models.training`), fits and calibrates both model kinds, evaluates
them (and the synthetic truth, when given) on the test date, stores both models and the
report. Putting a model in use needs an approval (opspor.risk.governance); the configured kind
(``select: boosted``) is the one the summary names as ``chosen``, for proposing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from opspor import engines
from opspor.i18n import DEFAULT, LANGUAGES, translator
from opspor.risk import registry, settings
from opspor.risk import report as report_mod
from opspor.risk import truth as truth_mod
from opspor.risk.evaluation.evaluate import age_band_labels, evaluate
from opspor.risk.features import FeatureSet
from opspor.risk.models.estimators import LABELS
from opspor.risk.models.training import TrainingError, date_data, fit_models, schedule
from opspor.risk.outcome import data_period
from opspor.store import SnapshotStore
from opspor.store.snapshots import new_id

EVALUATION_FORMAT = "opspor.risk.evaluation/1"
EVALUATION_FILE = "evaluation.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _groups(frame, rows: np.ndarray, age_bands: tuple[int, ...]) -> dict[str, np.ndarray]:
    region = np.array(["unknown" if r is None else r for r in frame.region_code.take(rows).to_pylist()],
                      dtype=object)
    male = frame.column("sex_male")[rows]
    sex = np.where(np.isnan(male), "unknown", np.where(male == 1, "M", "F")).astype(object)
    return {"region": region, "sex": sex, "age_band": age_band_labels(frame.column("age")[rows], age_bands)}


def train(
    test_as_of: date | None = None,
    horizon: str | None = None,
    truth_dir: Path | None = None,
    lang: str = "da",
    store: SnapshotStore | None = None,
    snapshot_id: str | None = None,
    log: Callable[[str], None] = lambda _: None,
    engine: str | None = None,
) -> dict:
    """Train, evaluate, store and report; returns a summary (ids, headline figures, paths).
    ``engine``: the connection string of the engine computing features and outcomes."""
    started = time.perf_counter()
    cfg = settings.load(horizon=horizon)
    fs = FeatureSet(cfg.features)
    store = store or SnapshotStore()
    snapshot_id = snapshot_id or store.current()
    con = engines.connect(engine, store=store, snapshot=snapshot_id)
    timings: dict[str, float] = {}
    try:
        period = data_period(con)
        if period is None:
            raise TrainingError("the snapshot has no contacts to train on. Fix: load a drop with "
                                "`opspor ingest DIR`")
        sched = schedule(period, cfg, test_as_of)
        log(f"snapshot {snapshot_id}; data {period.first_day} to {period.end_day}; training as-of dates "
            f"{', '.join(str(d) for d in sched.train)}; test as-of date {sched.test}; horizon "
            f"{cfg.outcome.horizon} ({cfg.outcome.horizon_days} days)")
        t0 = time.perf_counter()
        train_data = []
        for day in sched.train:
            train_data.append(date_data(con, fs, cfg, day, period))
            log(f"features and outcome of {day}: {len(train_data[-1].rows):,} persons, "
                f"{int(train_data[-1].y.sum()):,} admitted")
        test = date_data(con, fs, cfg, sched.test, period)
        log(f"features and outcome of {sched.test} (test): {len(test.rows):,} persons, {int(test.y.sum()):,} admitted")
        timings["features_and_outcomes"] = round(time.perf_counter() - t0, 2)
        truth_info: dict = {}
        truth_p = None
        if truth_dir is not None:
            try:
                found = truth_mod.load(con, Path(truth_dir), sched.test, cfg.outcome.horizon_days,
                                       test.features.person_key.take(test.rows))
                truth_p = found.p
                truth_info = {"file": found.file, "column": found.column, "missing": found.missing}
                log(f"true probabilities {found.column} of {sched.test} from {found.file}")
            except truth_mod.TruthError as error:
                truth_info = {"why": str(error)}
                log(f"warning: no true probabilities in the report: {error}")
        else:
            truth_info = {"why": "no truth folder given (--truth)"}
    finally:
        con.close()

    t0 = time.perf_counter()
    models, fit_summary = fit_models(fs, cfg, train_data, log=log)
    timings["fit"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    X, y = test.X, test.y
    scores = {kind: model.predict(X) for kind, model in models.items()}
    keep = np.ones(len(y), dtype=bool)
    if truth_p is not None:
        keep = ~np.isnan(truth_p)
        scores["truth"] = truth_p
    groups = _groups(test.features, test.rows[keep], cfg.model.age_bands)
    evaluation = evaluate(y[keep], {k: v[keep] for k, v in scores.items()}, groups, cfg.model, cfg.model.seed)
    timings["evaluate"] = round(time.perf_counter() - t0, 2)

    training_id = new_id()
    created = _now()
    code = registry.code_version()
    training = {
        "snapshot_id": snapshot_id,
        "data_first_day": period.first_day.isoformat(),
        "data_end": period.end_day.isoformat(),
        "schedule": sched.describe(),
        "calibration_method": cfg.model.calibration_method,
        **fit_summary,
    }
    feature_schema = {"config_version": cfg.features.version, "config_sha256": cfg.features.digest,
                      "features": fs.schema()}
    chosen = cfg.model.select
    stored: dict[str, dict] = {}
    for kind, model in models.items():
        overall = {k: v for k, v in evaluation["overall"][kind].items()
                   if k not in ("roc_curve", "pr_curve", "calibration_curve")}
        model_id = registry.save_model(model, {
            "kind": kind,
            "label": {code: translator(code)(LABELS[kind]) for code in LANGUAGES},
            "training_id": training_id,
            "created_at": created,
            "snapshot_id": snapshot_id,
            "training": {k: v for k, v in training.items() if k != "seconds"},
            "feature_schema": feature_schema,
            "config": cfg.describe(),
            "parameters": cfg.model.logistic if kind == "logistic" else cfg.model.boosted,
            "n_iter": model.n_iter,
            "code_version": code,
            "metrics": {"test_as_of": sched.test.isoformat(), "persons": evaluation["persons"],
                        "positives": evaluation["positives"], **overall},
            "report": str(registry.reports_dir() / training_id / "report.html"),
        })
        stored[kind] = {"model_id": model_id, "n_iter": model.n_iter,
                        "fit_seconds": fit_summary["seconds"][kind]}
        log(f"stored {kind} model {model_id}")
    record = {
        "format": EVALUATION_FORMAT,
        "training_id": training_id,
        "created_at": created,
        "training": training,
        "config": cfg.describe(),
        "code_version": code,
        "evaluation_settings": {"bootstrap": cfg.model.bootstrap, "confidence": cfg.model.confidence,
                                "top_shares": list(cfg.model.top_shares), "age_bands": list(cfg.model.age_bands)},
        "models": stored,
        "truth": truth_info,
        "evaluation": evaluation,
    }
    record["headline"] = report_mod.headline(record)
    t0 = time.perf_counter()
    folder = registry.reports_dir() / training_id
    with registry.staged_folder(folder) as stage:
        registry.write_json(stage / EVALUATION_FILE, record)
        (stage / "report.html").write_text(report_mod.render(record, lang), encoding="utf-8")
    timings["report"] = round(time.perf_counter() - t0, 2)
    timings["total"] = round(time.perf_counter() - started, 2)
    return {
        "training_id": training_id,
        "snapshot_id": snapshot_id,
        "schedule": sched.describe(),
        "models": {k: v["model_id"] for k, v in stored.items()},
        "selected": registry.selected(),
        "chosen": stored[chosen]["model_id"],
        "headline": record["headline"],
        "overall": {k: {m: v for m, v in evaluation["overall"][k].items()
                        if m not in ("roc_curve", "pr_curve", "calibration_curve")}
                    for k in evaluation["overall"]},
        "persons": evaluation["persons"],
        "positives": evaluation["positives"],
        "report": str(folder / "report.html"),
        "timings_seconds": timings,
    }


def training_record(training_id: str) -> dict:
    path = registry.reports_dir() / training_id / EVALUATION_FILE
    try:
        record = registry.read_json(path)
    except FileNotFoundError:
        raise registry.RegistryError(f"no training run {training_id} in {registry.reports_dir()} "
                                     "(see `opspor risk models`)") from None
    if record.get("format") != EVALUATION_FORMAT:
        raise registry.RegistryError(f"{path} is not an evaluation record of this opspor version. Fix: "
                                     "retrain with `opspor risk train`")
    return record


def make_report(model_id: str | None = None, out: Path | None = None, lang: str = "da") -> Path:
    """Re-make the report of the training run of ``model_id`` (default: the selected model, else
    the newest model) into ``out`` (default: the run's folder, ``report.<lang>.html``)."""
    if model_id is None:
        model_id = registry.selected()
        if model_id is None:
            models = registry.list_models()
            if not models:
                raise registry.RegistryError("no trained model yet. Fix: run `opspor risk train`")
            model_id = models[-1]["model_id"]
    training_id = registry.model_record(model_id)["training_id"]
    record = training_record(training_id)
    html = report_mod.render(record, lang)
    if out is None:
        out = registry.reports_dir() / training_id / ("report.html" if lang == DEFAULT else f"report.{lang}.html")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
