"""The done-when of issue 7's messages: a loopback receiver gets every message exactly once
while the real ``opspor messages send`` process is SIGKILLed again and again.

40 messages are queued by the real action (20 consents, each to the GP and the municipality)
in a real database (SQLite file, or PostgreSQL in the PostgreSQL pass). The sender is killed
at each crash point (before the POST, after the POST before its result is written, after the
commit; env OPSPOR_MESSAGES_CRASH_AT, test hooks only) and at random moments, then restarted
until the outbox is empty. The receiver (MedCom reliable messaging: a repeated message id is a
duplicate) must have processed each message exactly once; raw duplicate POSTs are reported.
The same for the folder drop: every message exactly one whole file.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.web import fixtures_server
from tests.web.messaging.msg_kit import Receiver

pytestmark = pytest.mark.slow
OPSPOR = fixtures_server.OPSPOR
SEED = Path(__file__).with_name("seed_outbox.py")
PATIENTS = 20


@pytest.fixture
def outbox_home(tmp_path):
    """A home with a migrated database holding 40 queued messages; yields the environment."""
    home = tmp_path / "home"
    home.mkdir()
    env = fixtures_server.base_env(home)
    database = None
    if fixtures_server.POSTGRES is not None:
        database = fixtures_server.POSTGRES.create_database()
        env.update(fixtures_server.POSTGRES.env(database))
    try:
        done = subprocess.run([OPSPOR, "manage", "migrate", "--noinput"], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        done = subprocess.run([sys.executable, str(SEED), str(PATIENTS)], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip() == str(2 * PATIENTS)
        yield env
    finally:
        if database is not None:
            fixtures_server.POSTGRES.drop_database(database)


def outbox(env) -> list[dict]:
    """The outbox's rows, read by the seed script (``opspor messages list --json`` gives the same;
    the script skips the CLI's start-up cost, which is most of this test's time)."""
    done = subprocess.run([sys.executable, str(SEED), "states"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_list_command_shows_the_outbox_without_cpr(outbox_home):
    done = subprocess.run([OPSPOR, "messages", "list", "--json"], env=outbox_home, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 2 * PATIENTS and {r["state"] for r in rows} == {"queued"}
    assert {r["recipient_kind"] for r in rows} == {"gp_practice", "municipality"}
    assert not any(f"0101{50 + i % 40:02d}{1000 + i:04d}" in done.stdout for i in range(PATIENTS))  # no CPR
    assert sorted(r["message_id"] for r in rows) == sorted(r["message_id"] for r in outbox(outbox_home))
    drop = outbox_home["OPSPOR_HOME"] + "/drop"
    done = send({**outbox_home, "OPSPOR_MESSAGES_DIR": drop}, OPSPOR_MESSAGES_ADAPTER="ftp")
    assert done.returncode == 2 and "OPSPOR_MESSAGES_ADAPTER='ftp': use folder or http" in done.stderr
    done = subprocess.run([OPSPOR, "messages", "send", "--once", "--batch", "3"], capture_output=True, text=True,
                          env={**outbox_home, "OPSPOR_MESSAGES_DIR": drop}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "3 delivered" in done.stdout and len(list(Path(drop).glob("*.json"))) == 3


def send(env, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([OPSPOR, "messages", "send"], env={**env, **extra}, capture_output=True, text=True,
                          timeout=300)


def kill_at_random(env, rng: random.Random) -> int:
    process = subprocess.Popen([OPSPOR, "messages", "send"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(rng.uniform(0.3, 2.5))  # Python and Django start in ~1 s: some kills land mid-delivery
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=30)


def kill_and_restart(env, settle_state: str) -> dict:
    """Crash points, random kills, then restarts until nothing is left to send."""
    crashes = 0
    for point, after in (("before_post", 1), ("after_post", 2), ("after_commit", 3), ("after_post", 1)):
        done = send(env, OPSPOR_MESSAGES_TEST_HOOKS="1", OPSPOR_MESSAGES_CRASH_AT=point,
                    OPSPOR_MESSAGES_CRASH_AFTER=str(after))
        if done.returncode == -signal.SIGKILL:
            crashes += 1
        else:
            assert done.returncode == 0, done.stdout + done.stderr
    rng = random.Random(20261123)
    random_kills = sum(kill_at_random(env, rng) == -signal.SIGKILL for _ in range(3))
    deadline = time.monotonic() + 120
    rounds = 0
    while True:
        rows = outbox(env)
        if all(r["state"] == settle_state for r in rows):
            break
        assert time.monotonic() < deadline, f"outbox not settled: {[r['state'] for r in rows]}"
        done = send(env)
        assert done.returncode == 0, done.stdout + done.stderr
        rounds += 1
        time.sleep(0.5)  # a killed sender's lease (2 x time-out + 1 s) runs out
    return {"crashes": crashes, "random_kills": random_kills, "restarts": rounds, "rows": rows}


def test_http_receiver_gets_each_message_exactly_once_through_kills(outbox_home, capsys):
    receiver = Receiver()
    env = {**outbox_home, "OPSPOR_MESSAGES_ADAPTER": "http", "OPSPOR_MESSAGES_URL": receiver.url,
           "OPSPOR_MESSAGES_TIMEOUT": "0.5", "OPSPOR_MESSAGES_BACKOFF_SECONDS": "0.05",
           "OPSPOR_MESSAGES_BACKOFF_MAX_SECONDS": "0.2", "OPSPOR_MESSAGES_MAX_ATTEMPTS": "1000"}
    try:
        result = kill_and_restart(env, "acknowledged")
    finally:
        receiver.stop()
    ids = sorted(r["message_id"] for r in result["rows"])
    assert len(ids) == 2 * PATIENTS == len(set(ids))
    assert sorted(receiver.accepted) == ids  # none lost, each processed once (accepted is keyed by id)
    assert set(receiver.posts) == set(ids)
    assert result["crashes"] == 4  # every crash point was reached and killed the sender
    # a kill after the POST and before its result was written must resend: the receiver saw a repeat
    assert receiver.duplicates >= 2
    with capsys.disabled():
        print(f"\n[kill test, http] {len(ids)} messages, {len(receiver.posts)} POSTs, "
              f"{receiver.duplicates} raw duplicate POSTs (recognised by id), {result['crashes']} crash-point kills, "
              f"{result['random_kills']} random kills, {result['restarts']} restarts")


def test_folder_drop_has_each_message_as_one_whole_file_through_kills(outbox_home, tmp_path, capsys):
    out = tmp_path / "drop"
    env = {**outbox_home, "OPSPOR_MESSAGES_ADAPTER": "folder", "OPSPOR_MESSAGES_DIR": str(out)}
    result = kill_and_restart(env, "sent")
    ids = sorted(r["message_id"] for r in result["rows"])
    assert len(ids) == 2 * PATIENTS
    files = sorted(out.glob("*.json"))
    assert [f.stem for f in files] == ids  # none missing, none twice
    for f in files:
        bundle = json.loads(f.read_text(encoding="utf-8"))  # whole: parses
        assert bundle["id"] == f.stem and bundle["entry"][0]["resource"]["id"] == f.stem
    leftovers = list(out.glob(".tmp-*"))
    assert all(p.suffix == ".part" for p in leftovers)
    with capsys.disabled():
        print(f"\n[kill test, folder] {len(files)} files for {len(ids)} messages, {result['crashes']} crash-point "
              f"kills, {result['random_kills']} random kills, {len(leftovers)} temporary .part files left by kills")
