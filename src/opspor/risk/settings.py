"""The risk configuration in force: the three files of :mod:`opspor.risk.config` read from
``OPSPOR_RISK_CONFIG`` (or the shipped folder) and checked together, the explanation groups
against the feature names of :mod:`opspor.risk.features`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from opspor.risk.config import (
    CONFIG_DIR,
    CONFIG_ENV,
    FEATURES_FILE,
    MODEL_FILE,
    OUTCOME_FILE,
    FeatureConfig,
    ModelConfig,
    OutcomeConfig,
    RiskConfigError,
    load_features,
    load_model,
    load_outcome,
)
from opspor.risk.features import FeatureSet


@dataclass(frozen=True)
class RiskConfig:
    features: FeatureConfig
    outcome: OutcomeConfig
    model: ModelConfig

    def describe(self) -> dict:
        """Versions and digests of the three files, for the registry and the report."""
        return {
            "features": {"file": Path(self.features.file).name, "version": self.features.version,
                         "sha256": self.features.digest, "code_lists_sha256": self.features.code_lists_digest,
                         "concepts_sha256": self.features.concepts_digest},
            "outcome": {"file": Path(self.outcome.file).name, **self.outcome.describe()},
            "model": {"file": Path(self.model.file).name, "version": self.model.version,
                      "sha256": self.model.digest},
        }


def config_dir() -> Path:
    """The folder the configuration is read from: ``OPSPOR_RISK_CONFIG`` or the shipped one."""
    value = os.environ.get(CONFIG_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else CONFIG_DIR


def _file(folder: Path, name: str) -> Path:
    path = folder / name
    return path if path.is_file() else CONFIG_DIR / name


def load(folder: Path | str | None = None, horizon: str | None = None) -> RiskConfig:
    """Read and check the three files (from ``folder``, ``OPSPOR_RISK_CONFIG`` or the shipped
    folder). ``horizon`` (e.g. ``"12m"``) overrides the outcome's horizon."""
    folder = Path(folder) if folder is not None else config_dir()
    if not folder.is_dir():
        raise RiskConfigError(str(folder), "(folder)", "is not a folder",
                              f"point {CONFIG_ENV} at a folder holding features.yaml, outcome.yaml "
                              "and/or model.yaml, or unset it")
    features = load_features(_file(folder, FEATURES_FILE))
    outcome = load_outcome(_file(folder, OUTCOME_FILE))
    if horizon is not None:
        outcome = outcome.with_horizon(horizon)
    model = load_model(_file(folder, MODEL_FILE))
    FeatureSet(features)  # checks the explanation groups against the feature names
    return RiskConfig(features, outcome, model)
