"""The receiving endpoint for MedCom messages: ``POST /meddelelser/modtag/fhir/``.

Body: one FHIR message Bundle (``application/fhir+json``): a MedCom Acknowledgement of a message
opspor sent, or a reply (CareCommunication) to one. Authentication: ``Authorization: Bearer
<token>``, a sender token of the MedCom channel (``opspor messages token``; the same hashed
tokens as the telemonitoring endpoint, ``telemonitoring.SenderToken``, but a token opens only its
own channel's endpoint). The message must come from the token's organisation (its SOR code in
the address book). No session, so no CSRF token.

Answers: 200 with opspor's Acknowledgement (code ok) for a reply, or an OperationOutcome for an
acknowledgement; a repeat of a message already accepted gets the same answer and changes
nothing (``X-Opspor-Status: duplicate``). Refused: 400 malformed, 403 not from the token's
sender, 422 about a message opspor did not send to the sender; an OperationOutcome with one
issue per problem (``expression`` the element, ``diagnostics`` the problem and the fix), and
the refusal is recorded. 401 without a valid token, 413 above the size limit.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opspor.web.acute import by_message
from opspor.web.messaging import actions
from opspor.web.messaging.models import InboundMessage
from opspor.web.telemonitoring import actions as tokens
from opspor.web.telemonitoring.models import SenderToken


def _fhir(status: int, document: dict, **headers) -> HttpResponse:
    response = HttpResponse(json.dumps(document, ensure_ascii=False), status=status,
                            content_type="application/fhir+json; charset=utf-8")
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def _outcome(status: int, issues: list[dict], **headers) -> HttpResponse:
    return _fhir(status, {"resourceType": "OperationOutcome", "issue": issues}, **headers)


@csrf_exempt
@login_not_required
@require_POST
def receive(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    sender = (tokens.sender_of(token.strip(), SenderToken.Channel.MEDCOM)
              if scheme.lower() == "bearer" and token.strip() else None)
    if sender is None:
        return _outcome(401, [{"severity": "error", "code": "login", "diagnostics":
                               "a valid sender token is required. Fix: send the header 'Authorization: Bearer "
                               "<token>' with a token made by `opspor messages token`"}],
                        WWW_Authenticate='Bearer realm="opspor messages"')
    try:
        body = request.body
    except RequestDataTooBig:
        return _outcome(413, [{"severity": "error", "code": "too-costly",
                               "diagnostics": "the message is larger than the limit. Fix: send it as a file"}])
    receipt = actions.receive(body, channel=InboundMessage.Channel.HTTP, via=f"token {sender.name}",
                              referrals=by_message.refer,
                              sender_org=sender.organisation)
    if receipt.status == "refused":
        return _outcome(receipt.http_status, [
            {"severity": "error", "code": "invalid" if receipt.http_status == 400 else "processing",
             "diagnostics": f"{p.problem}. Fix: {p.fix}", "expression": [p.element]} for p in receipt.problems],
            X_Opspor_Status="refused")
    ack = receipt.acknowledgement()
    if ack is not None:
        return _fhir(200, ack, X_Opspor_Status=receipt.status)
    text = "received" if receipt.status == "accepted" else "already received: nothing changed"
    return _outcome(200, [{"severity": "information", "code": "informational", "diagnostics": text}],
                    X_Opspor_Status=receipt.status)
