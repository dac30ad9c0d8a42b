"""The model card of a registered model: intended use, data, period, performance, fairness,
limits and who proposed, approved and selected it.

:func:`card` gathers it from the model's record (opspor.risk.registry), its training run's
``evaluation.json`` (opspor.risk.jobs), the decision log (opspor.risk.governance) and the fixed
texts of ``governance.yaml``; :func:`markdown` writes it as a file (``opspor risk card``); the
web app shows the same data (opspor.web.riskmodels). It holds figures only, no person data.
"""

from __future__ import annotations

import math

from opspor.i18n import estimate, figure, percent
from opspor.risk import card_analyses, fairness, governance, jobs, registry
from opspor.risk.texts import t

GROUPINGS = ("sex", "age_band", "region")


def _clean(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def _group_rows(groups: dict, kind: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for grouping in GROUPINGS:
        rows = []
        for label, g in groups.get(grouping, {}).items():
            m = g["scores"].get(kind)
            if m is None:
                continue
            rows.append({"label": label, "persons": g["persons"], "positives": g["positives"],
                         "observed": g["positives"] / g["persons"] if g["persons"] else None,
                         "predicted": _clean(m["mean_predicted"]), "auroc": _clean(m["auroc"]),
                         "auroc_ci": [_clean(v) for v in m["auroc_ci"]],
                         "calibration_intercept": _clean(m["calibration_intercept"])})
        if rows:
            out[grouping] = rows
    return out


def _capacity_fairness(record: dict | None) -> dict | None:
    """The judgement of ``opspor risk fairness`` (opspor.risk.fairness), when one is stored."""
    if record is None:
        return None
    rows = [r for rows in record["groups"].values() for r in rows.values()]
    return {"as_of": record["as_of"], "capacity": record.get("capacity", {}),
            "judged": sum(r["judgement"] != "too_small" for r in rows),
            "too_small": sum(r["judgement"] == "too_small" for r in rows), "flagged": record["flagged"],
            "flagged_groups": record.get("flagged_groups")}


def _flagged(cf: dict, lang: str) -> str:
    """The flagged groups with their reasons in ``lang``; a record made before the reasons were
    kept as data (no ``flagged_groups``) has its English words."""
    if cf["flagged_groups"] is None:
        return "; ".join(cf["flagged"])
    return "; ".join(f"{t('group_' + g['grouping'], lang)} {g['label']}: {fairness.reason_text(g['reasons'], lang)}"
                     for g in cf["flagged_groups"])


def card(model_id: str, lang: str = "da", policy: governance.Policy | None = None) -> dict:
    """Everything the card shows, as data."""
    policy = policy or governance.load_policy()
    record = registry.model_record(model_id)
    try:
        run = jobs.training_record(record["training_id"])
    except registry.RegistryError:
        run = None
    kind = record["kind"]
    training = record["training"]
    m = record.get("metrics", {})
    entries = governance.decisions()
    now = governance.state(model_id, entries)
    out = {
        "model_id": model_id,
        "kind": kind,
        "label": record.get("label", {}).get(lang, kind),
        "created_at": record.get("created_at"),
        "training_id": record["training_id"],
        "intended_use": policy.intended_use[lang],
        "limits": [limit[lang] for limit in policy.limits],
        "data": {
            "snapshot_id": record.get("snapshot_id"),
            "data_first_day": training.get("data_first_day"),
            "data_end": training.get("data_end"),
            "train_as_of": training["schedule"]["train_as_of"],
            "test_as_of": training["schedule"]["test_as_of"],
            "horizon_days": training["schedule"]["horizon_days"],
            "rows": training.get("rows"),
            "positives": training.get("positives"),
            "test_persons": m.get("persons"),
            "test_positives": m.get("positives"),
            "calibration_method": training.get("calibration_method"),
        },
        "performance": {
            "auroc": _clean(m.get("auroc")), "auroc_ci": [_clean(v) for v in m.get("auroc_ci", [None, None])],
            "auprc": _clean(m.get("auprc")), "brier": _clean(m.get("brier")),
            "calibration_slope": _clean(m.get("calibration_slope")),
            "calibration_intercept": _clean(m.get("calibration_intercept")),
            "top": m.get("top", []),
        },
        "fairness": _group_rows(run["evaluation"]["groups"], kind) if run else {},
        "capacity_fairness": _capacity_fairness(registry.analysis(model_id, "fairness")),
        "truth_auroc": (run or {}).get("headline", {}).get("truth_auroc"),
        "config": {k: f"{v['file']} v{v['version']}" for k, v in record.get("config", {}).items()},
        "code_version": record.get("code_version", {}),
        "proposed": now.proposed,
        "approved": now.approved,
        "in_use": now.in_use,
        "history": [e for e in entries if e["model_id"] == model_id],
        "policy_version": policy.version,
    }
    out["capacity_fairness_text"] = _capacity_fairness_text(out["capacity_fairness"], lang)
    out["decision"] = card_analyses.decision(model_id, lang)
    out["external"] = card_analyses.external(kind, lang)
    return out


def _table(cols: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            + ["| " + " | ".join(r) + " |" for r in rows])


def _capacity_fairness_text(cf: dict | None, lang: str) -> str:
    """The judgement at the capacity threshold in one sentence (card page and file)."""
    if cf is None:
        return t("card_capacity_fairness_missing", lang)
    return t("card_capacity_fairness", lang, date=cf["as_of"],
             capacity=", ".join(f"{r} {figure(n, 0, lang)}" for r, n in cf["capacity"].items()),
             judged=cf["judged"], small=cf["too_small"],
             flagged=_flagged(cf, lang) or t("card_flagged_none", lang))


def _who(entry: dict | None, lang: str) -> str:
    if entry is None:
        return t("card_none", lang)
    note = f" — {entry['note']}" if entry.get("note") else ""
    return f"{entry['name'] or entry['username']} ({entry['role']}, {entry['organisation'] or '–'}), {entry['at']}{note}"


def markdown(c: dict, lang: str = "da") -> str:
    """The card as a Markdown file."""
    d, p = c["data"], c["performance"]
    lines = [f"# {t('card_title', lang)}: {c['label']} {c['model_id']}", "",
             f"## {t('card_intended_use', lang)}", "", c["intended_use"], "",
             f"## {t('card_data', lang)}", "",
             f"- {t('snapshot', lang)}: {d['snapshot_id']}",
             f"- {t('data_period', lang)}: {d['data_first_day']} – {d['data_end']}",
             f"- {t('train_dates', lang)}: {', '.join(d['train_as_of'])}",
             f"- {t('test_date', lang)}: {d['test_as_of']}",
             f"- {t('card_horizon', lang, days=d['horizon_days'])}",
             f"- {t('rows', lang)}: {figure(d['rows'], 0, lang)}",
             f"- {t('test_population', lang)}: {figure(d['test_persons'], 0, lang)} "
             f"({figure(d['test_positives'], 0, lang)} {t('positives', lang)})",
             f"- {t('calibration_method', lang)}: {d['calibration_method']}", "",
             f"## {t('card_performance', lang)}", "",
             f"- AUROC {estimate(p['auroc'], *p['auroc_ci'], 3, lang)}" + (
                 f" ({t('card_truth', lang, auroc=figure(c['truth_auroc'], 3, lang))})" if c["truth_auroc"] else ""),
             f"- AUPRC {figure(p['auprc'], 3, lang)}; Brier {figure(p['brier'], 4, lang)}",
             f"- {t('cal_slope', lang)} {figure(p['calibration_slope'], 3, lang)}; "
             f"{t('cal_intercept', lang)} {figure(p['calibration_intercept'], 3, lang)}"]
    for top in p["top"]:
        lines.append(f"- {t('top', lang, share=percent(top['share'], lang, 0))}: {t('sensitivity', lang)} "
                     f"{percent(top['sensitivity'], lang)}, {t('ppv', lang)} {percent(top['ppv'], lang)}")
    lines += ["", f"## {t('card_fairness', lang)}", "",
              f"| {t('card_group', lang)} | {t('persons', lang)} | {t('observed', lang)} | {t('predicted', lang)} "
              "| AUROC |", "|---|---:|---:|---:|---:|"]
    for grouping, rows in c["fairness"].items():
        for r in rows:
            lines.append(f"| {grouping} {r['label']} | {figure(r['persons'], 0, lang)} | "
                         f"{percent(r['observed'], lang, 2)} | {percent(r['predicted'], lang, 2)} | "
                         f"{estimate(r['auroc'], *r['auroc_ci'], 3, lang)} |")
    lines += ["", c["capacity_fairness_text"]]
    d, x = c["decision"], c["external"]
    lines += ["", f"## {t('card_decision_title', lang)}", "", d["text"]]
    if d["stored"]:
        lines += ["", *_table(d["cols"], d["rows"]), "", f"### {t('card_nni_title', lang)}", "",
                  *_table(d["nni_cols"], d["nni"]), "", f"`{d['command']}`"]
    lines += ["", f"## {t('card_external_title', lang)}", "", x["text"]]
    if x["stored"]:
        lines += ["", *_table(x["cols"], x["rows"]), "", f"`{x['command']}`"]
    lines += ["", f"## {t('card_limits', lang)}", ""] + [f"- {limit}" for limit in c["limits"]]
    lines += ["", f"## {t('card_governance', lang)}", "",
              f"- {t('card_proposed', lang)}: {_who(c['proposed'], lang)}",
              f"- {t('card_approved', lang)}: {_who(c['approved'], lang)}",
              f"- {t('card_in_use', lang)}: {t('card_yes' if c['in_use'] else 'card_no', lang)}", ""]
    lines.append(f"{t('configuration', lang)}: {'; '.join(c['config'].values())}; "
                 f"governance.yaml v{c['policy_version']}. {t('no_cpr', lang)}")
    return "\n".join(lines) + "\n"
