"""`opspor lists run --publish` and `opspor web publish` through the real command line."""

from __future__ import annotations

from tests.support import assert_no_cpr
from tests.web import web_kit

ENV = {"OPSPOR_SECRET_KEY": "publish-cli-test-secret-key-0123456789-abcdefghijklmnop", "OPSPOR_HTTPS": "0"}


def test_lists_run_publishes_and_a_second_publish_changes_nothing(run_opspor, opspor_home):
    drop = web_kit.lists_kit.write_drop(opspor_home.parent / "drop")
    assert run_opspor("ingest", drop, env=ENV).returncode == 0
    migrated = run_opspor("web", "migrate", env=ENV)
    assert migrated.returncode == 0 and "reference organisations added" in migrated.stdout
    done = run_opspor("lists", "run", "--as-of", web_kit.AS_OF, "--publish", env=ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is published in the web app" in done.stderr
    again = run_opspor("web", "publish", env=ENV)
    assert again.returncode == 0 and "already published; nothing changed" in again.stdout
    assert_no_cpr(done.stdout, done.stderr, again.stdout, cprs=web_kit.CPR.values())


def test_publish_without_a_run_or_with_an_unknown_run_is_a_clear_error(run_opspor):
    assert run_opspor("web", "migrate", env=ENV).returncode == 0
    none = run_opspor("web", "publish", env=ENV)
    assert none.returncode == 1 and "No lists run is stored yet. Run `opspor lists run` first." in none.stderr
    unknown = run_opspor("web", "publish", "20260101T000000Z-deadbeef", env=ENV)
    assert unknown.returncode == 1 and "No stored lists run" in unknown.stderr
    assert "Traceback" not in none.stderr + unknown.stderr


def test_web_commands_need_the_secret_key(run_opspor):
    result = run_opspor("web", "migrate", env={"OPSPOR_SECRET_KEY": ""})
    assert result.returncode == 2 and "OPSPOR_SECRET_KEY is not set" in result.stderr
