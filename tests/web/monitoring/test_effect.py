"""The effect page: estimates in the format `opspor monitor effect --out` writes, published into
the web app, shown with the pilot and the national trial as references (never as results)."""

from __future__ import annotations

import json

import pytest

from opspor.monitor.effect import Estimate
from tests.web.factories import *

pytestmark = pytest.mark.django_db


def _file(tmp_path, estimates) -> object:
    path = tmp_path / "effect.json"
    path.write_text(json.dumps([e.as_dict() if isinstance(e, Estimate) else e for e in estimates]), encoding="utf-8")
    return path


ESTIMATES = [
    Estimate("admissions", 6, "rate_ratio", 0.771, 0.712, 0.832, 0.0001, 3000, 3000, 0.61, 0.79, -0.229, "NB2"),
    Estimate("who5", 6, "difference", 4.9, 4.3, 5.6, 0.0001, 2800, 2790, 58.1, 53.2, 0.092, "mixed"),
    Estimate("before_after", 12, "rate_ratio", 0.62, 0.55, 0.70, 0.0001, 3000, 3000, 0.5, 0.8, -0.38, "Poisson"),
]


def test_effect_page_with_references_and_estimates(users, as_user, tmp_path):
    from opspor.web.monitoring.publish import publish_effect

    client = as_user(users["lead"])
    html = client.get("/overvaagning/effekt/").content.decode()
    assert "No trial result has been published yet" in html
    assert "13 per cent better quality of life, 23 per cent fewer admissions, 33 per cent fewer bed-days" in html
    assert "6402 randomised (3190 intervention, 3212 control)" in html
    path = _file(tmp_path, ESTIMATES)
    first = publish_effect(path)
    assert not first.already and first.estimates == 3
    assert publish_effect(path).already
    html = client.get("/overvaagning/effekt/").content.decode()
    assert "<svg" in html and "0.77 (0.71–0.83)" in html and "4.90 (4.30–5.60)" in html
    assert "Not an effect estimate" in html and "Regression to the mean" in html
    assert as_user(users["odense"]).get("/overvaagning/effekt/").status_code == 403


@pytest.mark.parametrize(("content", "message"), [
    ("[{", "line 1: not JSON"),
    ("{}", "expected a non-empty list of estimates"),
    ('[{"outcome": "admissions"}]', "estimate [0], field months: missing"),
    (json.dumps([{**ESTIMATES[0].as_dict(), "outcome": "deaths"}]), "field outcome: 'deaths'. Fix: one of"),
    (json.dumps([{**ESTIMATES[0].as_dict(), "estimate": 2.0}]), "outside its interval"),
    (json.dumps([ESTIMATES[0].as_dict(), {**ESTIMATES[1].as_dict(), "cpr": "0101011234"}]),
     "estimate [1]: unknown field(s) cpr"),
])
def test_bad_effect_files_are_refused_whole(db, tmp_path, content, message):
    from opspor.web.monitoring.models import EffectResult
    from opspor.web.monitoring.publish import EffectFileError, publish_effect

    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EffectFileError, match="bad.json") as error:
        publish_effect(path)
    assert message in str(error.value)
    assert not EffectResult.objects.exists()
