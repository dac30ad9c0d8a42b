"""The snapshot store: one immutable DuckDB file per snapshot, its open Parquet copy, and a
``CURRENT`` pointer.

Layout under the store root (``paths.store_dir()``)::

    snapshots/<id>.duckdb   published snapshots, read-only, never modified; a snapshot exists
                            when its file does
    parquet/<id>/           its open copy: a Parquet file per table but identity, manifest.json
                            (files 0400, folder 0500; see ``opspor.store.parquet``)
    identity/<id>.parquet   its identity table (CPR numbers, names), apart (folder 0700, file 0400)
    staging/                files of the load in progress; a killed load's leftovers are
                            removed by the next load
    CURRENT                 the id of the snapshot in force
    CURRENT.log             who pointed CURRENT at another snapshot by hand, and when (JSON lines)
    .lock                   held (flock) by the one load that may write

A snapshot and its Parquet copy are written under ``staging/``, renamed into place (atomic within
one file system; the ``.duckdb`` file last) and only then named in ``CURRENT``, itself replaced
atomically. Whatever happens before that last replace, readers keep seeing the previous snapshot;
a copy whose ``.duckdb`` file never arrived is removed by the next load.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from opspor import paths
from opspor.store import parquet

ID_PATTERN = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")


class StoreError(Exception):
    """A problem with the store that the operator must resolve; the message says how."""


class StoreBusy(StoreError):
    pass


class NoSnapshot(StoreError):
    pass


class NoParquet(StoreError):
    """A snapshot made before snapshots had their Parquet copy."""

    def __init__(self, store: SnapshotStore, snapshot_id: str):
        super().__init__(
            f"snapshot {snapshot_id} has no Parquet copy ({store.parquet_root / snapshot_id / parquet.MANIFEST} "
            f"is missing; it was made before opspor wrote one). Fix: write it with "
            f"`opspor snapshots parquet {snapshot_id}`"
        )


class LostSnapshot(StoreError):
    """``CURRENT`` names a snapshot whose file is gone."""

    def __init__(self, store: SnapshotStore, snapshot_id: str):
        what = (f"names snapshot {snapshot_id}, whose file {store.snapshots_dir / snapshot_id}.duckdb is missing"
                if ID_PATTERN.match(snapshot_id) else
                f"holds {snapshot_id[:40]!r}, which is not a snapshot id (like 20261122T211500Z-1a2b3c4d)")
        super().__init__(
            f"{store.current_file} {what}. Fix: restore the file from backup, or make another "
            "snapshot current with `opspor snapshots use ID` (ids: `opspor snapshots list`), or load a "
            "complete extract with `opspor ingest DIR --mode replace`"
        )
        self.snapshot_id = snapshot_id


def new_id(now: dt.datetime | None = None) -> str:
    """A sortable id: UTC time and 8 hex digits, e.g. ``20261122T211500Z-0c3a91f2``.

    The hex digits are the microseconds (5) and 3 random ones, so ids sort in time order. The
    ``Z`` keeps an id from ever looking like a CPR number (``211500-1234`` would, to CPR maskers
    and data-loss scanners), since ids appear in file names and logs.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}Z-{now.microsecond:05x}{secrets.token_hex(2)[:3]}"


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    parent_id: str | None
    created_at: dt.datetime
    identity_rows: int
    persons_rows: int
    contacts_rows: int
    current: bool
    path: Path
    parquet: bool  # has its open Parquet copy


