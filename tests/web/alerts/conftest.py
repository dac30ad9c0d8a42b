"""Fixtures of the data-alert pages: the hand-made drop of tests/alerts/alerts_kit.py loaded with
the real ``opspor ingest`` (once per test process), its March 2024 alerts computed in-process with
alpha 0.1 (Odense 461 and GP practice 100001 are flagged; worked out in tests/alerts/test_by_hand.py)
and published into the test database through ``opspor.web.alerts.actions.publish``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.alerts import alerts_kit


@pytest.fixture(scope="session")
def alerts_home(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("web-alerts")
    drop = alerts_kit.write_drop(base / "drop")
    home = base / "home"
    alerts_kit.Opspor(home).subprocess("ingest", drop)
    return home


@pytest.fixture
def alert_table(alerts_home, monkeypatch, tmp_path):
    from opspor.alerts import compute, load_config
    from opspor.alerts.settings import CONFIG_FILE
    from opspor.engines import connect

    config = tmp_path / "alerts.yaml"
    config.write_text(CONFIG_FILE.read_text(encoding="utf-8").replace("alpha: 0.01", "alpha: 0.1"), encoding="utf-8")
    monkeypatch.setenv("OPSPOR_HOME", str(alerts_home))
    with connect() as con:
        table = compute(con, config=load_config(config))
    assert [(r.unit_kind, r.unit_code) for r in table.alerts()] == [("municipality", "461"), ("gp_practice", "100001")]
    return table


@pytest.fixture
def alert_users(db):
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.organisations import ensure_reference_organisations
    from opspor.web.accounts.roles import OrgKind, Role
    from tests.web.web_kit import make_user

    ensure_reference_organisations()
    org = lambda kind, code: Organisation.objects.get(kind=kind, code=code)
    gp1 = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="100001", name="Lægerne i Odense", region_code="1083")
    gp2 = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="100002", name="Lægerne i Svendborg", region_code="1083")
    return {
        "odense": make_user("odense", Role.MUNICIPALITY, org(OrgKind.MUNICIPALITY, "461")),
        "svendborg": make_user("svendborg", Role.MUNICIPALITY, org(OrgKind.MUNICIPALITY, "479")),
        "langeland": make_user("langeland", Role.MUNICIPALITY, org(OrgKind.MUNICIPALITY, "482")),
        "vejle": make_user("vejle", Role.MUNICIPALITY, org(OrgKind.MUNICIPALITY, "630")),
        "gp1": make_user("gp1", Role.MUNICIPALITY, gp1),
        "gp2": make_user("gp2", Role.MUNICIPALITY, gp2),
        "secretariat": make_user("secretariat", Role.SECRETARIAT, org(OrgKind.REGION, "1083")),
        "secretariat_other": make_user("secretariat_other", Role.SECRETARIAT, org(OrgKind.REGION, "1084")),
        "lead": make_user("lead", Role.PROGRAMME_LEAD, org(OrgKind.REGION, "1083")),
    }
