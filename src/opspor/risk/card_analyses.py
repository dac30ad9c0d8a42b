"""The model card's decision and external-validation figures, formatted for ``lang``: the net
benefit at the capacity threshold and the number needed to invite stored by ``opspor risk
decision`` beside the model, and the newest external validation of the model's kind stored by
``opspor risk validate-external`` (which develops its own models of that kind region by region,
so it speaks for the kind and its configuration, not for this one fitted model). Each part says
the command that makes it when it is missing. Figures only, no person."""

from __future__ import annotations

from opspor.i18n import estimate, figure, percent
from opspor.risk import registry
from opspor.risk.texts import t

STRATEGIES = ("model", "admissions_count", "everybody")


def _estimate(f: dict | None, key: str, digits: int, lang: str) -> str:
    """``key``'s estimate of an external validation's figures ``f`` with its ``_low``/``_high``."""
    f = f or {}
    return estimate(f.get(key), f.get(key + "_low"), f.get(key + "_high"), digits, lang)


def _nni(value, lang: str) -> str:
    return t("card_nni_infinite", lang) if value is None else figure(value, 0, lang)


def decision(model_id: str, lang: str) -> dict:
    """The stored decision analysis of ``model_id`` as text and rows, or the command to make it."""
    command = f"opspor risk decision --model {model_id} --capacity REGION=N"
    d = registry.analysis(model_id, "decision")
    if d is None:
        return {"stored": False, "title": t("card_decision_title", lang),
                "text": t("card_decision_missing", lang, command=command), "command": command}
    rows = [[t(f"strategy_{name}", lang), figure(s["invited"], 0, lang), figure(s["admitted"], 0, lang),
             percent(s["ppv"], lang), percent(s["sensitivity"], lang), figure(s["net_benefit"], 4, lang),
             figure(1000 * s["net_benefit"], 1, lang)] for name, s in ((k, d["strategies"][k]) for k in STRATEGIES)]
    nni = [[e.get(f"label_{lang}") or name, figure(e["rate_ratio"], 2, lang),
            *(_nni(e[k], lang) for k in STRATEGIES)] for name, e in d["number_needed_to_invite"].items()]
    capacity = ", ".join(f"{r} {figure(v['capacity'], 0, lang)}" for r, v in d["by_region"].items())
    text = t("card_decision", lang, date=d["as_of"], eligible=figure(d["eligible"], 0, lang),
             admitted=figure(d["admitted"], 0, lang), capacity=capacity, threshold=figure(d["threshold"], 3, lang),
             uptake=figure(d["uptake"], 2, lang))
    return {"stored": True, "title": t("card_decision_title", lang), "nni_title": t("card_nni_title", lang),
            "text": text, "rows": rows, "nni": nni, "command": command,
            "cols": [t(k, lang) for k in ("card_strategy", "card_invited", "card_admitted", "ppv", "sensitivity",
                                          "card_net_benefit", "card_per_1000")],
            "nni_cols": [t(k, lang) for k in ("card_reference", "card_rate_ratio", "strategy_model",
                                              "strategy_admissions_count", "strategy_everybody")]}


def _newest_external(kind: str) -> dict | None:
    folder = registry.risk_dir() / "external"
    records = [registry.read_json(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    records = [r for r in records if r.get("kind") == kind]
    return max(records, key=lambda r: r["created_at"]) if records else None


def external(kind: str, lang: str) -> dict:
    """The newest external validation of ``kind`` as text and rows, or the command to make it."""
    command = f"opspor risk validate-external --train-region REGION --kind {kind}"
    r = _newest_external(kind)
    if r is None:
        return {"stored": False, "title": t("card_external_title", lang),
                "text": t("card_external_missing", lang, command=command), "command": command}
    rows = []
    for region in r["regions"]:
        first = t("card_internal" if region["role"] == "development" else "card_as_developed", lang)
        for name, label in (("as_developed", first), ("in_the_large", t("card_recal_large", lang)),
                            ("logistic", t("card_recal_logistic", lang))):
            if name not in region:
                continue
            f = region[name]
            rows.append([region["region"] if name == "as_developed" else "", label,
                         figure((f or {}).get("persons"), 0, lang), figure((f or {}).get("observed"), 0, lang),
                         _estimate(f, "auroc", 3, lang), _estimate(f, "ratio", 2, lang), _estimate(f, "slope", 2, lang)])
    text = t("card_external", lang, run=r["run_id"], created=r["created_at"][:10], region=r["train_region"],
             date=r["schedule"]["test_as_of"], refit=r["schedule"]["train_as_of"][-1])
    return {"stored": True, "title": t("card_external_title", lang), "text": text, "rows": rows, "command": command,
            "cols": [t(k, lang) for k in ("card_region", "card_validation", "persons", "card_admitted")]
            + ["AUROC", "O/E", t("cal_slope", lang)]}