def fsync(path: Path) -> None:
    """Flush a file's or a directory's entries to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Staging:
    """The snapshot being written: write a DuckDB database at ``path``, close it, ``publish()``."""

    def __init__(self, store: SnapshotStore, snapshot_id: str):
        self.store = store
        self.snapshot_id = snapshot_id
        self.path = store.staging_dir / f"{snapshot_id}.duckdb"
        self.tmp_dir = store.staging_dir / f"{snapshot_id}.tmp"  # DuckDB spills here
        self.parquet_dir = store.staging_dir / f"{snapshot_id}.parquet"
        self.identity_path = store.staging_dir / f"{snapshot_id}.identity.parquet"
        self.published = False

    def publish(self) -> Path:
        """Make the staged file the current snapshot, with its Parquet copy. The writer's
        connection must be closed."""
        if not self.path.exists():
            raise StoreError(f"nothing staged at {self.path}")
        if Path(f"{self.path}.wal").exists():
            raise StoreError("the staged snapshot was not closed cleanly (a .wal file remains)")
        final = self.store.path(self.snapshot_id)
        if final.exists():
            raise StoreError(f"snapshot {self.snapshot_id} already exists")
        os.chmod(self.path, 0o400)  # read-only, and the owner's only: it holds CPR numbers
        self.stage_parquet(self.path)
        fsync(self.path)
        placed = self.place_parquet()
        try:
            os.rename(self.path, final)
        except BaseException:
            self.store._remove_copy(self.snapshot_id, placed)
            raise
        fsync(final.parent)
        self.store._point_current_at(self.snapshot_id)
        self.published = True
        return final

    def stage_parquet(self, source: Path) -> None:
        """Write the Parquet copy of the snapshot file ``source`` under ``staging/``."""
        parquet.write(source, self.parquet_dir, self.identity_path)
        for written in (*self.parquet_dir.iterdir(), self.identity_path, self.parquet_dir):
            fsync(written)

    def place_parquet(self) -> list[Path]:
        """Rename the staged copy into place: the identity file, then the open folder (made
        read-only). Returns what was placed; on failure nothing is left placed."""
        identity, folder = self.store.identity_file(self.snapshot_id), self.store.parquet_root / self.snapshot_id
        placed = []
        try:
            self.store.identity_root.mkdir(mode=parquet.IDENTITY_FOLDER_MODE, exist_ok=True)
            os.chmod(self.store.identity_root, parquet.IDENTITY_FOLDER_MODE)
            os.rename(self.identity_path, identity)
            placed.append(identity)
            self.store.parquet_root.mkdir(exist_ok=True)
            if folder.exists():
                raise StoreError(f"{folder} already exists")
            os.rename(self.parquet_dir, folder)  # before the chmod: renaming a folder writes its ".."
            placed.append(folder)
            os.chmod(folder, parquet.FOLDER_MODE)
            for parent in (identity.parent, folder.parent):
                fsync(parent)
        except BaseException:
            self.store._remove_copy(self.snapshot_id, placed)
            raise
        return placed

    def discard(self) -> None:
        for leftover in (self.path, Path(f"{self.path}.wal"), self.identity_path):
            leftover.unlink(missing_ok=True)
        for folder in (self.tmp_dir, self.parquet_dir):
            shutil.rmtree(folder, ignore_errors=True)


class SnapshotStore:
    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else paths.store_dir()

    @property
    def snapshots_dir(self) -> Path:
        return self.root / "snapshots"

    @property
    def staging_dir(self) -> Path:
        return self.root / "staging"

    @property
    def current_file(self) -> Path:
        return self.root / "CURRENT"

    @property
    def parquet_root(self) -> Path:
        return self.root / "parquet"

    @property
    def identity_root(self) -> Path:
        return self.root / "identity"

    def identity_file(self, snapshot_id: str) -> Path:
        """Where a snapshot's identity table is (or would be) written."""
        self.path(snapshot_id)  # validates the id
        return self.identity_root / f"{snapshot_id}.parquet"

    def path(self, snapshot_id: str) -> Path:
        if not ID_PATTERN.match(snapshot_id):
            raise StoreError(f"{snapshot_id!r} is not a snapshot id (like 20261122T211500Z-1a2b3c4d)")
        return self.snapshots_dir / f"{snapshot_id}.duckdb"

    # -- reading ---------------------------------------------------------------------------

    def current(self) -> str | None:
        """The id of the snapshot in force, or None before the first load. Raises
        ``LostSnapshot`` when its file is gone."""
        snapshot_id = self.named_current()
        if snapshot_id is not None and not (ID_PATTERN.match(snapshot_id) and self.path(snapshot_id).exists()):
            raise LostSnapshot(self, snapshot_id)  # gone, or CURRENT garbled: both are lost
        return snapshot_id

    def named_current(self) -> str | None:
        """The id ``CURRENT`` names, whether or not its file exists."""
        try:
            return self.current_file.read_text().strip()
        except FileNotFoundError:
            return None

    def ids(self) -> list[str]:
        if not self.snapshots_dir.exists():
            return []
        return sorted(p.stem for p in self.snapshots_dir.glob("*.duckdb") if ID_PATTERN.match(p.stem))

    def connect(self, snapshot: str | None = None) -> duckdb.DuckDBPyConnection:
        """A read-only connection to a snapshot (default: the current one). Close it when done."""
        return duckdb.connect(str(self.path(self._existing(snapshot))), read_only=True)

    def parquet_dir(self, snapshot_id: str | None = None) -> Path:
        """The folder of a snapshot's open Parquet copy (default: the current snapshot's);
        ``parquet_tables`` names the file of each table. Raises ``NoParquet`` for a snapshot made
        before snapshots had one."""
        snapshot_id = self._existing(snapshot_id)
        folder = self.parquet_root / snapshot_id
        if not (folder / parquet.MANIFEST).exists():
            raise NoParquet(self, snapshot_id)
        return folder

    def identity_parquet(self, snapshot_id: str | None = None) -> Path:
        """The Parquet file of a snapshot's identity table (CPR numbers, names; owner only)."""
        self.parquet_dir(snapshot_id)
        return self.identity_file(self._existing(snapshot_id))

    def parquet_tables(self, snapshot_id: str | None = None) -> dict[str, Path]:
        """Table name -> Parquet file of a snapshot's open copy (``_meta`` -> ``meta.parquet``)."""
        folder = self.parquet_dir(snapshot_id)
        return {entry["table"]: folder / entry["file"] for entry in parquet.read_manifest(folder)["tables"]}

    def has_parquet(self, snapshot_id: str) -> bool:
        return (self.parquet_root / snapshot_id / parquet.MANIFEST).exists()

    def verify(self, snapshot_id: str | None = None) -> list[str]:
        """What does not match a snapshot's Parquet manifest (rows, SHA-256, modes); empty if
        the copy is intact."""
        snapshot_id = self._existing(snapshot_id)
        meta = self.meta(snapshot_id)
        rows = {table: meta[f"{table}_rows"] for table in ("identity", "persons", "contacts")}
        return parquet.problems(self.parquet_dir(snapshot_id), self.identity_file(snapshot_id), rows)

    def _existing(self, snapshot_id: str | None) -> str:
        """The id given (default: the current one), checked to name a published snapshot."""
        snapshot_id = snapshot_id or self.current()
        if snapshot_id is None:
            raise NoSnapshot(f"the store {self.root} has no snapshot yet: load a drop with `opspor ingest DIR`")
        if not self.path(snapshot_id).exists():
            raise NoSnapshot(f"no snapshot {snapshot_id} in {self.snapshots_dir} (see `opspor snapshots list`)")
        return snapshot_id

    def meta(self, snapshot: str | None = None) -> dict:
        """The ``_meta`` row of a snapshot (default: the current one)."""
        return self._dicts(snapshot, "SELECT * FROM _meta")[0]

    def loads(self, snapshot: str | None = None) -> list[dict]:
        """The history of drops applied to reach a snapshot, oldest first."""
        return self._dicts(snapshot, "SELECT * FROM _loads ORDER BY loaded_at, load_id")

    def _dicts(self, snapshot: str | None, query: str) -> list[dict]:
        with self.connect(snapshot) as con:
            cur = con.execute(query)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def list(self) -> list[SnapshotInfo]:
        """Every published snapshot, oldest first (none is current if ``CURRENT``'s is lost)."""
        current = self.named_current()
        out = []
        for snapshot_id in self.ids():
            meta = self.meta(snapshot_id)
            out.append(
                SnapshotInfo(
                    snapshot_id,
                    meta["parent_id"],
                    meta["created_at"],
                    meta["identity_rows"],
                    meta["persons_rows"],
                    meta["contacts_rows"],
                    snapshot_id == current,
                    self.path(snapshot_id),
                    self.has_parquet(snapshot_id),
                )
            )
        return sorted(out, key=lambda s: (s.created_at, s.snapshot_id))

    def uses(self) -> list[dict]:
        """The entries of ``CURRENT.log``: who made which snapshot current by hand, oldest first."""
        try:
            lines = self.use_log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    @property
    def use_log(self) -> Path:
        return self.root / "CURRENT.log"

    # -- writing ---------------------------------------------------------------------------

    def use(self, snapshot_id: str, user: str) -> str | None:
        """Make a published snapshot current (e.g. when the current one's file is lost); the
        change is appended to ``CURRENT.log``. Returns the id ``CURRENT`` named before."""
        path = self.path(snapshot_id)
        if not path.exists():
            raise NoSnapshot(f"no snapshot {snapshot_id} in {self.snapshots_dir} (see `opspor snapshots list`)")
        with self._lock():
            self.meta(snapshot_id)  # a readable snapshot, not a broken file
            before = self.named_current()
            entry = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "user": user,
                     "snapshot_id": snapshot_id, "previous": before,
                     "previous_missing": before is not None and not (
                         ID_PATTERN.match(before) and self.path(before).exists())}
            with open(self.use_log, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")
                log.flush()
                os.fsync(log.fileno())
            self._point_current_at(snapshot_id)
        return before

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` snapshots (never the current one); returns the ids.

        Readers that have a deleted snapshot open keep reading it until they close it.
        """
        if keep < 1:
            raise StoreError("keep at least 1 snapshot")
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock():
            current = self.current()
            old = [s.snapshot_id for s in self.list()[:-keep] if s.snapshot_id != current]
            for snapshot_id in old:
                self._remove_copy(snapshot_id)
                self.path(snapshot_id).unlink()
            fsync(self.snapshots_dir)
        return old

    def write_parquet(self, snapshot_id: str) -> Path:
        """Write the Parquet copy of a snapshot made before snapshots had one, from its
        ``.duckdb`` file, through staging like a load. Returns its folder."""
        self._existing(snapshot_id)
        if self.has_parquet(snapshot_id):
            raise StoreError(f"snapshot {snapshot_id} already has its Parquet copy in {self.parquet_root / snapshot_id}")
        with self.begin(snapshot_id) as staging:
            staging.stage_parquet(self.path(snapshot_id))
            staging.place_parquet()
        return self.parquet_dir(snapshot_id)

    @contextmanager
    def begin(self, snapshot_id: str) -> Iterator[Staging]:
        """Hold the store's write lock while a snapshot is staged; discard it unless published."""
        self.path(snapshot_id)  # validates the id
        for folder in (self.root, self.snapshots_dir, self.staging_dir):
            folder.mkdir(parents=True, exist_ok=True)
        with self._lock():
            self._clean_staging()
            staging = Staging(self, snapshot_id)
            staging.tmp_dir.mkdir()
            try:
                yield staging
            finally:
                staging.discard()

    @contextmanager
    def _lock(self) -> Iterator[None]:
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 100, 0).decode(errors="replace").strip() or "unknown"
                raise StoreBusy(
                    f"another load is writing to {self.root} (process {holder}); "
                    "wait for it to finish and run the command again"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _clean_staging(self) -> None:
        """Remove what a killed or failed load left behind (only called under the lock): staged
        files, and a Parquet copy placed by a load killed before its ``.duckdb`` file was."""
        for leftover in self.staging_dir.iterdir():
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
        copies = [*self.parquet_root.glob("*"), *self.identity_root.glob("*.parquet")]
        for orphan in {p.name.removesuffix(".parquet") for p in copies} - set(self.ids()):
            if ID_PATTERN.match(orphan):
                self._remove_copy(orphan)

    def _remove_copy(self, snapshot_id: str, placed: list[Path] | None = None) -> None:
        """Remove a snapshot's Parquet copy (``placed``: only these of its paths)."""
        for path in placed if placed is not None else (self.parquet_root / snapshot_id, self.identity_file(snapshot_id)):
            if path.is_dir():
                os.chmod(path, 0o700)  # a published folder is read-only
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)

    def _point_current_at(self, snapshot_id: str) -> None:
        tmp = self.root / f"CURRENT.{snapshot_id}.tmp"
        with open(tmp, "w") as f:
            f.write(snapshot_id + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.current_file)
        fsync(self.root)
