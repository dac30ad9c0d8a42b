"""CPR numbers: format, the date part, and a keyed pseudonym.

A CPR number is ``DDMMYY-SSSS`` (the dash optional). The century of the birth year follows
from the first serial digit (CPR-kontoret's table); the modulus-11 check is not applied because
numbers issued since 2007 need not satisfy it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

CPR_PATTERN = re.compile(r"^\d{6}-?\d{4}$")
CPR_LIKE = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")  # a CPR-shaped number inside a text


def mask(text: str) -> str:
    """Hide anything shaped like a CPR number (for error texts and logs that may quote data)."""
    return CPR_LIKE.sub("**********", text)


def normalise(value: str) -> str:
    """Return the 10-digit form (no dash). The value must match ``CPR_PATTERN``."""
    return value.replace("-", "")


def century(serial_first_digit: int, yy: int) -> int:
    """Century of the birth year from the 7th digit of the CPR number and the two-digit year."""
    if serial_first_digit <= 3:
        return 1900
    if serial_first_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def birth_date(value: str) -> dt.date | None:
    """The birth date encoded in a CPR number, or None when the format or date part is invalid."""
    if not CPR_PATTERN.match(value):
        return None
    digits = normalise(value)
    dd, mm, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    try:
        return dt.date(century(int(digits[6]), yy) + yy, mm, dd)
    except ValueError:
        return None


def make(birth: dt.date, serial: int) -> str:
    """A CPR number (no dash) for a birth date; ``serial`` 0-999 fills the last three digits.

    The 7th digit is chosen so that ``birth_date(make(d, s)) == d`` for years 1858-2057.
    """
    yy = birth.year % 100
    if 1900 <= birth.year <= 1999:
        first = 0
    elif 2000 <= birth.year <= 2036:
        first = 4
    elif 1858 <= birth.year <= 1899 or 2037 <= birth.year <= 2057:
        first = 5
    else:
        raise ValueError(f"no CPR century rule covers the year {birth.year}")
    if not 0 <= serial <= 999:
        raise ValueError("serial must be 0-999")
    return f"{birth:%d%m}{yy:02d}{first}{serial:03d}"


def pseudonym(cpr: str, key: bytes) -> str:
    """Keyed pseudonym (HMAC-SHA256, 16 hex chars) for a CPR number, stable for a key."""
    return hmac.new(key, normalise(cpr).encode(), hashlib.sha256).hexdigest()[:16]
