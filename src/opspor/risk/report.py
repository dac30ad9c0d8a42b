"""The evaluation report: one self-contained HTML file with the plots embedded as PNG (base64).

``render(record, lang)`` turns a training run's ``evaluation.json`` record into HTML, so
``opspor risk report`` can re-make the report (e.g. in English) without re-training. The
report holds figures only: no CPR number, no person key.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from opspor.i18n import figure, number, percent
from opspor.risk.texts import t

COLORS = {"boosted": "#1b6ca8", "logistic": "#e08a1e", "truth": "#4a9c4a"}
ORDER = ("boosted", "logistic", "truth")
GROUPINGS = (("region", "by_region"), ("sex", "by_sex"), ("age_band", "by_age_band"))


def _png(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _names(record: dict) -> list[str]:
    present = record["evaluation"]["overall"]
    return [n for n in ORDER if n in present]


def _int(value: int, lang: str) -> str:
    return number(f"{value:,}", lang)


def _ci(low, high, lang: str) -> str:
    return f"[{figure(low, 3, lang)}; {figure(high, 3, lang)}]"


def _share(share: float, lang: str) -> str:
    return percent(share, lang, 0 if share * 100 == int(share * 100) else 1)


def _plots(record: dict, lang: str) -> list[str]:
    overall = record["evaluation"]["overall"]
    names = _names(record)
    out = []
    fig = Figure(figsize=(4.6, 4.2))
    ax = fig.add_subplot()
    for n in names:
        c = overall[n]["roc_curve"]
        ax.plot(c["fpr"], c["tpr"], color=COLORS[n], label=f"{t(n, lang)} ({figure(overall[n]['auroc'], 3, lang)})")
    ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls=":")
    ax.set(xlabel=t("fpr", lang), ylabel=t("tpr", lang), title=t("roc", lang))
    ax.legend(loc="lower right", fontsize=8)
    out.append(_png(fig))

    fig = Figure(figsize=(4.6, 4.2))
    ax = fig.add_subplot()
    for n in names:
        c = overall[n]["pr_curve"]
        ax.plot(c["recall"], c["precision"], color=COLORS[n],
                label=f"{t(n, lang)} ({figure(overall[n]['auprc'], 3, lang)})")
    ax.axhline(record["evaluation"]["prevalence"], color="#999", lw=0.8, ls=":")
    ax.set(xlabel=t("recall", lang), ylabel=t("precision", lang), title=t("pr", lang), ylim=(0, 1))
    ax.legend(loc="upper right", fontsize=8)
    out.append(_png(fig))

    fig = Figure(figsize=(4.6, 4.2))
    ax = fig.add_subplot()
    top = 0.0
    for n in names:
        curve = overall[n]["calibration_curve"]
        xs = [b["predicted"] for b in curve]
        ys = [b["observed"] for b in curve]
        top = max(top, *xs, *ys)
        ax.plot(xs, ys, marker="o", ms=3, color=COLORS[n], label=t(n, lang))
    ax.plot([0, top], [0, top], color="#999", lw=0.8, ls=":")
    ax.set(xlabel=t("predicted", lang), ylabel=t("observed", lang), title=t("calibration", lang))
    ax.legend(loc="upper left", fontsize=8)
    out.append(_png(fig))

    labels, rows = [], []
    for grouping, _ in GROUPINGS:
        for label, g in record["evaluation"]["groups"].get(grouping, {}).items():
            labels.append(_group_label(grouping, label, lang))
            rows.append(g["scores"])
    if labels:
        fig = Figure(figsize=(6.0, 0.28 * len(labels) + 1.0))
        ax = fig.add_subplot()
        for k, n in enumerate(names):
            ys = [i + (k - (len(names) - 1) / 2) * 0.22 for i in range(len(labels))]
            xs = [r[n]["auroc"] for r in rows]
            lo = [r[n]["auroc"] - r[n]["auroc_ci"][0] if not math.isnan(r[n]["auroc_ci"][0]) else 0 for r in rows]
            hi = [r[n]["auroc_ci"][1] - r[n]["auroc"] if not math.isnan(r[n]["auroc_ci"][1]) else 0 for r in rows]
            ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", ms=3, color=COLORS[n], label=t(n, lang), lw=1)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set(xlabel="AUROC", title=t("auroc_by_group", lang))
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        out.append(_png(fig))
    return out


def _group_label(grouping: str, label: str, lang: str) -> str:
    if grouping == "sex":
        return {"M": t("male", lang), "F": t("female", lang)}.get(label, t("unknown", lang))
    if label == "unknown":
        return t("unknown", lang)
    return label


def _metrics_table(rows: list[tuple[str, dict]], shares: list[float], lang: str, ci: bool = True) -> str:
    head = [t("score", lang), t("auroc", lang), t("auprc", lang), t("brier", lang), t("mean_predicted", lang),
            t("cal_intercept", lang), t("cal_slope", lang)]
    for s in shares:
        share = _share(s, lang)
        head += [f"{t('top', lang, share=share)}: {t('flagged', lang)}", t("sensitivity", lang), t("ppv", lang)]
    out = ["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for label, m in rows:
        cells = [html.escape(label)]
        cells.append(figure(m["auroc"], 3, lang) + (f"<br><small>{_ci(*m['auroc_ci'], lang)}</small>" if ci else ""))
        cells.append(figure(m["auprc"], 3, lang) + (f"<br><small>{_ci(*m['auprc_ci'], lang)}</small>" if ci else ""))
        cells.append(figure(m["brier"], 4, lang))
        cells.append(percent(m["mean_predicted"], lang, 2))
        cells.append(figure(m["calibration_intercept"], 3, lang))
        slope = m["calibration_slope"]
        se = m["calibration_slope_se"]
        cells.append(figure(slope, 3, lang) + (
            f"<br><small>{_ci(slope - 1.96 * se, slope + 1.96 * se, lang)}</small>" if ci and not math.isnan(se) else ""))
        for top in m["top"]:
            cells += [_int(top["flagged"], lang), percent(top["sensitivity"], lang), percent(top["ppv"], lang)]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def headline(record: dict) -> dict:
    """The done-when figures: boosted AUROC against the truth's, and the calibration slope."""
    overall = record["evaluation"]["overall"]
    out = {"boosted_auroc": overall.get("boosted", {}).get("auroc"),
           "logistic_auroc": overall.get("logistic", {}).get("auroc"),
           "boosted_calibration_slope": overall.get("boosted", {}).get("calibration_slope"),
           "boosted_calibration_intercept": overall.get("boosted", {}).get("calibration_intercept")}
    if "truth" in overall:
        out["truth_auroc"] = overall["truth"]["auroc"]
        out["ratio"] = out["boosted_auroc"] / out["truth_auroc"] if out["boosted_auroc"] else None
        out["ratio_met"] = bool(out["ratio"] is not None and out["ratio"] >= 0.95)
    slope = out["boosted_calibration_slope"]
    out["slope_met"] = bool(slope is not None and 0.9 <= slope <= 1.1)
    return out


