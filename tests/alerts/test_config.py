"""The alert configuration: the shipped file loads; every mistake names file, key, problem and fix;
the CLI refuses a bad file with exit code 1 and that message."""

from __future__ import annotations

import pytest

from opspor.alerts.settings import AlertConfigError, load_config


def test_shipped_configuration():
    cfg = load_config()
    assert cfg.version == "1" and cfg.indicator_id == "repeated_acute_contacts"
    assert cfg.units == ("municipality", "gp_practice")
    assert cfg.age_bands[0] == 0 and cfg.multiple_testing == "holm"
    assert cfg.band_label(85) == "85+" and cfg.band_label(0) == "0-17"
    assert len(cfg.digest) == 64


@pytest.mark.parametrize(("changes", "key", "words"), [
    ({"alpha": "0"}, "test.alpha", "must be above 0"),
    ({"alpha": "'x'"}, "test.alpha", "expected a number"),
    ({"multiple_testing": "bonferroni"}, "test.multiple_testing", "holm, fdr_bh"),
    ({"ci_level": "1.0"}, "test.ci_level", "below 1"),
    ({"min_ratio": "0.8"}, "test.min_ratio", "at least 1"),
    ({"age_bands": "[5, 18]"}, "age_bands[0]", "must start at 0"),
    ({"age_bands": "[0, 45, 18]"}, "age_bands[2]", "must increase"),
    ({"units": "[municipality, region]"}, "units[1]", "municipality, gp_practice"),
    ({"reference": "country"}, "reference", "region_same_month"),
    ({"indicator": "{id: repeated_acute_contacts, version: 9}"}, "indicator", "no version"),
    ({"indicator": "{id: acute_admissions_copd, version: 1}"}, "indicator", "not 'persons'"),
])
def test_errors_name_file_key_and_fix(config_file, changes, key, words):
    path = config_file(**changes)
    with pytest.raises(AlertConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and f"at {key}:" in message and words in message and "Fix:" in message


def test_unknown_and_duplicate_keys(config_file):
    from opspor.alerts.settings import CONFIG_FILE

    text = CONFIG_FILE.read_text(encoding="utf-8")
    with pytest.raises(AlertConfigError, match=r"at test\.alpa: unknown key.*did you mean `alpha`"):
        load_config(config_file(text.replace("  alpha:", "  alpa:")))
    with pytest.raises(AlertConfigError, match="duplicate|twice"):
        load_config(config_file(text + "version: 2\n"))
    with pytest.raises(AlertConfigError, match=r"at test\.min_expected: missing"):
        load_config(config_file(text.replace("  min_expected: 5.0", "")))


def test_cli_refuses_a_bad_configuration(tmp_path, config_file):
    from tests.alerts.alerts_kit import Opspor

    # the file is checked before the store is opened: no snapshot is needed
    r = Opspor(tmp_path / "home")("alerts", "run", "--config", config_file(alpha="2"), expect=1)
    assert "test.alpha" in r.stderr and "Fix:" in r.stderr
