"""The check that a text (a command's output, a page, a file) holds no CPR number."""

from __future__ import annotations

import re
from collections.abc import Iterable

from opspor import cpr


HEX_WORD = re.compile(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b")


def assert_no_cpr(*texts: str, cprs: Iterable[str] = (), names: Iterable[str] = (),
                  shaped: bool = True) -> None:
    """No number of ``cprs`` (with or without the dash) and no name of ``names`` in any text;
    with ``shaped`` (the default) also nothing shaped like a CPR number (``opspor.cpr.CPR_LIKE``:
    ten digits, the dash after the sixth optional, not inside a longer digit run). Pass
    ``shaped=False`` only for a text that may hold other ten-digit runs (hex ids, base64); it
    then still fails on every number of ``cprs``. A hex word of 12 or more characters with a
    letter (a hash's prefix, such as the load report's content sha256) is no CPR number, though
    it may hold ten digits in a row by chance. The message never quotes the number."""
    numbers = [cpr.normalise(n) for n in cprs]
    names = list(names)
    for i, text in enumerate(texts):
        for number in numbers:
            assert number not in text and f"{number[:6]}-{number[6:]}" not in text, \
                f"text {i}: a CPR number of the test data"
        for name in names:
            assert name not in text, f"text {i}: a name of the test data"
        match = cpr.CPR_LIKE.search(HEX_WORD.sub(" ", text)) if shaped else None
        if match:
            what = "a CPR number" if cpr.birth_date(match.group()) else "a CPR-shaped number"
            raise AssertionError(f"text {i}: {what} at character {match.start()}")
