"""The risk models' page (list with status and actions) and each model's card. Thin: the
registry, the card (opspor.risk.modelcard) and the governance steps (actions) do the work."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from opspor import reference
from opspor.risk import governance, modelcard, modelcard_pdf, proposal, registry
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.core import language
from opspor.web.riskmodels import actions

# who sees the page: the roles of the governance steps (governance.yaml), the administrator
# (who runs the system) and the auditor; the buttons follow the policy
READERS = (Role.PROGRAMME_LEAD, Role.DOCTOR, Role.ADMIN, Role.AUDITOR)
STEPS = ("propose", "approve", "select")
NOTE_MAX = 500
REFUSALS = {
    "not_approved": gettext_lazy("Not done: the model has no recorded approval and cannot be put in use. The programme "
                                 "lead proposes it, and a doctor of the region approves it; then put it in use."),
    "not_proposed": gettext_lazy("Not done: the model has not been proposed. The programme lead proposes it first."),
    "already_approved": gettext_lazy("Not done: the model is already approved."),
    "four_eyes": gettext_lazy("Not done: the one who proposed the model may not also approve it."),
    "in_use": gettext_lazy("Not done: the model is already in use."),
    "no_previous": gettext_lazy("Not done: there is no earlier model to go back to."),
}
STEP_LABELS = {"propose": gettext_lazy("proposed"), "approve": gettext_lazy("approved"),
               "select": gettext_lazy("put in use"), "rollback": gettext_lazy("rolled back to")}


def _policy() -> governance.Policy:
    policy = governance.load_policy()
    unknown = {role for step in governance.STEPS for role in policy.roles(step)} - set(Role.values)
    if unknown:
        raise governance.GovernanceError(f"{policy.file}: unknown role(s) {', '.join(sorted(unknown))}; "
                                         f"the roles are {', '.join(Role.values)}")
    return policy


@role_required(*READERS)
@require_GET
def models_list(request):
    policy = _policy()
    who = actions.actor(request.user)
    entries = governance.decisions()
    lang = language.current()
    rows = []
    for record in reversed(registry.list_models()):
        state = governance.state(record["model_id"], entries)
        rows.append({"record": record, "label": record.get("label", {}).get(lang, record["kind"]),
                     "metrics": record.get("metrics", {}), "state": state,
                     "may_propose": policy.allows(who, "propose") and state.proposed is None,
                     "may_approve": (policy.allows(who, "approve") and state.proposed is not None
                                     and state.approved is None),
                     "may_select": policy.allows(who, "select") and not state.in_use})
    target = governance.rollback_target(entries)
    return render(request, "riskmodels/list.html", {
        "proposal": _proposal(request.user.region_code, entries, lang, policy.allows(who, "select")),
        "rows": rows, "selected": registry.selected(), "rollback_target": target,
        "may_rollback": policy.allows(who, "rollback") and target is not None,
        "history": [{**e, "step_label": STEP_LABELS.get(e["step"], e["step"])} for e in reversed(entries[-20:])],
        "policy": policy,
    })


def _proposal(region: str, entries: list[dict], lang: str, may_select: bool) -> dict | None:
    """The model proposed for the viewer's region, its reason, and whether the viewer may accept it."""
    if not region:
        return None
    name = reference.region_name(region, lang)
    found = proposal.propose(region, entries)
    return {"found": found, "reason": proposal.reason(found, name, lang),
            "may_accept": may_select and found is not None and not found["in_use"]}


@role_required(*READERS)
@require_GET
def card(request, model_id: str):
    _known(model_id)
    lang = language.current()
    data = modelcard.card(model_id, lang, _policy())
    return render(request, "riskmodels/card.html", {"card": data})


@role_required(*READERS)
@require_GET
def card_pdf(request, model_id: str):
    """The card as PDF (opspor.risk.modelcard_pdf); figures only, as the page."""
    _known(model_id)
    lang = language.current()
    text = modelcard.markdown(modelcard.card(model_id, lang, _policy()), lang)
    with tempfile.TemporaryDirectory(prefix="opspor-modelcard-") as folder:
        body = modelcard_pdf.write(text, Path(folder) / "card.pdf", model_id).read_bytes()
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="modelkort-{model_id}.pdf"'
    return response


def _known(model_id: str) -> None:
    if not registry.is_id(model_id):
        raise Http404
    try:
        registry.model_record(model_id)
    except registry.RegistryError:
        raise Http404 from None


def _note(request) -> str:
    return request.POST.get("note", "").strip()[:NOTE_MAX]


def _run(request, step: str, model_id: str | None):
    if not _policy().allows(actions.actor(request.user), step):
        raise PermissionDenied
    try:
        actions.do(request, step, model_id, _note(request))
    except governance.GovernanceError as error:
        messages.error(request, REFUSALS.get(error.code) or _("Not done: %(error)s") % {"error": str(error)})
    except registry.RegistryError as error:  # a damaged model: the registry's message names the fix
        messages.error(request, _("Not done: %(error)s") % {"error": str(error)})
    else:
        messages.success(request, {
            "propose": _("Model %(id)s is proposed for use; a doctor of the region approves it."),
            "approve": _("Model %(id)s is approved; the programme lead can put it in use."),
            "select": _("Model %(id)s is in use."),
            "rollback": _("Back to the previous model %(id)s."),
        }[step] % {"id": model_id or registry.selected()})
    return redirect("riskmodels:list")


@role_required(*READERS)
@require_POST
def step(request, model_id: str, step: str):
    if step not in STEPS or not registry.is_id(model_id):
        raise Http404
    return _run(request, step, model_id)


@role_required(*READERS)
@require_POST
def rollback(request):
    return _run(request, "rollback", None)
