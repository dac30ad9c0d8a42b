"""The analytical store: immutable DuckDB snapshots, published atomically (see ``snapshots``)."""

from opspor.store.snapshots import LostSnapshot, NoSnapshot, SnapshotInfo, SnapshotStore, StoreBusy, StoreError

__all__ = ["LostSnapshot", "NoSnapshot", "SnapshotInfo", "SnapshotStore", "StoreBusy", "StoreError"]
