"""The risk configuration: the shipped files load and say what the docs say; a broken file is
refused with a message naming the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from opspor.risk import config, settings
from opspor.risk.config import CONFIG_DIR, RiskConfigError
from opspor.risk.features import FeatureSet


def test_shipped_configuration():
    cfg = settings.load(CONFIG_DIR)
    assert cfg.outcome.horizon == "6m" and cfg.outcome.horizon_days == 182
    assert cfg.outcome.horizons_days == {"3m": 91, "6m": 182, "12m": 365}
    assert cfg.outcome.concepts == ("acute_admission", "preventable_admission")
    assert cfg.outcome.admission_hours == 12 and cfg.outcome.deaths == "competing_risk"
    assert cfg.features.windows_days == (30, 91, 182, 365) and cfg.features.history_days == 365
    assert cfg.model.select == "boosted" and cfg.model.calibration_method == "sigmoid"
    assert cfg.model.top_shares == (0.01, 0.02, 0.05)
    fs = FeatureSet(cfg.features)
    conditions = {g.name: g for g in cfg.features.conditions}
    # reused from the rules' code lists
    assert conditions["dementia"].codes.prefixes == ("DF00", "DF01", "DF02", "DF03", "DF051")
    assert conditions["connective_tissue"].codes.entries[0] == "DD86"
    assert {"age", "sex_male", "region", "municipality", "residence", "acute_admissions_30d", "bed_days_365d",
            "days_since_acute_discharge", "readmissions_365d", "departments_365d", "cond_copd",
            "n_conditions"} <= set(fs.names)
    assert len(fs.schema_digest) == 64


def _broken(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (CONFIG_DIR / name).read_text(encoding="utf-8")
    assert old in text, old
    (tmp_path / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("name", "old", "new", "key", "says"), [
    ("features.yaml", "windows_days:", "windows_dayz:", "windows_dayz", "did you mean `windows_days`?"),
    ("features.yaml", "windows_days: [30, 91, 182, 365]", "windows_days: [91, 30]", "windows_days",
     "increasing"),
    ("features.yaml", "counts: [acute_admissions,", "counts: [acute_admission,", "counts[0]",
     "did you mean `acute_admissions`?"),
    ("features.yaml", "codes: [DJ44]", "codes: [dj44]", "conditions.groups.copd.codes", "upper-case"),
    ("features.yaml", "code_list: aps_exclusion_dementia", "code_list: aps_exclusion_dementa",
     "conditions.groups.dementia.code_list", "did you mean `aps_exclusion_dementia`?"),
    ("features.yaml", "code_list: aps_chronic_disease.connective_tissue", "code_list: aps_chronic_disease.bones",
     "conditions.groups.connective_tissue.code_list", "aps_chronic_disease.heart"),
    ("features.yaml", "features: [readmissions_*]", "features: [readmission_*]",
     "explain.groups.readmissions.features[0]", "no feature matches"),
    ("features.yaml", "      features: [sex_male]\n", "      features: [sex_female]\n", "explain.groups.sex.features[0]",
     "no feature matches"),
    ("features.yaml", "{when: residence=nursing_home", "{when: residence=castle", "explain.groups.residence.texts[0].when",
     "has no category 'castle'"),
    ("features.yaml", '"{acute_admissions_91d} akutte', '"{acute_admisions_91d} akutte',
     "explain.groups.acute_admissions.texts[1].da", "not a feature"),
    ("outcome.yaml", "horizon: 6m", "horizon: 9m", "horizon", "allowed values: 3m, 6m, 12m"),
    ("outcome.yaml", "deaths: competing_risk", "deaths: ignore", "deaths", "competing_risk, exclude"),
    ("outcome.yaml", "concept: [acute_admission,", "concept: [acute_admissions,", "concept[0]",
     "did you mean `acute_admission`?"),
    ("outcome.yaml", "concept: [acute_admission, preventable_admission]", "concept: acute_admissions", "concept",
     "did you mean `acute_admission`?"),
    ("outcome.yaml", "deaths: competing_risk", "deaths: competing_risk\nadmission_hours: 12", "admission_hours",
     "concepts.yaml"),
    ("model.yaml", "method: sigmoid", "method: platt", "calibration.method", "sigmoid, isotonic"),
    ("model.yaml", "calibration_share: 0.25", "calibration_share: 1.5", "training.calibration_share",
     "at most 0.9"),
    ("model.yaml", "    max_bins: 255", "    max_bins: 1000", "models.boosted.max_bins", "at most 255"),
    ("model.yaml", "select: boosted", "select: forest", "select", "logistic, boosted"),
])
def test_broken_files_are_refused_with_file_key_and_fix(tmp_path, name, old, new, key, says):
    folder = _broken(tmp_path, name, old, new)
    with pytest.raises(RiskConfigError) as caught:
        settings.load(folder)
    error = caught.value
    assert error.file == str(folder / name)
    assert error.key == key, str(error)
    assert says in str(error) and "Fix:" in str(error)


def test_a_feature_in_no_explanation_group_is_refused(tmp_path):
    folder = _broken(tmp_path, "features.yaml",
                     "features: [planned_contacts_*, planned_admissions_*, home_visits_*, remote_contacts_*]",
                     "features: [planned_contacts_*, planned_admissions_*, remote_contacts_*]")
    with pytest.raises(RiskConfigError, match="home_visits_30d, .* are in no explanation group"):
        settings.load(folder)


def test_duplicate_keys_and_bad_yaml(tmp_path):
    (tmp_path / "outcome.yaml").write_text("version: 1\nversion: 2\n", encoding="utf-8")
    with pytest.raises(RiskConfigError, match="duplicate key 'version'"):
        settings.load(tmp_path)
    (tmp_path / "outcome.yaml").write_text("version: [1\n", encoding="utf-8")
    with pytest.raises(RiskConfigError, match="not valid YAML"):
        settings.load(tmp_path)


def test_the_environment_names_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(config.CONFIG_ENV, str(tmp_path / "missing"))
    with pytest.raises(RiskConfigError, match="is not a folder"):
        settings.load()
    monkeypatch.setenv(config.CONFIG_ENV, str(_broken(tmp_path, "model.yaml", "bootstrap: 200", "bootstrap: 7")))
    assert settings.load().model.bootstrap == 7  # and the other two files are the shipped ones
    assert settings.load().features.digest == settings.load(CONFIG_DIR).features.digest
