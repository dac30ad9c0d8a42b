"""Fixtures for the ingest tests: the real ``opspor`` command on a private store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for ingest_kit

from ingest_kit import Cli  # noqa: E402

from opspor.store import SnapshotStore  # noqa: E402


@pytest.fixture
def cli(opspor_home) -> Cli:
    return Cli()


@pytest.fixture
def store(opspor_home) -> SnapshotStore:
    return SnapshotStore()
