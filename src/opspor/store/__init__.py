"""The analytical store: immutable DuckDB snapshots, published atomically (see ``snapshots``)."""

from opspor.store.snapshots import NoSnapshot, SnapshotInfo, SnapshotStore, StoreBusy, StoreError

__all__ = ["NoSnapshot", "SnapshotInfo", "SnapshotStore", "StoreBusy", "StoreError"]
