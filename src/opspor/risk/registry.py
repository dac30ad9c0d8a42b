"""The model registry: trained models, the selected one, and the folders risk writes to.

Layout under ``$OPSPOR_HOME/risk``::

    models/<model_id>/model.joblib   the fitted, calibrated model (a RiskModel)
    models/<model_id>/model.json     feature schema, training snapshot and dates, configuration,
                                     code version, metrics, content hash of model.joblib
    reports/<training_id>/           report.html and evaluation.json of one training run
    scores/<score_id>/               scores.parquet and score.json (opspor.risk.scoring)
    SELECTED                         the id of the model in use
    staging/                         folders being written; renamed into place when complete

A folder appears complete or not at all (written under ``staging/``, then renamed). ``SELECTED``
is replaced atomically (``os.replace``). Loading a model checks the SHA-256 of ``model.joblib``
against ``model.json`` before unpickling, so a changed or swapped file is refused; scoring also
checks the model's feature schema against the current configuration
(:func:`check_schema`). Nothing here holds a CPR number.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import joblib
import sklearn

import opspor
from opspor import paths
from opspor.digests import sha256_file
from opspor.risk.features import FeatureSet, compare_schema
from opspor.risk.models.estimators import RiskModel
from opspor.store.snapshots import ID_PATTERN, fsync, new_id

MODEL_FORMAT = "opspor.risk.model/1"
MODEL_FILE, RECORD_FILE = "model.joblib", "model.json"


class RegistryError(Exception):
    """A problem with stored models or scores that the operator must resolve; says how."""


class ModelMismatch(RegistryError):
    """The model's feature schema differs from the data's (the current configuration)."""


def risk_dir() -> Path:
    return paths.home() / "risk"


def models_dir() -> Path:
    return risk_dir() / "models"


def reports_dir() -> Path:
    return risk_dir() / "reports"


def scores_dir() -> Path:
    return risk_dir() / "scores"


def selected_file() -> Path:
    return risk_dir() / "SELECTED"


def analyses_dir(model_id: str) -> Path:
    """``risk/analyses/<model_id>``: a model's decision, fairness and external-validation figures
    (aggregates only; ``opspor risk decision`` etc.), read by the model card."""
    return risk_dir() / "analyses" / model_id


def save_analysis(kind: str, record: dict) -> Path:
    """Store ``record`` (with ``model_id``) as the model's latest ``kind`` analysis; returns the path."""
    folder = analyses_dir(record["model_id"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}.json"
    tmp = path.with_suffix(".tmp")
    write_json(tmp, record)
    tmp.replace(path)
    return path


def analysis(model_id: str, kind: str) -> dict | None:
    """The model's latest stored ``kind`` analysis, or None."""
    path = analyses_dir(model_id) / f"{kind}.json"
    return read_json(path) if path.is_file() else None


def schema_sha256(schema: list[dict]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def write_json(path: Path, record: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2, ensure_ascii=False, default=str)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield an empty staging folder; when the block succeeds it becomes ``final`` (atomic rename
    within one file system). A failure leaves nothing at ``final``."""
    stage = risk_dir() / "staging" / final.name
    stage.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(mode=0o700)
    try:
        yield stage
        for f in stage.iterdir():
            fsync(f)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(stage, final)
        fsync(final.parent)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def code_version() -> dict:
    """opspor's version and a SHA-256 over the risk package's source, so a model can be traced
    to the code that trained it even without a git checkout."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return {"opspor": opspor.__version__, "risk_source_sha256": digest.hexdigest(),
            "scikit_learn": sklearn.__version__}


# --------------------------------------------------------------------------- models


def _model_path(model_id: str) -> Path:
    if not isinstance(model_id, str) or not ID_PATTERN.match(model_id):
        raise RegistryError(f"{model_id!r} is not a model id (like 20261122T211500Z-1a2b3c4d); "
                            "see `opspor risk models`")
    return models_dir() / model_id


def save_model(model: RiskModel, record: dict) -> str:
    """Store a model with its record; returns the new model id."""
    model_id = new_id()
    with staged_folder(_model_path(model_id)) as stage:
        joblib.dump(model, stage / MODEL_FILE)
        full = {"format": MODEL_FORMAT, "model_id": model_id, **record,
                "content_sha256": sha256_file(stage / MODEL_FILE),
                "schema_sha256": schema_sha256(record["feature_schema"]["features"])}
        write_json(stage / RECORD_FILE, full)
    return model_id


def model_record(model_id: str) -> dict:
    folder = _model_path(model_id)
    try:
        record = read_json(folder / RECORD_FILE)
    except FileNotFoundError:
        raise RegistryError(f"no model {model_id} in {models_dir()} (see `opspor risk models`)") from None
    except ValueError as exc:
        raise RegistryError(f"model {model_id}: {RECORD_FILE} is not valid JSON ({exc}). Fix: "
                            "retrain with `opspor risk train`") from None
    if record.get("format") != MODEL_FORMAT:
        raise RegistryError(f"model {model_id}: {RECORD_FILE} has format {record.get('format')!r}, "
                            f"this opspor reads {MODEL_FORMAT!r}. Fix: retrain with `opspor risk train`")
    return record


def load_model(model_id: str) -> tuple[RiskModel, dict]:
    """The model and its record, after checking its content hash and versions."""
    record = model_record(model_id)
    path = _model_path(model_id) / MODEL_FILE
    if not path.is_file():
        raise RegistryError(f"model {model_id}: {MODEL_FILE} is missing. Fix: retrain with "
                            "`opspor risk train`")
    found = sha256_file(path)
    if found != record.get("content_sha256"):
        raise RegistryError(
            f"model {model_id}: {MODEL_FILE} does not match its recorded content hash (recorded "
            f"{str(record.get('content_sha256'))[:12]}…, found {found[:12]}…): the file was changed "
            "after training and is not loaded. Fix: restore the original file, or train a new "
            "model with `opspor risk train` (then propose, approve and select it: docs/risk.md, Governance)")
    if schema_sha256(record["feature_schema"]["features"]) != record.get("schema_sha256"):
        raise RegistryError(
            f"model {model_id}: the feature schema in {RECORD_FILE} does not match its recorded hash: "
            "the record was edited after training. Fix: restore it, or train a new model")
    trained_with = record.get("code_version", {}).get("scikit_learn")
    if trained_with != sklearn.__version__:
        raise RegistryError(
            f"model {model_id} was trained with scikit-learn {trained_with}, this installation has "
            f"{sklearn.__version__}; a pickled model is only safe with the same version. Fix: "
            "retrain with `opspor risk train` (then propose, approve and select the new model)")
    model = joblib.load(path)
    if not isinstance(model, RiskModel):
        raise RegistryError(f"model {model_id}: {MODEL_FILE} does not hold a risk model")
    return model, record


def check_schema(record: dict, fs: FeatureSet) -> None:
    """Refuse a model whose features differ from the ones the current configuration computes."""
    differences = compare_schema(record["feature_schema"]["features"], fs.schema())
    if differences:
        shown = "; ".join(differences[:8]) + (f"; and {len(differences) - 8} more" if len(differences) > 8 else "")
        trained = record["feature_schema"]
        raise ModelMismatch(
            f"model {record['model_id']} does not fit the data: its features (features.yaml version "
            f"{trained.get('config_version')}) differ from the ones computed now (version "
            f"{fs.cfg.version}, {fs.cfg.file}): {shown}. Fix: train a model on the current "
            "configuration with `opspor risk train` (then propose, approve and select it), or restore the "
            "feature configuration "
            "the model was trained with")


def list_models() -> list[dict]:
    """Every stored model's record, oldest first (unreadable ones are skipped)."""
    if not models_dir().exists():
        return []
    out = []
    for folder in sorted(models_dir().iterdir()):
        if ID_PATTERN.match(folder.name):
            try:
                out.append(model_record(folder.name))
            except RegistryError:
                continue
    return out


def selected() -> str | None:
    """The id of the selected model, or None."""
    try:
        value = selected_file().read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return value or None


def select(model_id: str) -> dict:
    """Put a stored model in use (atomic replace of ``SELECTED``); returns its record. Only
    opspor.risk.governance calls this, after checking the approval and logging the step."""
    record = model_record(model_id)
    load_model(model_id)  # refuse a damaged model now rather than at scoring time
    tmp = risk_dir() / f"SELECTED.{model_id}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(model_id + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, selected_file())
    fsync(risk_dir())
    return record


def require_selected() -> str:
    model_id = selected()
    if model_id is None:
        raise RegistryError("no model is selected. Fix: train one with `opspor risk train`; the programme lead "
                            "proposes it and a doctor of the region approves it on the web page Risikomodeller; "
                            "then select it there or with `opspor risk select-model ID` (see `opspor risk models`)")
    return model_id


def is_id(value: str) -> bool:
    return bool(re.match(ID_PATTERN, value))
