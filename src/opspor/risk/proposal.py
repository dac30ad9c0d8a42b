"""Which approved model the system proposes for a region (issue 17 item 1): the programme lead
sees the proposal with its reason on the risk models' page and accepts it with the ordinary,
audited select step (opspor.risk.governance), or leaves it.

The proposal is, among the models with a recorded approval, the one with the highest AUROC on
the region's own persons on its temporal test date (the training run's evaluation by region,
``evaluation.json``); ties go to the newer model. A model without figures for the region (no
person of the region in its test set) is not proposed. The models' test dates may differ; the
reason names each figure's date and population so that the lead can weigh it.
"""

from __future__ import annotations

import math

from opspor.i18n import decimal, figure
from opspor.risk import governance, jobs, registry
from opspor.risk.texts import t


def propose(region: str, entries: list[dict] | None = None) -> dict | None:
    """The proposal for ``region`` as data (model, figures, how many were compared), or None
    when no approved model has figures for the region."""
    entries = governance.decisions() if entries is None else entries
    candidates = []
    for record in registry.list_models():
        state = governance.state(record["model_id"], entries)
        if state.approved is None:
            continue
        try:
            run = jobs.training_record(record["training_id"])
        except registry.RegistryError:
            continue
        group = run["evaluation"]["groups"].get("region", {}).get(region)
        m = (group or {}).get("scores", {}).get(record["kind"])
        if m is None or m.get("auroc") is None or math.isnan(m["auroc"]):
            continue
        candidates.append({"model_id": record["model_id"], "kind": record["kind"], "label": record.get("label", {}),
                           "created_at": record.get("created_at", ""), "in_use": state.in_use,
                           "test_as_of": record.get("metrics", {}).get("test_as_of")
                           or run["training"]["schedule"]["test_as_of"],
                           "persons": group["persons"], "positives": group["positives"], "auroc": m["auroc"],
                           "auroc_ci": m["auroc_ci"], "calibration_slope": m.get("calibration_slope")})
    if not candidates:
        return None
    best = max(candidates, key=lambda c: (c["auroc"], c["created_at"]))
    return {**best, "region": region, "compared": len(candidates)}


def reason(p: dict | None, region_name: str, lang: str) -> str:
    """The proposal's reason in one sentence in ``lang`` (numbers in its format)."""
    if p is None:
        return t("proposal_none", lang, region=region_name)
    text = t("proposal_reason", lang, region=region_name, label=p["label"].get(lang, p["kind"]), model=p["model_id"],
             n=p["compared"], date=p["test_as_of"], auroc=decimal(p["auroc"], 3, lang),
             low=decimal(p["auroc_ci"][0], 3, lang), high=decimal(p["auroc_ci"][1], 3, lang),
             persons=decimal(p["persons"], 0, lang), positives=decimal(p["positives"], 0, lang),
             slope=figure(p["calibration_slope"], 2, lang))
    return text + (" " + t("proposal_in_use", lang) if p["in_use"] else "")
