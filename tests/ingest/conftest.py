"""Fixtures for the ingest tests: the real ``opspor`` command on a private store."""

from __future__ import annotations

import pytest

from opspor.store import SnapshotStore
from tests.ingest.ingest_kit import Cli


@pytest.fixture
def cli(opspor_home) -> Cli:
    return Cli(opspor_home)


@pytest.fixture
def store(opspor_home) -> SnapshotStore:
    return SnapshotStore()
