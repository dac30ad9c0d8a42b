"""Randomisation: stratified permuted blocks, concealed until consent, audited, verifiable."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest

from opspor.monitor.randomisation import (
    MemoryAllocationStore,
    RandomisationError,
    Randomiser,
)

KEY = b"a-test-randomisation-key-of-enough-length"
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
STRATA = ("1081", "1082", "1083", "1084", "1085")


def make(key: bytes = KEY, **kw) -> Randomiser:
    return Randomiser("aps-test", key, MemoryAllocationStore(), strata=STRATA, **kw)


def allocate_many(r: Randomiser, stratum: str, n: int, prefix: str = "P") -> list:
    return [r.allocate(stratum, f"{prefix}{stratum}-{i}", NOW, "nurse:test", NOW) for i in range(n)]


def test_blocks_are_balanced_and_of_the_allowed_sizes():
    r = make()
    allocs = allocate_many(r, "1083", 300)
    assert [a.sequence_number for a in allocs] == list(range(1, 301))
    blocks: dict[int, list] = {}
    for a in allocs:
        blocks.setdefault(a.block_number, []).append(a)
    sizes = Counter()
    for number, members in blocks.items():
        size = members[0].block_size
        assert size in (2, 4, 6)
        if len(members) == size:  # complete blocks have equal arms
            assert Counter(a.arm for a in members) == {"intervention": size // 2, "control": size // 2}
        sizes[size] += 1
        assert number == members[0].block_number
    assert set(sizes) == {2, 4, 6}  # all sizes are used (random block sizes)
    arms = Counter(a.arm for a in allocs)
    assert abs(arms["intervention"] - arms["control"]) <= 3  # at most half a block apart


def test_strata_have_their_own_sequences():
    r = make()
    a = [x.arm for x in allocate_many(r, "1081", 40)]
    b = [x.arm for x in allocate_many(r, "1085", 40)]
    assert a != b
    assert [x.sequence_number for x in r.store.allocations("aps-test") if x.stratum == "1085"] == list(range(1, 41))


def test_sequence_depends_on_the_secret_key():
    assert make().sequence("1083", 60) != make(b"another-key-of-sufficient-length!!").sequence("1083", 60)
    assert make().sequence("1083", 60) == make().sequence("1083", 60)  # reproducible with the key


def test_concealed_until_consent_and_audited():
    r = make()
    with pytest.raises(RandomisationError, match="no consent"):
        r.allocate("1083", "P-1", None, "nurse:test", NOW)
    assert r.store.allocations("aps-test") == []  # nothing allocated, nothing revealed
    assert r.store.audit_log[-1].action == "refuse" and r.store.audit_log[-1].arm is None
    with pytest.raises(RandomisationError, match="future"):
        r.allocate("1083", "P-1", NOW + dt.timedelta(hours=1), "nurse:test", NOW)
    first = r.allocate("1083", "P-1", NOW, "nurse:test", NOW)
    again = r.allocate("1083", "P-1", NOW, "nurse:other", NOW)
    assert again == first  # final: asking again returns the same allocation
    actions = [e.action for e in r.store.audit_log]
    assert actions == ["refuse", "refuse", "allocate", "reread"]
    assert r.store.audit_log[2].arm == first.arm and r.store.audit_log[2].sequence_number == 1


def test_refusals():
    r = make()
    with pytest.raises(RandomisationError, match="CPR"):
        r.allocate("1083", "0101501234", NOW, "nurse:test", NOW)
    assert "0101501234" not in repr(r.store.audit_log)  # not even in the audit
    with pytest.raises(RandomisationError, match="unknown stratum"):
        r.allocate("9999", "P-2", NOW, "nurse:test", NOW)
    with pytest.raises(RandomisationError, match="multiple"):
        Randomiser("t", KEY, MemoryAllocationStore(), block_sizes=(3,))
    with pytest.raises(RandomisationError, match="too short"):
        Randomiser("t", b"short", MemoryAllocationStore())


def test_verify_recomputes_every_allocation():
    r = make()
    allocate_many(r, "1082", 25)
    assert r.verify() == []
    # the same allocations in a store of their own (through its public add), #8's arm changed
    flip = {"intervention": "control", "control": "intervention"}
    tampered = MemoryAllocationStore()
    for stored in r.store.allocations(r.trial):
        if stored.sequence_number == 8:
            arm = stored.arm
            stored = type(stored)(**{**stored.__dict__, "arm": flip[arm]})
        tampered.add(stored, r.store.audit_log[0])
    problems = Randomiser(r.trial, KEY, tampered, strata=STRATA).verify()
    assert problems == [f"1082 #8: stored {flip[arm]}, the sequence says {arm}"]


def test_concurrent_allocations_get_distinct_sequence_numbers():
    r = make()
    errors = []

    def work(k: int) -> None:
        try:
            for i in range(20):
                r.allocate("1084", f"T{k}-{i}", NOW, f"nurse:{k}", NOW)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    numbers = sorted(a.sequence_number for a in r.store.allocations("aps-test"))
    assert numbers == list(range(1, 81))
    assert r.verify() == []
