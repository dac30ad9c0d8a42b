"""Secrets kept in files under $OPSPOR_HOME when the environment gives none (pseudonym key,
randomisation key, the demo's Django key): created once, mode 0600, never overwritten."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], str] = lambda: secrets.token_hex(32)) -> str:
    """The file's text, creating it with ``make()`` first if it does not exist. Two processes
    that start at once agree: the one that loses the race reads the winner's file. Returns ""
    for an existing empty file (the caller says how to restore it)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(make() + "\n")
                f.flush()
                os.fsync(f.fileno())
    return path.read_text().strip()
