"""A person's phone number and e-mail address: what the data contract accepts and how each is
stored, written once for the loader (as SQL regular expressions, ``opspor.ingest.rules``), the
web app (the citizen's own details, the questionnaire channels) and the FHIR mapping.

A phone number is Danish: 8 digits, the first 2-9, optionally after +45 or 0045, spaces and
dashes allowed; it is stored as ``+45XXXXXXXX``. An e-mail address is one ``@`` between a local
part and a domain with a dot, no spaces, at most 254 characters; stored as given, trimmed.
These values are personal data: they are never written to a log or a console message.
"""

from __future__ import annotations

import re

PHONE_SEPARATORS = r"[ -]"  # removed before the number is matched
PHONE_REGEX = r"(?:\+45|0045)?([2-9][0-9]{7})"  # RE2 and Python alike
EMAIL_REGEX = r"[^@\s]+@[^@\s]+\.[^@\s.]+"
EMAIL_MAX = 254


def phone(value: str | None) -> str | None:
    """``+45XXXXXXXX``, or None when ``value`` is not a Danish phone number."""
    found = re.fullmatch(PHONE_REGEX, re.sub(PHONE_SEPARATORS, "", (value or "").strip()))
    return f"+45{found.group(1)}" if found else None


def email(value: str | None) -> str | None:
    """The trimmed address, or None when ``value`` is not an e-mail address."""
    value = (value or "").strip()
    return value if len(value) <= EMAIL_MAX and re.fullmatch(EMAIL_REGEX, value) else None


def phone_display(stored: str) -> str:
    """``+4520123456`` as a Dane reads it: ``20 12 34 56``."""
    digits = stored.removeprefix("+45")
    return " ".join(digits[i:i + 2] for i in range(0, len(digits), 2)) if len(digits) == 8 else stored
