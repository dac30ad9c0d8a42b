"""The analytical store: immutable DuckDB snapshots and their open Parquet copies, published atomically (see ``snapshots``)."""

from opspor.store.snapshots import (
    LostSnapshot,
    NoParquet,
    NoSnapshot,
    SnapshotInfo,
    SnapshotStore,
    StoreBusy,
    StoreError,
)

__all__ = ["LostSnapshot", "NoParquet", "NoSnapshot", "SnapshotInfo", "SnapshotStore", "StoreBusy", "StoreError"]
