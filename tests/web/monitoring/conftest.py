"""Fixtures of the monitoring pages: indicator results published from the hand-made drop's real
snapshot (tests/web/conftest.py ``published``), and the example task register imported."""

from __future__ import annotations

import pytest


@pytest.fixture
def indicators(published):
    """``opspor monitor publish``'s work, in-process, on the lists_home snapshot."""
    from opspor.web.monitoring.publish import publish

    result = publish()
    assert not result.already and result.values > 0
    return result


@pytest.fixture
def register(db):
    from opspor.web.monitoring.register import import_register

    return import_register()
