"""The monitoring report of the risk model as PDF (reportlab, A4), and the texts it shares with
the web page (:data:`GROUP_LABELS`, :func:`alert_text`). Figures and units only; no person."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from opspor import reference
from opspor.i18n import decimal, estimate, figure, translate_all, translator
from opspor.i18n import gettext_lazy as _
from opspor.risk import monitoring_charts as charts

GROUP_LABELS = {
    "region": _("Region"), "municipality": _("Municipality"), "gp_practice": _("GP practice"),
    "sex": _("Sex"), "age_band": _("Age band"), "residence": _("Residence type"),
}

TEXT = {
    "title": _("Risk model monitoring {month}"),
    "setup": _("Scores of {as_of} (model {model}, {kind}); outcome: {concept} within {days} days "
               "({start} to {end}); {persons} persons ({not_scored} in the data without a score). "
               "Limits: monitoring.yaml version {version}."),
    "alerts": _("Alerts"), "no_alerts": _("No limit was passed."),
    "overall": _("The whole population"),
    "oe_title": _("Observed against expected by {group}"),
    "oe_axis": _("observed / expected (log scale)"),
    "auroc_title": _("AUROC over time"),
    "auroc": _("AUROC (95 % CI)"), "training": _("On the model's test date"), "limit": _("Limit"),
    "drift_title": _("Feature drift: population stability index against the training data"),
    "cols_oe": (_("Unit"), _("Persons"), _("Observed"), _("Expected"), _("O/E [95 % CI]"),
                _("Calibration-in-the-large [95 % CI]"), _("Slope [95 % CI]")),
    "cols_auroc": (_("Month"), _("Persons"), _("Admitted"), _("AUROC [95 % CI]")),
    "cols_drift": (_("Feature"), _("PSI")),
    "a_oe_high": _("{group} {unit}: observed/expected {value} [{low}; {high}] lies above {limit} "
                   "({observed} admitted, {expected} expected)"),
    "a_oe_low": _("{group} {unit}: observed/expected {value} [{low}; {high}] lies below {limit} "
                  "({observed} admitted, {expected} expected)"),
    "a_slope": _("Calibration slope {value} [{low}; {high}] lies outside {limit}"),
    "a_auroc": _("AUROC {value} [{low}; {high}] is below {limit}"),
    "a_drift": _("Feature {unit}: population stability index {value} is above {limit}"),
}

_s = getSampleStyleSheet()
TITLE = ParagraphStyle("t", parent=_s["Title"], fontSize=15, leading=18, alignment=0, spaceAfter=4)
H = ParagraphStyle("h", parent=_s["Normal"], fontName="Helvetica-Bold", fontSize=10, leading=13, spaceBefore=6)
P = ParagraphStyle("p", parent=_s["Normal"], fontSize=8, leading=10)
ALERT = ParagraphStyle("a", parent=P, textColor=colors.HexColor("#9C0006"))


def unit_label(group: str, code: str, lang: str = "da") -> str:
    """A unit's readable name: municipalities and regions by name, the rest as coded."""
    if group == "municipality" and code in reference.municipality_by_code():
        return f"{reference.municipality_by_code()[code].name} ({code})"
    if group == "region" and code in reference.region_by_code():
        return f"{reference.region_name(code, lang)} ({code})"
    return code




def alert_text(alert: dict, lang: str = "da") -> str:
    """One alert as a sentence in ``lang``."""
    tx = translate_all(TEXT, lang)
    groups = translate_all(GROUP_LABELS, lang)
    v = {"value": figure(alert["value"], 2 if alert["kind"] != "drift" else 3, lang),
         "low": figure(alert.get("low"), 2, lang), "high": figure(alert.get("high"), 2, lang)}
    limit = alert["limit"]
    if alert["kind"] == "observed_expected":
        bound = limit[1] if alert["direction"] == "high" else limit[0]
        return tx["a_oe_high" if alert["direction"] == "high" else "a_oe_low"].format(
            group=groups[alert["group"]], unit=unit_label(alert["group"], alert["unit"], lang),
            limit=figure(bound, 2, lang), observed=alert["observed"], expected=figure(alert["expected"], 1, lang), **v)
    if alert["kind"] == "calibration_slope":
        return tx["a_slope"].format(limit=f"{figure(limit[0], 2, lang)}-{figure(limit[1], 2, lang)}", **v)
    if alert["kind"] == "auroc":
        return tx["a_auroc"].format(limit=figure(limit[0], 2, lang), **v)
    return tx["a_drift"].format(unit=alert["unit"], limit=figure(limit[0], 2, lang), **v)


def oe_chart(record: dict, group: str, lang: str, fmt: str) -> bytes:
    tx = translate_all(TEXT, lang)
    rows = [(unit_label(group, r["unit"], lang), r["ratio"], r["ratio_low"], r["ratio_high"], bool(r["flag"]))
            for r in record["groups"][group] if r["expected"] >= record["config"]["min_expected"]]
    cfg = record["config"]
    return charts.observed_expected(rows, (cfg["ratio_low"], cfg["ratio_high"]),
                                    tx["oe_title"].format(group=translator(lang)(GROUP_LABELS[group]).lower()),
                                    tx["oe_axis"], fmt)


