"""The tables the engines read are the tables the store writes."""

from __future__ import annotations

import pytest

from opspor.rules.inputs import TABLES


def test_engine_inputs_match_the_store_schema():
    schema = pytest.importorskip("opspor.store.schema")
    for table, columns in TABLES.items():
        assert schema.TABLES[table] == columns, table
