"""The programme lead's ranking explained (issue 19, item 5), through HTTP with scores stored as
the risk module stores them (tests/web/risk_kit.py) and read by the real ``opspor.risk.api``:
beside each score what it predicts (horizon and outcome from the model's record, i.e. the risk
configuration), the person's top factors from the stored explanation, and the model's report."""

from __future__ import annotations

import re
from html import unescape

import pytest

from opspor.risk import settings as risk_settings
from opspor.rules.concepts import shipped as concepts
from tests.web import risk_kit
from tests.web.factories import *  # noqa: F403  the fixtures world and as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk_home(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSPOR_HOME", str(tmp_path))
    return tmp_path


def words() -> tuple[str, str]:
    """The outcome's label and horizon in Danish, from the configuration the model records."""
    outcome = risk_settings.load().outcome
    months = int(outcome.horizon.rstrip("m"))
    return " eller ".join(concepts().label(n.strip(), "da") for n in outcome.concept.split("|")), f"{months} måneder"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_each_score_says_what_it_predicts_with_the_persons_top_factors_and_the_report(world, login, risk_home):
    keys = {n: world.persons[n].person_key for n in ("p1", "p3", "p4")}
    risk_kit.store(risk_home, [
        (keys["p4"], "1083", 0.8612, "3 akutte indlæggelser sidste 3 mdr.; KOL; 87 år"),
        (keys["p3"], "1083", 0.40, "hjertesvigt"),
        (keys["p1"], "1083", 0.12, None),  # below the explained ranks
    ])
    client = login(world.users["pia"])
    html = client.get("/aps/program/").content.decode()
    outcome, horizon = words()
    page = text(html)
    assert f"86 % risiko for {outcome} inden for {horizon}" in page
    assert f"40 % risiko for {outcome} inden for {horizon}" in page
    assert f"Scoren angiver risiko for {outcome} inden for {horizon}." in page
    p4_row = html[html.index(f"<code>{world.persons['p4'].short_key}</code>"):]
    p4_row = p4_row[:p4_row.index("</tr>")]
    assert re.findall(r"<li>([^<]+)</li>", p4_row) == ["3 akutte indlæggelser sidste 3 mdr.", "KOL", "87 år"]
    p1_row = html[html.index(f"<code>{world.persons['p1'].short_key}</code>"):]
    assert "Ingen faktorer gemt" in text(p1_row[:p1_row.index("</tr>")])
    # the model's report: linked beside the ranking, served to the lead as stored
    assert 'href="/aps/program/modelrapport/"' in html
    report = client.get("/aps/program/modelrapport/")
    assert report.status_code == 200 and report.content.decode() == risk_kit.REPORT
    assert "script-src 'self'" in report["Content-Security-Policy"]
    # nobody else reads it
    assert login(world.users["nina"]).get("/aps/program/modelrapport/").status_code == 403


def test_the_words_follow_the_models_recorded_horizon_and_english(world, as_user, risk_home):
    risk_kit.store(risk_home, [(world.persons["p2"].person_key, "1083", 0.5, "diabetes")], report=False)
    record = risk_home / "risk" / "models" / risk_kit.MODEL_ID / "model.json"
    import json

    data = json.loads(record.read_text())
    data["config"]["outcome"].update(horizon="12m", horizon_days=365)
    record.write_text(json.dumps(data))
    html = as_user(world.users["pia"]).get("/aps/program/").content.decode()
    outcome = " or ".join(concepts().label(n.strip(), "en") for n in risk_settings.load().outcome.concept.split("|"))
    assert f"50 % risk of {outcome} within 12 months" in text(html)
    assert "modelrapport" not in html  # no report stored: no link
    assert as_user(world.users["pia"]).get("/aps/program/modelrapport/").status_code == 404


def test_without_a_model_record_the_score_stands_alone(world, login, risk_home):
    risk_kit.store(risk_home, [(world.persons["p2"].person_key, "1083", 0.5, None)])
    (risk_home / "risk" / "models" / risk_kit.MODEL_ID / "model.json").write_text("{broken")
    html = login(world.users["pia"]).get("/aps/program/").content.decode()
    assert "50,0 %" in html and "risiko for" not in html and "modelrapport" not in html
