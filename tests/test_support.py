"""The tests' shared check for CPR numbers (tests/support/privacy.py), as every kit uses it."""

from __future__ import annotations

import datetime as dt

import pytest

from opspor import cpr
from tests.alerts import alerts_kit
from tests.support import Result, assert_no_cpr

NUMBER = cpr.make(dt.date(1961, 7, 15), 8)  # a valid CPR number, of no person of a test drop
DASHED = f"{NUMBER[:6]}-{NUMBER[6:]}"


@pytest.mark.parametrize("form", [NUMBER, DASHED], ids=["bare", "dash"])
def test_the_alerts_runner_refuses_a_cpr_number_with_or_without_the_dash(tmp_path, form):
    """The alerts kit's own check demanded the dash, so a bare ten-digit CPR number passed."""
    run = alerts_kit.Opspor(tmp_path / "home")
    assert NUMBER not in alerts_kit.CPRS
    with pytest.raises(AssertionError, match="text 0: a CPR number at character 10"):
        run.check(Result(0, f"municipal {form} flagged", ""), expect=0)
    run.check(Result(0, "municipality 461: 16 of 20 (alpha 0.1)", ""), expect=0)


@pytest.mark.parametrize("text", [f"x {NUMBER}", f"x {DASHED}", f"x{NUMBER}y", "sent 9999999999 bytes"])
def test_anything_shaped_like_a_cpr_number_is_refused(text):
    with pytest.raises(AssertionError, match=r"text 0: a CPR(-shaped)? number"):
        assert_no_cpr(text)


@pytest.mark.parametrize("text", ["12345678901", "id 12345-67890", "2024-03-01T10:00:00", "0101-541234"])
def test_other_digit_runs_pass(text):
    assert_no_cpr(text)


def test_known_numbers_and_names_are_refused_in_any_text_even_unshaped():
    for text in (f"ab{NUMBER}cd", f"hex 9f{DASHED}e1", "Alert Testperson 1 was here"):
        with pytest.raises(AssertionError, match="of the test data"):
            assert_no_cpr("clean", text, cprs=[NUMBER], names=["Alert Testperson 1"], shaped=False)
    # unshaped: a hex message id with ten digits in a row is not refused unless it holds a known number
    assert_no_cpr("message 3f0101501234ab", cprs=[NUMBER], shaped=False)


def test_the_message_does_not_quote_the_number():
    with pytest.raises(AssertionError) as failure:
        assert_no_cpr(f"found {NUMBER}", cprs=[NUMBER])
    assert NUMBER not in str(failure.value) and NUMBER[:6] not in str(failure.value)