def auroc_chart(record: dict, lang: str, fmt: str) -> bytes:
    tx = translate_all(TEXT, lang)
    points = [(p["month"], p["auroc"], p["auroc_low"], p["auroc_high"]) for p in record["auroc_over_time"]
              if p["auroc"] is not None]
    return charts.auroc_over_time(points, record.get("training_auroc"), record["config"]["auroc_min"],
                                  tx["auroc_title"], {"auroc": tx["auroc"], "training": tx["training"],
                                                      "limit": tx["limit"]}, fmt)


def drift_chart(record: dict, lang: str, fmt: str) -> bytes:
    tx = translate_all(TEXT, lang)
    rows = [(r["feature"], r["psi"]) for r in record["drift"]["features"]]
    return charts.psi_bars(rows, record["config"]["psi_warn"], record["config"]["psi_alert"], tx["drift_title"], fmt)


def table(header, rows, widths, flagged=()) -> Table:
    t = Table([list(header), *rows], colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [("FONT", (0, 0), (-1, -1), "Helvetica", 7), ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7),
             ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")),
             ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
    for i in flagged:
        style.append(("TEXTCOLOR", (0, i + 1), (-1, i + 1), colors.HexColor("#9C0006")))
    t.setStyle(TableStyle(style))
    return t


def _image(png: bytes, width_mm: float = 170) -> Image:
    import io

    from reportlab.lib.utils import ImageReader

    w, h = ImageReader(io.BytesIO(png)).getSize()
    return Image(io.BytesIO(png), width=width_mm * mm, height=width_mm * mm * h / w)


def oe_rows(record: dict, group: str, lang: str) -> list[list[str]]:
    return [[unit_label(group, r["unit"], lang), decimal(r["persons"], 0, lang), decimal(r["observed"], 0, lang),
             figure(r["expected"], 1, lang), estimate(r["ratio"], r["ratio_low"], r["ratio_high"], 2, lang),
             estimate(r["intercept"], r["intercept_low"], r["intercept_high"], 2, lang),
             estimate(r["slope"], r["slope_low"], r["slope_high"], 2, lang)] for r in record["groups"][group]]


def write(record: dict, path: Path, lang: str = "da") -> Path:
    tx = translate_all(TEXT, lang)
    groups = translate_all(GROUP_LABELS, lang)
    o = record["overall"]
    story = [Paragraph(escape(tx["title"].format(month=record["month"])), TITLE),
             Paragraph(escape(tx["setup"].format(
                 as_of=record["as_of"], model=record["model_id"], kind=record["model_kind"],
                 concept=record["outcome"]["concept"], days=record["horizon_days"],
                 start=record["outcome"]["window"][0], end=record["outcome"]["window"][1],
                 persons=decimal(record["persons"], 0, lang), not_scored=decimal(record["not_scored"], 0, lang),
                 version=record["config"]["version"])), P),
             Paragraph(escape(tx["alerts"]), H)]
    story += [Paragraph(escape("• " + alert_text(a, lang)), ALERT) for a in record["alerts"]] or [
        Paragraph(escape(tx["no_alerts"]), P)]
    story += [Paragraph(escape(tx["overall"]), H),
              table(tx["cols_oe"], [[tx["overall"], decimal(o["persons"], 0, lang), decimal(o["observed"], 0, lang),
                                      figure(o["expected"], 1, lang),
                                      estimate(o["ratio"], o["ratio_low"], o["ratio_high"], 2, lang),
                                      estimate(o["intercept"], o["intercept_low"], o["intercept_high"], 2, lang),
                                      estimate(o["slope"], o["slope_low"], o["slope_high"], 2, lang)]],
                     [38 * mm, 16 * mm, 16 * mm, 16 * mm, 28 * mm, 34 * mm, 26 * mm]),
              Paragraph(escape(tx["auroc_title"]), H), _image(auroc_chart(record, lang, "png")),
              table(tx["cols_auroc"], [[p["month"], decimal(p["persons"], 0, lang), decimal(p["positives"], 0, lang),
                                         estimate(p["auroc"], p["auroc_low"], p["auroc_high"], 3, lang)]
                                        for p in record["auroc_over_time"]],
                     [25 * mm, 25 * mm, 25 * mm, 45 * mm])]
    for group in record["groups"]:
        story += [PageBreak(), Paragraph(escape(tx["oe_title"].format(group=groups[group].lower())), H)]
        if any(r["expected"] >= record["config"]["min_expected"] for r in record["groups"][group]):
            story.append(_image(oe_chart(record, group, lang, "png")))
        flagged = [i for i, r in enumerate(record["groups"][group]) if r["flag"]]
        story += [Spacer(1, 4), table(tx["cols_oe"], oe_rows(record, group, lang),
                                       [38 * mm, 16 * mm, 16 * mm, 16 * mm, 28 * mm, 34 * mm, 26 * mm], flagged)]
    story += [PageBreak(), Paragraph(escape(tx["drift_title"]), H), _image(drift_chart(record, lang, "png"), 150),
              table(tx["cols_drift"], [[r["feature"], figure(r["psi"], 3, lang)] for r in record["drift"]["features"]],
                     [60 * mm, 25 * mm],
                     [i for i, r in enumerate(record["drift"]["features"]) if r["level"] == "alert"])]
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=tx["title"].format(month=record["month"]), author="opspor",
                            creator="opspor")
    doc.build(story)
    return path
