"""The data-alert configuration: ``config/alerts.yaml`` -> :class:`AlertConfig`, checked.

Read with the rules' strict reader (duplicate keys refused); every problem raises
:class:`AlertConfigError` (the :class:`~opspor.config_reader.ConfigError`) naming the file, the key,
what is wrong and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opspor import config_reader
from opspor.i18n import localized

AlertConfigError = config_reader.ConfigError

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

    def counted(self, lang: str) -> str:
        """Who is counted, in words: the indicator version's label, its numbers from its rule."""
        from opspor.monitor.definitions import load_indicators

        version = load_indicators().get(self.indicator_id).version(self.indicator_version)
        return localized(version, "label", lang)

    def band_label(self, start: int) -> str:
        i = self.age_bands.index(start)
        if i + 1 < len(self.age_bands):
            return f"{start}-{self.age_bands[i + 1] - 1}"
        return f"{start}+"


def load_config(path: str | Path | None = None) -> AlertConfig:
    """Read and check an alert configuration (default: the shipped ``config/alerts.yaml``)."""
    path = Path(path) if path is not None else CONFIG_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    keys = ("version", "indicator", "units", "age_bands", "reference", "test")
    top = config_reader.mapping(ctx, data, keys, keys)
    version = config_reader.version(ctx.at("version"), top["version"])

    ictx = ctx.at("indicator")
    ind = config_reader.mapping(ictx, top["indicator"], ("id", "version"), ("id", "version"))
    indicator_id = config_reader.text(ictx.at("id"), ind["id"], "indicator id")
    indicator_version = config_reader.version(ictx.at("version"), ind["version"])
    _check_indicator(ictx, indicator_id, indicator_version)

    uctx = ctx.at("units")
    units = top["units"]
    if not isinstance(units, list) or not units:
        raise uctx.error(f"expected a list of unit kinds, got {config_reader.show(units)}",
                         f"write e.g. `units: [{', '.join(UNIT_KINDS)}]`")
    for i, u in enumerate(units):
        config_reader.choice(uctx.at(i), u, UNIT_KINDS)
    if len(set(units)) != len(units):
        raise uctx.error("a unit kind is listed twice", "list each kind once")

    bctx = ctx.at("age_bands")
    bands = top["age_bands"]
    example = "age_bands: [0, 18, 45, 65, 75, 85]"
    if not isinstance(bands, list) or not bands:
        raise bctx.error(f"expected a list of band starts, got {config_reader.show(bands)}", f"write e.g. `{example}`")
    for i, b in enumerate(bands):
        if isinstance(b, bool) or not isinstance(b, int) or b < 0:
            raise bctx.at(i).error(f"expected an age in whole years, got {config_reader.show(b)}", f"write e.g. `{example}`")
    if bands[0] != 0:
        raise bctx.at(0).error(f"the first band must start at 0, got {bands[0]}",
                               "start the list with 0 so every person falls in a band")
    for i in range(1, len(bands)):
        if bands[i] <= bands[i - 1]:
            raise bctx.at(i).error(f"band starts must increase, got {bands[i]} after {bands[i - 1]}",
                                   f"write them in increasing order, e.g. `{example}`")

    reference = config_reader.choice(ctx.at("reference"), top["reference"], REFERENCES)

    tctx = ctx.at("test")
    tkeys = ("alpha", "multiple_testing", "ci_level", "min_ratio", "min_expected")
    test = config_reader.mapping(tctx, top["test"], tkeys, tkeys)
    return AlertConfig(
        file=str(path), version=version, digest=digest, indicator_id=indicator_id,
        indicator_version=indicator_version, units=tuple(units), age_bands=tuple(bands),
        reference=reference,
        alpha=config_reader.number(tctx.at("alpha"), test["alpha"], "alpha: 0.05", 0, 0.5, low_open=True),
        multiple_testing=config_reader.choice(tctx.at("multiple_testing"), test["multiple_testing"], METHODS),
        ci_level=config_reader.number(tctx.at("ci_level"), test["ci_level"], "ci_level: 0.95", 0.5, 1, high_open=True),
        min_ratio=config_reader.number(tctx.at("min_ratio"), test["min_ratio"], "min_ratio: 1.2", 1),
        min_expected=config_reader.number(tctx.at("min_expected"), test["min_expected"], "min_expected: 5", 0),
    )


def _check_indicator(ctx: config_reader.Ctx, indicator_id: str, version: str) -> None:
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
