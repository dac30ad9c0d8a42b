"""The SQL forms of ``opspor.cpr`` give the same answers as the Python reference."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opspor import cpr
from opspor.ingest.sql import CPR_REGEX, create_macros

digits = st.text(alphabet="0123456789", min_size=10, max_size=10)
cpr_like = st.one_of(digits, digits.map(lambda d: d[:6] + "-" + d[6:]),
                     st.dates(dt.date(1858, 1, 1), dt.date(2057, 12, 31)).map(lambda d: cpr.make(d, 7)))
keys = st.binary(min_size=1, max_size=100)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    create_macros(connection, b"k")
    yield connection
    connection.close()


@given(cpr_like)
@settings(max_examples=300, deadline=None)
def test_cpr_birth_date_in_sql_is_the_python_one(con, value):
    [(matches, birth)] = con.execute(
        f"SELECT regexp_full_match(?, '{CPR_REGEX}'), cpr_birth_date(?)", [value, value]).fetchall()
    assert matches == bool(cpr.CPR_PATTERN.match(value))
    assert birth == cpr.birth_date(value)


@given(cpr_like, keys)
@settings(max_examples=50, deadline=None)
def test_the_pseudonym_in_sql_is_the_python_one(con, value, key):
    create_macros(con, key)
    assert con.execute("SELECT pseudonym(?)", [value]).fetchall() == [(cpr.pseudonym(value, key),)]
