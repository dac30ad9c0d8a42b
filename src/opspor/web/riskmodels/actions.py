"""The governance steps from the web app: each writes its audit entry and the decision log in
one transaction (the log line is written last inside it, under the decision log's lock, so a
refused step leaves neither). Cards hold no person data, so reading them is not audited."""

from __future__ import annotations

from django.db import transaction

from opspor.risk import governance
from opspor.web.audit import actions as audit

EVENTS = {
    "propose": audit.Event.RISK_MODEL_PROPOSE,
    "approve": audit.Event.RISK_MODEL_APPROVE,
    "select": audit.Event.RISK_MODEL_SELECT,
    "rollback": audit.Event.RISK_MODEL_ROLLBACK,
}
WHY = {
    "propose": "Risikomodel foreslået til brug",
    "approve": "Risikomodel godkendt til brug",
    "select": "Risikomodel taget i brug",
    "rollback": "Tilbage til den forrige risikomodel",
}


def actor(user) -> governance.Actor:
    organisation = user.organisation
    return governance.Actor(username=user.get_username(), name=user.get_full_name() or user.get_username(),
                            role=user.role, organisation_kind=organisation.kind if organisation else "",
                            organisation=str(organisation) if organisation else "")


@transaction.atomic
def do(request, step: str, model_id: str | None, note: str) -> dict:
    """Run ``step`` (propose, approve, select; rollback without a model id) as the signed-in user.
    Raises governance.GovernanceError (refused: nothing written) or registry errors."""
    who = actor(request.user)
    if step == "rollback":
        target = governance.rollback_target()
        audit.record(request, EVENTS[step], action=audit.CHANGE, why=WHY[step],
                     detail={"model_id": target, "from": governance.registry.selected(), "note": note})
        return governance.rollback(who, note)
    audit.record(request, EVENTS[step], action=audit.CHANGE, why=WHY[step],
                 detail={"model_id": model_id, "note": note})
    return {"propose": governance.propose, "approve": governance.approve, "select": governance.select}[step](
        model_id, who, note)
