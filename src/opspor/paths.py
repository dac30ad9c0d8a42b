"""Where opspor keeps its files. One place, configured from the environment.

``OPSPOR_HOME`` (default ``./var``) holds the analytical store (``store/``), load reports
(``loads/``) and the web app's SQLite database.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("OPSPOR_HOME", "var")).resolve()


def store_dir() -> Path:
    return home() / "store"


def loads_dir() -> Path:
    return home() / "loads"
