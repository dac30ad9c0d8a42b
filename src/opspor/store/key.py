"""The pseudonym key: the secret behind ``person_key`` (``opspor.cpr.pseudonym``).

The key comes from ``OPSPOR_PSEUDONYM_KEY`` or, when that is unset, from
``$OPSPOR_HOME/pseudonym.key``, which is created once (64 random hex characters, mode 0600).
The file's text is the key, so ``OPSPOR_PSEUDONYM_KEY=$(cat pseudonym.key)`` gives the same
pseudonyms. A snapshot records only a fingerprint of the key, never the key itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from opspor import paths
from opspor.secret_files import read_or_create

ENV = "OPSPOR_PSEUDONYM_KEY"
FILE_NAME = "pseudonym.key"


def key_file() -> Path:
    return paths.home() / FILE_NAME


def pseudonym_key() -> bytes:
    """The key in force, creating the key file on first use when the environment sets none."""
    value = os.environ.get(ENV, "").strip()
    if value:
        return value.encode()
    path = key_file()
    value = read_or_create(path)
    if not value:
        raise RuntimeError(f"{path} is empty: restore the key file from backup or set {ENV}")
    return value.encode()


def key_source() -> str:
    """Where the key in force comes from, for messages."""
    return ENV if os.environ.get(ENV, "").strip() else str(key_file())


def fingerprint(key: bytes) -> str:
    """A short public fingerprint that tells keys apart without revealing them."""
    return hmac.new(key, b"opspor pseudonym key fingerprint", hashlib.sha256).hexdigest()[:16]
