"""Code lists: entries, prefixes, ranges, and the errors for entries that cannot be read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opspor.rules.codes import CodeEntryError, CodeList, code_matches, expand_entry


@pytest.mark.parametrize(
    ("entry", "prefixes"),
    [
        ("DE11", ("DE11",)),
        ("DF1*", ("DF1",)),
        ("AAF6", ("AAF6",)),
        ("DM30-DM36", ("DM30", "DM31", "DM32", "DM33", "DM34", "DM35", "DM36")),
        ("DF00-DF03", ("DF00", "DF01", "DF02", "DF03")),
        ("DC77-DC80", ("DC77", "DC78", "DC79", "DC80")),
        ("DJ09-DJ11", ("DJ09", "DJ10", "DJ11")),  # keeps leading zeros
        ("DJ44-DJ44", ("DJ44",)),
    ],
)
def test_expand_entry(entry, prefixes):
    assert expand_entry(entry) == prefixes


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("DM30-DM3", "differ in length"),
        ("DM30-DN36", "letter prefix"),
        ("DM36-DM30", "backwards"),
        ("DM3A-DM3C", "letters followed by digits"),
        ("DM30-DM33-DM36", "exactly one"),
        ("DE11-", "differ in length"),
        ("de11", "upper-case"),
        ("D*E", "'*' may only end"),
        ("DF1**", "'*' may only end"),
        ("", "empty"),
        (" DE11", "spaces"),
        ("11", "not a code"),
        ("DE.11", "not a code"),
        (11, "text"),
    ],
)
def test_bad_entries(entry, problem):
    with pytest.raises(CodeEntryError) as info:
        expand_entry(entry)
    assert problem in str(info.value)
    assert info.value.fix


def test_matching_by_prefix():
    codes = CodeList.from_entries("t", ["DE11", "DM30-DM36", "DF1*"])
    assert codes.prefixes == ("DE11", "DM30", "DM31", "DM32", "DM33", "DM34", "DM35", "DM36", "DF1")
    assert [
        codes.matches(c)
        for c in ["DE11", "DE119", "DE1", "DE12", "DM361", "DM37", "DF10", "DF", None]
    ] == [
        True,
        True,
        False,
        False,
        True,
        False,
        True,
        False,
        False,
    ]


@given(
    st.text(alphabet="DEFM0123", max_size=6),
    st.lists(st.text(alphabet="DEFM0123", min_size=1, max_size=4)),
)
def test_code_matches_is_startswith(code, prefixes):
    assert code_matches(code, tuple(prefixes)) == any(code[: len(p)] == p for p in prefixes)


@given(st.sampled_from("ABCDZ"), st.integers(1, 3), st.integers(0, 999), st.integers(0, 999))
def test_ranges_expand_to_equal_length_members(letter, width, a, b):
    low, high = sorted((a % 10**width, b % 10**width))
    entry = f"D{letter}{low:0{width}d}-D{letter}{high:0{width}d}"
    members = expand_entry(entry)
    assert len(members) == high - low + 1
    assert all(len(m) == 2 + width and m.startswith(f"D{letter}") for m in members)
