"""The data-alert configuration: ``config/alerts.yaml`` -> :class:`AlertConfig`, checked.

Read with the rules' strict reader (duplicate keys refused); every problem raises
:class:`AlertConfigError` (a :class:`~opspor.rules.load.RuleConfigError`) naming the file, the key,
what is wrong and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opspor.config_reader import ConfigError as RuleConfigError
from opspor.config_reader import Ctx as _Ctx
from opspor.config_reader import mapping as _mapping
from opspor.config_reader import read_yaml as _read_yaml
from opspor.config_reader import show as _show
from opspor.config_reader import text as _text
from opspor.config_reader import version as _version

AlertConfigError = RuleConfigError

CONFIG_FILE = Path(__file__).with_name("config") / "alerts.yaml"
UNIT_KINDS = ("municipality", "gp_practice")
REFERENCES = ("region_same_month",)
METHODS = ("holm", "fdr_bh")


@dataclass(frozen=True)
class AlertConfig:
    file: str
    version: str
    digest: str
    indicator_id: str
    indicator_version: str
    units: tuple[str, ...]
    age_bands: tuple[int, ...]  # band starts, from 0, increasing; the last band is open
    reference: str
    alpha: float
    multiple_testing: str
    ci_level: float
    min_ratio: float
    min_expected: float

    def band_label(self, start: int) -> str:
        i = self.age_bands.index(start)
        if i + 1 < len(self.age_bands):
            return f"{start}-{self.age_bands[i + 1] - 1}"
        return f"{start}+"


def _number(ctx: _Ctx, value: Any, low: float, high: float | None, example: str,
            low_open: bool = False, high_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.error(f"expected a number, got {_show(value)}", f"write e.g. `{example}`")
    value = float(value)
    below = value <= low if low_open else value < low
    above = high is not None and (value >= high if high_open else value > high)
    if below or above:
        lo = "above" if low_open else "at least"
        span = f"{lo} {low:g}" + (f" and {'below' if high_open else 'at most'} {high:g}" if high is not None else "")
        raise ctx.error(f"must be {span}, got {value:g}", f"write e.g. `{example}`")
    return value


def _choice(ctx: _Ctx, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ctx.error(f"unknown value {_show(value)}", f"write one of: {', '.join(allowed)}")
    return value


def load_config(path: str | Path | None = None) -> AlertConfig:
    """Read and check an alert configuration (default: the shipped ``config/alerts.yaml``)."""
    path = Path(path) if path is not None else CONFIG_FILE
    data, digest = _read_yaml(path)
    ctx = _Ctx(str(path))
    keys = ("version", "indicator", "units", "age_bands", "reference", "test")
    top = _mapping(ctx, data, keys, keys)
    version = _version(ctx.at("version"), top["version"])

    ictx = ctx.at("indicator")
    ind = _mapping(ictx, top["indicator"], ("id", "version"), ("id", "version"))
    indicator_id = _text(ictx.at("id"), ind["id"], "indicator id")
    indicator_version = _version(ictx.at("version"), ind["version"])
    _check_indicator(ictx, indicator_id, indicator_version)

    uctx = ctx.at("units")
    units = top["units"]
    if not isinstance(units, list) or not units:
        raise uctx.error(f"expected a list of unit kinds, got {_show(units)}",
                         f"write e.g. `units: [{', '.join(UNIT_KINDS)}]`")
    for i, u in enumerate(units):
        _choice(uctx.at(i), u, UNIT_KINDS)
    if len(set(units)) != len(units):
        raise uctx.error("a unit kind is listed twice", "list each kind once")

    bctx = ctx.at("age_bands")
    bands = top["age_bands"]
    example = "age_bands: [0, 18, 45, 65, 75, 85]"
    if not isinstance(bands, list) or not bands:
        raise bctx.error(f"expected a list of band starts, got {_show(bands)}", f"write e.g. `{example}`")
    for i, b in enumerate(bands):
        if isinstance(b, bool) or not isinstance(b, int) or b < 0:
            raise bctx.at(i).error(f"expected an age in whole years, got {_show(b)}", f"write e.g. `{example}`")
    if bands[0] != 0:
        raise bctx.at(0).error(f"the first band must start at 0, got {bands[0]}",
                               "start the list with 0 so every person falls in a band")
    for i in range(1, len(bands)):
        if bands[i] <= bands[i - 1]:
            raise bctx.at(i).error(f"band starts must increase, got {bands[i]} after {bands[i - 1]}",
                                   f"write them in increasing order, e.g. `{example}`")

    reference = _choice(ctx.at("reference"), top["reference"], REFERENCES)

    tctx = ctx.at("test")
    tkeys = ("alpha", "multiple_testing", "ci_level", "min_ratio", "min_expected")
    test = _mapping(tctx, top["test"], tkeys, tkeys)
    return AlertConfig(
        file=str(path), version=version, digest=digest, indicator_id=indicator_id,
        indicator_version=indicator_version, units=tuple(units), age_bands=tuple(bands),
        reference=reference,
        alpha=_number(tctx.at("alpha"), test["alpha"], 0, 0.5, "alpha: 0.05", low_open=True),
        multiple_testing=_choice(tctx.at("multiple_testing"), test["multiple_testing"], METHODS),
        ci_level=_number(tctx.at("ci_level"), test["ci_level"], 0.5, 1, "ci_level: 0.95", high_open=True),
        min_ratio=_number(tctx.at("min_ratio"), test["min_ratio"], 1, None, "min_ratio: 1.2"),
        min_expected=_number(tctx.at("min_expected"), test["min_expected"], 0, None, "min_expected: 5"),
    )


def _check_indicator(ctx: _Ctx, indicator_id: str, version: str) -> None:
    """The indicator must exist in the monitoring's definitions and count persons."""
    from opspor.monitor.definitions import load_indicators

    indicators = load_indicators()
    try:
        v = indicators.get(indicator_id).version(version)
    except KeyError as error:
        raise ctx.error(str(error.args[0]), "name an indicator and version of "
                        "src/opspor/monitor/config/indicators.yaml") from None
    if v.kind != "persons":
        raise ctx.error(f"indicator {indicator_id} version {version} is of kind {v.kind!r}, "
                        "not 'persons'", "name an indicator that counts persons, e.g. "
                        "repeated_acute_contacts")
