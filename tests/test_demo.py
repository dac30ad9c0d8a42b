"""The README's first command: ``opspor demo`` generates a synthetic region and loads it."""

import pytest

from opspor.store import SnapshotStore


@pytest.mark.slow
def test_demo_generates_and_loads_a_region_then_is_idempotent(run_opspor, opspor_home):
    first = run_opspor("demo", "--persons", "3000", "--region", "1083", "--no-serve")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "PUBLISHED" in first.stdout
    store = SnapshotStore(opspor_home / "store")
    snapshot = store.current()
    with store.connect() as con:
        persons, regions = con.execute(
            "SELECT count(*), count(DISTINCT region_code) FROM persons"
        ).fetchone()
        units = {u for (u,) in con.execute("SELECT DISTINCT hospital_unit FROM contacts").fetchall()}
    assert persons == 3000 and regions == 1
    assert units <= {"OUH", "SLB", "SHS", "SVS"} and len(units) == 4
    # `find $OPSPOR_HOME -perm /o+r` lists nothing: every file may hold CPR numbers or names
    readable = [str(p) for p in [opspor_home, *opspor_home.rglob("*")]
                if not p.is_symlink() and p.lstat().st_mode & 0o077]
    assert readable == []

    second = run_opspor("demo", "--persons", "3000", "--region", "1083", "--no-serve")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing changed" in second.stdout
    assert store.current() == snapshot
