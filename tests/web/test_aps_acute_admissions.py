"""The acute admissions shown beside an eligible person are the shared concept acute_admission
(rules/config/concepts.yaml), counted as the eligibility rule counts them: started in the period
last_year before the as-of date, their length counted up to the as-of date's 00:00."""

from __future__ import annotations

import datetime as dt

from opspor.engines import connect
from opspor.rules.concepts import shipped
from opspor.web.aps import publish

AS_OF = dt.date(2025, 3, 1)
T = dt.datetime(2025, 3, 1)
H, D = dt.timedelta(hours=1), dt.timedelta(days=1)


def test_acute_admissions_are_the_concept_without_look_ahead():
    year = shipped().days("last_year")
    hours = shipped().admission_hours
    p = "0101501234"
    contacts = [
        {"contact_id": "a", "cpr": p, "start": T - 10 * D, "end": T - 10 * D + hours * H},  # in
        {"contact_id": "b", "cpr": p, "start": T - 10 * D, "end": T - 10 * D + hours * H - H},  # short
        {"contact_id": "c", "cpr": p, "start": T - 10 * D, "end": T - 9 * D, "priority": "planned"},
        {"contact_id": "d", "cpr": p, "start": T - year * D, "end": T - year * D + 2 * D},  # first day
        {"contact_id": "e", "cpr": p, "start": T - year * D - H, "end": T - year * D + 2 * D},  # before
        {"contact_id": "f", "cpr": p, "start": T - 5 * H, "end": T + 2 * D},  # 5 h before T: not yet
        {"contact_id": "g", "cpr": p, "start": T, "end": T + 2 * D},  # on the as-of date: later
    ]
    with connect("duckdb:///:memory:") as con:
        con.populate({"persons": [{"cpr": p}], "contacts": contacts})
        assert publish.acute_admissions(con, [f"pk-{p}"], AS_OF) == {f"pk-{p}": 2}


def test_route_labels_state_the_rules_numbers(monkeypatch):
    """The labels of the eligibility routes are formatted from the rule (and its concepts), not
    typed: a changed age or count shows in the label."""
    from django.utils import translation

    from opspor.web.aps.templatetags import aps_tags

    with translation.override("da"):
        assert aps_tags.route_labels(["repeated_admissions", "elderly_preventable_or_readmission"]) == (
            "3+ akutte indlæggelser på 6 måneder; 65+ med forebyggelig indlæggelse eller genindlæggelse")
    monkeypatch.setattr(aps_tags, "_route_values", lambda: {
        "elderly_preventable_or_readmission": {"min_age": 67}})
    with translation.override("en"):
        assert aps_tags.route_label("elderly_preventable_or_readmission") == \
            "67+ with a preventable admission or readmission"
