import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opspor import cpr


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0101011234", dt.date(1901, 1, 1)),  # 7th digit 1: 1900s
        ("010101-4234", dt.date(2001, 1, 1)),  # 4 and yy <= 36: 2000s
        ("010150-4234", dt.date(1950, 1, 1)),  # 4 and yy > 36: 1900s
        ("010157-5234", dt.date(2057, 1, 1)),  # 5-8 and yy <= 57: 2000s
        ("010158-5234", dt.date(1858, 1, 1)),  # 5-8 and yy > 57: 1800s
        ("010190-9234", dt.date(1990, 1, 1)),  # 9 and yy > 36: 1900s
        ("290200-4234", dt.date(2000, 2, 29)),  # leap day 2000
    ],
)
def test_birth_date_follows_the_century_rule(value, expected):
    assert cpr.birth_date(value) == expected


@pytest.mark.parametrize("value", ["290201-1234", "320101-1234", "011301-1234", "01010-11234", "0101011234x", "010101 1234", ""])
def test_invalid_format_or_date_part(value):
    assert cpr.birth_date(value) is None


@given(st.dates(min_value=dt.date(1858, 1, 1), max_value=dt.date(2057, 12, 31)), st.integers(0, 999))
def test_make_round_trips(birth, serial):
    value = cpr.make(birth, serial)
    assert len(value) == 10 and cpr.birth_date(value) == birth


def test_pseudonym_is_keyed_and_ignores_the_dash():
    assert cpr.pseudonym("010101-1234", b"k") == cpr.pseudonym("0101011234", b"k")
    assert cpr.pseudonym("0101011234", b"k") != cpr.pseudonym("0101011234", b"other")
