"""Fixtures for the monitoring tests: the hand-made drop loaded with the real ``opspor ingest``
(the installed command in a child process, as the ``run_opspor`` fixture of tests/conftest.py
does, once per module) and the indicator tables made by the real ``opspor monitor indicators``
(in-process through Typer's runner, to spare a process start per command)."""

from __future__ import annotations

import pytest

from tests import support
from tests.monitor import monitor_kit
from tests.monitor.monitor_kit import Opspor


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Opspor:
    """A store holding the hand-made drop (loaded once per module)."""
    base = tmp_path_factory.mktemp("monitor")
    drop = monitor_kit.write_drop(base / "drop")
    run = Opspor(base / "home")
    run.subprocess("ingest", drop)
    run.base = base
    return run


@pytest.fixture(scope="module")
def tables(loaded) -> dict[str, list[dict]]:
    """`opspor monitor indicators` of 2024 by municipality and region, per year and month."""
    out = {}
    for by in ("municipality", "region"):
        for period in ("year", "month"):
            path = loaded.base / f"{by}-{period}.csv"
            loaded("monitor", "indicators", "--by", by, "--period", period, "--from", "2024",
                   "--to", "2024", "--out", path)
            out[f"{by}-{period}"] = support.read_csv(path)
    return out
