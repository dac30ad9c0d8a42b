"""The REST endpoint for devices and systems: ``POST /telemonitorering/fhir/``.

Body: one FHIR R4 Observation or a Bundle of them (``application/fhir+json``), or NDJSON
(``application/fhir+ndjson``). Authentication: ``Authorization: Bearer <token>``, a sender token
(``opspor telemonitoring token``) kept as its SHA-256 only; no session, so no CSRF token. Answers
are FHIR OperationOutcomes: 200 with the counts; 400 with one issue per problem (``expression``
the element, ``diagnostics`` the problem and the fix, ``location`` the entry or line); 401
without a valid token; 413 above the size limit; 422 for a patient opspor does not know.
Nothing is stored unless everything is valid.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opspor.telemonitoring import kinds, observations
from opspor.web.audit import actions as audit
from opspor.web.telemonitoring import actions
from opspor.web.telemonitoring.models import Source

NDJSON = "application/fhir+ndjson"


def _outcome(status: int, issues: list[dict], **headers) -> HttpResponse:
    response = HttpResponse(json.dumps({"resourceType": "OperationOutcome", "issue": issues}, ensure_ascii=False),
                            status=status, content_type="application/fhir+json; charset=utf-8")
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def _problem(status: int, code: str, text: str, **headers) -> HttpResponse:
    return _outcome(status, [{"severity": "error", "code": code, "diagnostics": text}], **headers)


def _invalid(status: int, exc: observations.Invalid) -> HttpResponse:
    return _outcome(status, [{"severity": "error", "code": "invalid" if status == 400 else "not-found",
                              "diagnostics": f"{e.problem}. Fix: {e.fix}", "expression": [e.element],
                              "location": [e.where]} for e in exc.errors])


@csrf_exempt
@login_not_required
@require_POST
def receive(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    sender = actions.sender_of(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if sender is None:
        return _problem(401, "login", "a valid sender token is required. Fix: send the header "
                        "'Authorization: Bearer <token>' with a token made by `opspor telemonitoring token`",
                        WWW_Authenticate='Bearer realm="opspor telemonitoring"')
    try:
        body = request.body
    except RequestDataTooBig:
        return _problem(413, "too-costly", "the request is larger than the limit. Fix: send smaller Bundles, "
                        "or import large files with `opspor telemonitoring import`")
    catalogue = kinds.shipped()
    try:
        if request.content_type == NDJSON:
            chunks = observations.read_lines(catalogue, body.splitlines())
        else:
            chunks = [observations.read_body(catalogue, body)]
        summary = actions.store(audit.system(f"sender {sender.name}"), chunks, source=Source.API,
                                sender=sender.name, catalogue_version=catalogue.version)
    except observations.Invalid as exc:
        unknown_patient = all(e.element == "Observation.subject.identifier.value" and e.where == "subject"
                              for e in exc.errors)
        return _invalid(422 if unknown_patient else 400, exc)
    text = (f"{summary.received} received, {summary.stored} stored ({summary.new_versions} new versions), "
            f"{summary.duplicates} already stored; {summary.alarms} alarms")
    return _outcome(200, [{"severity": "information", "code": "informational", "diagnostics": text}],
                    X_Opspor_Stored=str(summary.stored), X_Opspor_Duplicates=str(summary.duplicates), X_Opspor_Alarms=str(summary.alarms))
