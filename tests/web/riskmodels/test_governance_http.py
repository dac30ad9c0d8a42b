"""The risk models' page over HTTP (Django test client, real database, real registry files):
who may see, propose, approve, select and roll back; each step audited in the transaction of
the step; a refused step leaves neither a decision nor an audit entry."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError

from opspor.web.audit.models import AuditEntry, Event
from tests.web import web_kit

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.organisations import ensure_reference_organisations
    from opspor.web.accounts.roles import OrgKind, Role

    ensure_reference_organisations()
    region = Organisation.objects.get(kind=OrgKind.REGION, code="1083")
    gp = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="054321", name="Lægehuset", region_code="1083")
    mk = web_kit.make_user
    return {
        "lead": mk("lead", Role.PROGRAMME_LEAD, region),
        "doctor": mk("doctor", Role.DOCTOR, region, last_name="Lægefaglig"),
        "gp_doctor": mk("gp_doctor", Role.DOCTOR, gp),
        "admin": mk("admin", Role.ADMIN, region, is_staff=True, is_superuser=True),
        "nurse": mk("nurse", Role.NURSE, region),
        "secretariat": mk("secretariat", Role.SECRETARIAT, region),
    }


def _log(home) -> list[dict]:
    path = home / "risk" / "governance" / "decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _selected(home) -> str | None:
    path = home / "risk" / "SELECTED"
    return path.read_text().strip() if path.exists() else None


def _post(client, model_id: str, step: str, note: str = ""):
    return client.post(f"/risikomodeller/{model_id}/{step}/", {"note": note}, follow=True)


def test_roles_that_may_not_see_or_take_a_step_are_refused_and_nothing_is_written(
        client, login, people, risk_home, registry_risk):
    boosted = registry_risk.models["boosted"]
    for name in ("nurse", "secretariat"):
        login(people[name])
        assert client.get("/risikomodeller/").status_code == 403
        assert client.post(f"/risikomodeller/{boosted}/propose/").status_code == 403
    login(people["lead"])
    page = client.get("/risikomodeller/")
    assert page.status_code == 200 and boosted in page.content.decode()
    assert client.post(f"/risikomodeller/{boosted}/approve/").status_code == 403  # the lead does not approve
    for name in ("doctor", "gp_doctor", "admin"):
        if name == "admin":
            web_kit.log_in_with_second_factor(login, people[name])
        else:
            login(people[name])
        assert client.get("/risikomodeller/").status_code == 200
        assert client.post(f"/risikomodeller/{boosted}/propose/").status_code == 403
        assert client.post(f"/risikomodeller/{boosted}/select/").status_code == 403
    login(people["lead"])
    assert _post(client, boosted, "propose").status_code == 200
    for name in ("gp_doctor", "admin"):  # a GP's doctor and the administrator do not approve
        if name == "admin":
            web_kit.log_in_with_second_factor(login, people[name])
        else:
            login(people[name])
        assert client.post(f"/risikomodeller/{boosted}/approve/").status_code == 403
    assert [e["step"] for e in _log(risk_home)] == ["propose"]
    assert list(AuditEntry.objects.filter(what__startswith="risk.model").values_list("what", flat=True)) == [
        Event.RISK_MODEL_PROPOSE.value]
    assert client.get("/risikomodeller/not-an-id/").status_code == 404
    assert client.post(f"/risikomodeller/{boosted}/delete/").status_code == 404


def test_propose_approve_select_and_roll_back_each_audited(client, login, people, risk_home, registry_risk):
    boosted, logistic = registry_risk.models["boosted"], registry_risk.models["logistic"]
    login(people["lead"])
    page = _post(client, logistic, "select").content.decode()  # unapproved: refused, named
    assert "ikke godkendt og kan ikke tages i brug" in page and _selected(risk_home) is None
    for model in (boosted, logistic):
        _post(client, model, "propose", "Bedste AUROC på testdatoen")
    login(people["doctor"])
    for model in (boosted, logistic):
        page = _post(client, model, "approve", "Gennemgået modelkort og fairness").content.decode()
        assert "is approved" in page or "er godkendt" in page
    login(people["lead"])
    _post(client, boosted, "select", "Første model")
    assert _selected(risk_home) == boosted
    _post(client, logistic, "select", "Skift til den enkle model")
    assert _selected(risk_home) == logistic
    page = client.get("/risikomodeller/").content.decode()
    assert f"/risikomodeller/tilbage/" in page and boosted in page
    client.post("/risikomodeller/tilbage/", {"note": "Forkert valg"}, follow=True)
    assert _selected(risk_home) == boosted
    assert [(e["step"], e["model_id"]) for e in _log(risk_home)] == [
        ("propose", boosted), ("propose", logistic), ("approve", boosted), ("approve", logistic),
        ("select", boosted), ("select", logistic), ("rollback", boosted)]
    entries = AuditEntry.objects.filter(what__startswith="risk.model").order_by("pk")
    assert [(e.what, e.username, e.detail["model_id"]) for e in entries] == [
        ("risk.model.propose", "lead", boosted), ("risk.model.propose", "lead", logistic),
        ("risk.model.approve", "doctor", boosted), ("risk.model.approve", "doctor", logistic),
        ("risk.model.select", "lead", boosted), ("risk.model.select", "lead", logistic),
        ("risk.model.rollback", "lead", boosted)]
    assert entries[2].detail["note"] == "Gennemgået modelkort og fairness" and entries[2].role == "doctor"
    card = client.get(f"/risikomodeller/{boosted}/").content.decode()
    for part in ('id="intended-use"', 'id="fairness"', 'id="limits"', "2024-01-01", "Lægefaglig",
                 "Gennemgået modelkort og fairness"):
        assert part in card, part


def test_a_step_whose_audit_entry_cannot_be_written_is_not_taken(client, login, people, risk_home, registry_risk,
                                                                  audit_refuses):
    boosted = registry_risk.models["boosted"]
    login(people["lead"])
    audit_refuses()
    with pytest.raises(DatabaseError):  # the audit store's refusal, whatever the database says
        client.post(f"/risikomodeller/{boosted}/propose/", {"note": "x"})
    assert _log(risk_home) == []


def test_the_card_shows_the_judgement_at_the_capacity_threshold(client, login, people, risk_home, registry_risk):
    """`opspor risk fairness` stores its judgement beside the model (tests/risk/test_decision.py
    makes it through the command line); the card page says it, or that none is made yet."""
    from opspor.risk import registry

    boosted = registry_risk.models["boosted"]
    login(people["lead"])
    card = client.get(f"/risikomodeller/{boosted}/").content.decode()
    assert "Retfærdighed ved kapacitetstærsklen er endnu ikke vurderet" in card
    row = {"judgement": "flagged", "admitted": 40}
    registry.save_analysis("fairness", {
        "model_id": boosted, "as_of": "2025-07-01", "capacity": {"1083": 1200},
        "groups": {"sex": {"F": row, "M": {**row, "judgement": "acceptable"}},
                   "age_band": {"0-17": {**row, "judgement": "too_small", "admitted": 3}}},
        "flagged": ["sex F: O/E 1.40 [1.27; 1.55] outside 0.8-1.25"],
        "flagged_groups": [{"grouping": "sex", "label": "F", "reasons": [
            {"kind": "oe", "ratio": 1.4, "low": 1.27, "high": 1.55, "limit_low": 0.8, "limit_high": 1.25},
            {"kind": "ppv", "ppv": 0.1234, "upper": 0.15, "ratio_min": 0.8, "overall": 0.2}]}]})
    card = client.get(f"/risikomodeller/{boosted}/").content.decode()
    assert ("Ved kapacitetstærsklen (testdato 2025-07-01; kapacitet 1083 1.200): 2 grupper vurderet mod "
            "grænserne i governance.yaml, 1 for små til at vurdere; markeret: Køn F: O/E 1,40 [1,27; 1,55] "
            "uden for 0,8-1,25; PPV 0,123 (øvre grænse 0,150) under 0,8 × samlet 0,200") in card
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    card = client.get(f"/risikomodeller/{boosted}/").content.decode()
    assert ("flagged: Sex F: O/E 1.40 [1.27; 1.55] outside 0.8-1.25; PPV 0.123 (upper 0.150) below 0.8 × overall "
            "0.200") in card


def _region_auroc(home, model_id: str, region: str) -> float:
    record = json.loads((home / "risk" / "models" / model_id / "model.json").read_text())
    run = json.loads((home / "risk" / "reports" / record["training_id"] / "evaluation.json").read_text())
    return run["evaluation"]["groups"]["region"][region]["scores"][record["kind"]]["auroc"]


def test_the_region_proposal_is_shown_with_its_reason_and_accepted_by_the_lead(client, login, people, risk_home,
                                                                                registry_risk):
    """Per region the page proposes the approved model with the highest AUROC on the region's
    persons, with the reason in Danish; the lead accepts it with the audited select step."""
    boosted, logistic = registry_risk.models["boosted"], registry_risk.models["logistic"]
    login(people["lead"])
    page = client.get("/risikomodeller/").content.decode()
    assert "Intet forslag for Region Syddanmark: ingen godkendt model har tal for regionens personer" in page
    assert 'id="accept-proposal"' not in page
    for model in (boosted, logistic):
        _post(client, model, "propose", "Til vurdering")
    login(people["doctor"])
    _post(client, boosted, "approve", "Gennemgået")
    _post(client, logistic, "approve", "Gennemgået")
    page = client.get("/risikomodeller/").content.decode()
    aurocs = {m: _region_auroc(risk_home, m, "1083") for m in (boosted, logistic)}
    best = max(aurocs, key=aurocs.get)
    auroc = f"{aurocs[best]:.3f}".replace(".", ",")
    assert f"Foreslået for Region Syddanmark:" in page and f"{best}, den højeste AUROC" in page
    assert f"blandt de 2 godkendte modeller med tal for regionen: {auroc} [" in page
    assert 'id="accept-proposal"' not in page  # the doctor may not put a model in use
    login(people["lead"])
    page = client.get("/risikomodeller/").content.decode()
    assert 'id="accept-proposal"' in page and f"/risikomodeller/{best}/select/" in page
    note = page.split('name="note" value="', 1)[1].split('"', 1)[0]
    assert note.startswith("Foreslået for Region Syddanmark")
    _post(client, best, "select", note)
    assert _selected(risk_home) == best
    entry = AuditEntry.objects.filter(what="risk.model.select").get()
    assert entry.username == "lead" and entry.detail["model_id"] == best
    assert entry.detail["note"].startswith("Foreslået for Region Syddanmark")
    page = client.get("/risikomodeller/").content.decode()
    assert "Det er modellen i brug." in page and 'id="accept-proposal"' not in page
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/risikomodeller/").content.decode()
    assert f"among the 2 approved models with figures for the region: {aurocs[best]:.3f} [" in page


def test_the_card_shows_the_decision_and_external_validation_figures(client, login, people, registry_risk, tmp_path,
                                                                     monkeypatch):
    """Without the analyses the card names the commands; after `opspor risk decision` (stored
    with the model) and `opspor risk validate-external` (the newest of the model's kind) the page
    and the card file show their figures in Danish number format, and in English on request."""
    import shutil

    from django.conf import settings

    from tests.risk.risk_kit import Cli

    home = tmp_path / "home"
    shutil.copytree(registry_risk.risk.parent, home)
    monkeypatch.setenv("OPSPOR_HOME", str(home))
    boosted = registry_risk.models["boosted"]
    login(people["lead"])
    card = client.get(f"/risikomodeller/{boosted}/").content.decode()
    assert (f"Nettogevinst og antal, der skal inviteres, er endnu ikke beregnet: opspor risk decision --model "
            f"{boosted} --capacity REGION=N") in card
    assert "Endnu ingen ekstern validering af denne modeltype: opspor risk validate-external --train-region " \
           "REGION --kind boosted" in card
    cli = Cli(home, set())
    cli("risk", "decision", "--model", boosted, "--capacity", "1083=60", "--capacity", "1084=60",
        "--out", tmp_path / "d.json")
    cli("risk", "validate-external", "--train-region", "1083", "--kind", "boosted", "--out", tmp_path / "e.json")
    d = json.loads((tmp_path / "d.json").read_text())
    e = json.loads((tmp_path / "e.json").read_text())
    card = client.get(f"/risikomodeller/{boosted}/").content.decode()
    nb = f"{d['strategies']['model']['net_benefit']:.4f}".replace(".", ",")
    pilot = d["number_needed_to_invite"]["pilot"]
    assert "Beslutninger: nettogevinst ved kapacitetstærsklen" in card and f"<td class=\"num\">{nb}</td>" in card
    assert f"På testdatoen {d['as_of']}: " in card and "kapacitet 1083 60, 1084 60" in card
    assert f"<td class=\"num\">{pilot['model']:.0f}</td>" in card and "∞ (ingen effekt)" in card
    development = next(r for r in e["regions"] if r["role"] == "development")["as_developed"]
    auroc = f"{development['auroc']:.3f}".replace(".", ",")
    assert f"Nyeste eksterne validering af denne modeltype (kørsel {e['run_id']}" in card
    assert "udviklet på region 1083" in card and "intern (udvikling)" in card and "genkalibreret (logistisk)" in card
    assert f"<td class=\"num\">{auroc} [" in card
    assert f"opspor risk validate-external --train-region REGION --kind boosted" in card
    text = cli("risk", "card", "--model", boosted).stdout
    assert "## Beslutninger: nettogevinst ved kapacitetstærsklen" in text and f"| {nb} |" in text
    assert "## Ekstern validering" in text and f"| {auroc} [" in text
    from tests.support import pdf_text

    assert f'href="/risikomodeller/{boosted}/kort.pdf"' in card
    response = client.get(f"/risikomodeller/{boosted}/kort.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = " ".join(pdf_text(response.content).split())
    assert "Beslutninger: nettogevinst ved kapacitetstærsklen" in pdf and nb in pdf and "(ingen effekt)" in pdf
    assert "Ekstern validering" in pdf and f"{auroc} [" in pdf and "genkalibreret (logistisk)" in pdf
    cli("risk", "card", "--model", boosted, "--lang", "en", "--out", tmp_path / "card.pdf")
    pdf = " ".join(pdf_text((tmp_path / "card.pdf").read_bytes()).split())
    assert "Decisions: net benefit at the capacity threshold" in pdf and "recalibrated in the large" in pdf
    assert f"{d['strategies']['model']['net_benefit']:.4f}" in pdf
    login(people["nurse"])
    assert client.get(f"/risikomodeller/{boosted}/kort.pdf").status_code == 403
    login(people["lead"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    card = client.get(f"/risikomodeller/{boosted}/").content.decode()
    assert "Decisions: net benefit at the capacity threshold" in card and f"{d['strategies']['model']['net_benefit']:.4f}" in card
    assert "∞ (no effect)" in card and "recalibrated in the large" in card
