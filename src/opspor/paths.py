"""Where opspor keeps its files, and who may read them. One place, configured from the environment.

``OPSPOR_HOME`` (default ``./var``) holds the analytical store (``store/``), load reports
(``loads/``), list runs, keys and the web app's SQLite database: most of it holds CPR numbers or
names. Every ``opspor`` command and the web server run with the umask ``PRIVATE_UMASK``, so what
they create is readable by its owner only (files 0600, folders 0700); ``wide_modes`` finds what an
older version or another tool left readable to others.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077  # files 0600, folders 0700
WIDE_BITS = stat.S_IRWXG | stat.S_IRWXO


def home() -> Path:
    return Path(os.environ.get("OPSPOR_HOME", "var")).resolve()


def store_dir() -> Path:
    return home() / "store"


def loads_dir() -> Path:
    return home() / "loads"


def private_umask() -> None:
    """Make every file this process (and what it execs) creates readable by its owner only."""
    os.umask(PRIVATE_UMASK)


def wide_modes(root: Path | None = None) -> list[tuple[Path, int]]:
    """(path, mode) of what group or others may use at the top of ``root`` (default
    ``OPSPOR_HOME``): the folder itself, its entries, and the store's folders and snapshots. A
    cheap look (a few dozen ``stat`` calls), made at the start of every command."""
    root = root or home()
    candidates = [root]
    for folder in (root, root / "store", root / "store" / "snapshots", root / "store" / "identity"):
        try:
            candidates.extend(sorted(folder.iterdir()))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
    found = []
    for path in dict.fromkeys(candidates):
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue
        if not stat.S_ISLNK(mode) and mode & WIDE_BITS:
            found.append((path, stat.S_IMODE(mode)))
    return found


def wide_modes_warning(root: Path | None = None, shown: int = 5) -> str | None:
    """A warning naming the paths that others may read and the fix, or None."""
    root = root or home()
    found = wide_modes(root)
    if not found:
        return None
    listed = ", ".join(f"{p} (mode {m:04o})" for p, m in found[:shown])
    more = f" and {len(found) - shown} more" if len(found) > shown else ""
    return (f"warning: other users on this machine may read files under {root} that can hold CPR "
            f"numbers and names: {listed}{more}. Fix: chmod -R go-rwx {root}")