def render(record: dict, lang: str = "da") -> str:
    ev = record["evaluation"]
    meta = record["training"]
    shares = [top["share"] for top in next(iter(ev["overall"].values()))["top"]]
    names = _names(record)
    head = headline(record)
    oc = record["config"]["outcome"]
    key = "outcome_text" if oc["deaths"] == "competing_risk" else "outcome_text_exclude"
    setup = [
        (t("training_id", lang), record["training_id"]),
        (t("snapshot", lang), meta["snapshot_id"]),
        (t("data_period", lang), f"{meta['data_first_day']} – {meta['data_end']}"),
        (t("train_dates", lang), ", ".join(meta["schedule"]["train_as_of"])),
        (t("test_date", lang), meta["schedule"]["test_as_of"]),
        (t("outcome", lang), t(key, lang, hours=oc["admission_hours"], days=oc["horizon_days"],
                                 horizon=oc["horizon"])),
        (t("rows", lang), f"{_int(meta['rows'], lang)} ({_int(meta['positives'], lang)} {t('positives', lang)})"),
        (t("calibration_method", lang), t("calibration_text", lang, method=meta["calibration_method"],
                                          share=meta["persons_calibration_share"])),
        (t("test_population", lang), t("persons_positives", lang, persons=_int(ev["persons"], lang),
                                       date=meta["schedule"]["test_as_of"], positives=_int(ev["positives"], lang),
                                       prevalence=percent(ev["prevalence"], lang, 2))),
        (t("configuration", lang), "; ".join(
            f"{v['file']} v{v['version']} ({v['sha256'][:10]})" for v in record["config"].values())),
        (t("code_version", lang), (f"opspor {record['code_version']['opspor']}, risk "
                                  f"{record['code_version']['risk_source_sha256'][:12]}, scikit-learn "
                                  f"{record['code_version']['scikit_learn']}")),
        (t("model_ids", lang), "; ".join(
            f"{t(k, lang)}: {m['model_id']}" + (f" ({t('selected', lang)})" if m.get("selected") else "")
            + (f", {m['n_iter']} {t('iterations', lang)}" if m.get("n_iter") else "")
            + f", {t('fit_seconds', lang, s=m['fit_seconds'])}"
            for k, m in record["models"].items())),
    ]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(t("title", lang))}</title>',
        ("<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.85em}"
        "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}"
        "th:first-child,td:first-child{text-align:left}th{background:#f2f2f2}"
        ".setup td{text-align:left}.box{background:#f6f9fc;border-left:4px solid #1b6ca8;padding:.6em 1em}"
        "img{margin:.5em 1em .5em 0;vertical-align:top}small{color:#666}</style></head><body>"),
        f"<h1>{html.escape(t('title', lang))}</h1><p>{html.escape(t('subtitle', lang))}</p>",
        f"<h2>{html.escape(t('headline', lang))}</h2><div class=\"box\">",
    ]
    if "truth_auroc" in head:
        parts.append(f"<p>{html.escape(t('truth_note', lang, auroc=figure(head['truth_auroc'], 3, lang)))}</p>")
        parts.append("<p>" + html.escape(t(
            "ratio_note", lang, ratio=figure(head["ratio"], 3, lang),
            slope=figure(head["boosted_calibration_slope"], 3, lang),
            ok_ratio=t("met" if head["ratio_met"] else "not_met", lang),
            ok_slope=t("met" if head["slope_met"] else "not_met", lang))) + "</p>")
    else:
        parts.append(f"<p>{html.escape(t('no_truth', lang, why=record.get('truth', {}).get('why', '')))}</p>")
    parts.append("</div>")
    parts.append(f"<h2>{html.escape(t('overall', lang))}</h2>")
    parts.append(_metrics_table([(t(n, lang), ev["overall"][n]) for n in names], shares, lang))
    parts.extend(_plots(record, lang))
    for grouping, title in GROUPINGS:
        table = ev["groups"].get(grouping)
        if not table:
            continue
        parts.append(f"<h2>{html.escape(t(title, lang))}</h2>")
        for label, g in table.items():
            name = _group_label(grouping, label, lang)
            parts.append(f"<h3>{html.escape(name)} <small>({_int(g['persons'], lang)} {t('persons', lang)}, "
                         f"{_int(g['positives'], lang)} {t('positives', lang)})</small></h3>")
            parts.append(_metrics_table([(t(n, lang), g["scores"][n]) for n in names], shares, lang))
    parts.append(f"<h2>{html.escape(t('setup', lang))}</h2><table class=\"setup\"><tbody>")
    parts.extend(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in setup)
    parts.append("</tbody></table>")
    parts.append(f"<h2>{html.escape(t('definitions', lang))}</h2><p>"
                 + html.escape(t("def_text", lang, conf=record["evaluation_settings"]["confidence"],
                                 boot=record["evaluation_settings"]["bootstrap"])) + "</p>")
    when = record.get("created_at") or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts.append(f"<p><small>{html.escape(t('generated', lang, when=when, version=record['code_version']['opspor']))} "
                 f"{html.escape(t('no_cpr', lang))}</small></p></body></html>")
    return "\n".join(parts)
