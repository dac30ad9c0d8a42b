"""The words of the evaluation report and the console: English message ids, Danish (the default)
in the catalogue (opspor.i18n)."""

from __future__ import annotations

from opspor.i18n import gettext_lazy as _
from opspor.i18n import translator

TEXTS: dict[str, str] = {
    "title": _("Risk model for acute admissions: evaluation"),
    "subtitle": _("Aktiv Patientstøtte — temporal validation on a later as-of date"),
    "setup": _("Set-up"),
    "training_id": _("Training run"),
    "snapshot": _("Data snapshot"),
    "data_period": _("Data period"),
    "train_dates": _("Training as-of dates"),
    "test_date": _("Test as-of date"),
    "outcome": _("Outcome"),
    "outcome_text": _(
        "at least one acute admission (≥ {hours} hours) starting in the {days} days after the as-of date"
        " ({horizon}); death without an admission counts as no admission"),
    "outcome_text_exclude": _(
        "at least one acute admission (≥ {hours} hours) starting in the {days} days after the as-of date"
        " ({horizon}); persons who die without an admission are left out"),
    "rows": _("Training rows (persons × dates)"),
    "calibration_method": _("Calibration"),
    "calibration_text": _("{method} on {share:.0%} of the persons, held out of fitting"),
    "test_population": _("Test population"),
    "persons_positives": _("{persons} persons alive on {date}, {positives} with the outcome ({prevalence})"),
    "configuration": _("Configuration"),
    "code_version": _("Code version"),
    "models": _("Models"),
    "headline": _("Headline"),
    "truth_note": _(
        "The generator's true probabilities reach AUROC {auroc} — deployed population models reach "
        "0.75-0.85 (Scotland's SPARRA about 0.80). It is the best possible on these data."),
    "ratio_note": _(
        "Gradient boosting reaches {ratio} of the true probabilities' AUROC (required: at least 0.95: "
        "{ok_ratio}); calibration slope {slope} (required: 0.9-1.1: {ok_slope})."),
    "no_truth": _("No true probabilities to compare with (only synthetic data have them): {why}"),
    "met": _("met"),
    "not_met": _("not met"),
    "overall": _("Overall"),
    "score": _("Score"),
    "auroc": _("AUROC"),
    "auprc": _("AUPRC"),
    "brier": _("Brier"),
    "mean_predicted": _("Mean predicted"),
    "cal_intercept": _("Cal. intercept"),
    "cal_slope": _("Cal. slope"),
    "top": _("Top {share}"),
    "flagged": _("flagged"),
    "sensitivity": _("sensitivity"),
    "ppv": _("PPV"),
    "persons": _("persons"),
    "positives": _("with outcome"),
    "group": _("Group"),
    "by_region": _("By region"),
    "by_sex": _("By sex"),
    "by_age_band": _("By age band"),
    "roc": _("ROC curve"),
    "pr": _("Precision-recall"),
    "calibration": _("Calibration (ten equal groups)"),
    "auroc_by_group": _("AUROC by group (95 % CI)"),
    "fpr": _("1 − specificity"),
    "tpr": _("Sensitivity"),
    "recall": _("Recall"),
    "precision": _("Precision"),
    "predicted": _("Predicted risk"),
    "observed": _("Observed share"),
    "boosted": _("Gradient boosting"),
    "logistic": _("Logistic regression"),
    "truth": _("True probabilities"),
    "male": _("men"),
    "female": _("women"),
    "unknown": _("unknown"),
    "definitions": _("Definitions"),
    "def_text": _(
        "AUROC and AUPRC with {conf:.0%} confidence intervals from {boot} bootstrap replicates "
        "(persons). Brier = mean squared error. Calibration slope: b in logit P(y) = a + b·logit(p); "
        "calibration intercept: a with b = 1 (calibration in the large; 0 is perfect). Top x %: the x % "
        "of the whole test population with the highest scores; in a group: how many of them belong to it"
        " and what share of its outcomes they catch. The models were trained on as-of dates whose "
        "outcome window ends before the test date: everything they learnt from was known on the test "
        "date."),
    "model_ids": _("Stored models"),
    "selected": _("selected"),
    "iterations": _("iterations"),
    "fit_seconds": _("fitting {s:.1f} s"),
    "generated": _("Made {when} by opspor {version}"),
    "no_cpr": _("The report holds no personal data."),
    # the model card (opspor.risk.modelcard)
    "card_title": _("Model card"),
    "card_intended_use": _("Intended use"),
    "card_data": _("Data and period"),
    "card_horizon": _("Outcome: acute admission within {days} days"),
    "card_performance": _("Performance on the test as-of date"),
    "card_truth": _("the generator's true probabilities: {auroc}"),
    "card_fairness": _("By group: observed against predicted, and discrimination"),
    "card_group": _("Group"),
    "card_limits": _("Limits"),
    "card_governance": _("Approval and use"),
    "card_proposed": _("Proposed by"),
    "card_approved": _("Approved by"),
    "card_in_use": _("In use"),
    "card_yes": _("yes"),
    "card_no": _("no"),
    "card_none": _("nobody yet"),
    "card_capacity_fairness": _("At the capacity threshold (test as-of date {date}; capacity {capacity}): "
                                "{judged} groups judged against the limits of governance.yaml, {small} too "
                                "small to judge; flagged: {flagged}"),
    "card_capacity_fairness_missing": _("Fairness at the capacity threshold is not assessed yet "
                                        "(opspor risk fairness)."),
    "card_flagged_none": _("none"),
    "card_decision_title": _("Decisions: net benefit at the capacity threshold"),
    "card_decision": _("On the test as-of date {date}: {eligible} eligible persons, {admitted} admitted; capacity "
                       "{capacity}; capacity threshold {threshold}; uptake {uptake}."),
    "card_decision_missing": _("Net benefit and the number needed to invite are not computed yet: {command}"),
    "strategy_model": _("The model"),
    "strategy_admissions_count": _("By count of acute admissions"),
    "strategy_everybody": _("Everybody eligible"),
    "card_strategy": _("Strategy"),
    "card_invited": _("Invited"),
    "card_admitted": _("Admitted"),
    "card_net_benefit": _("Net benefit"),
    "card_per_1000": _("Net benefit per 1,000 eligible"),
    "card_nni_title": _("Number needed to invite per prevented admission"),
    "card_reference": _("Effect size"),
    "card_rate_ratio": _("Rate ratio"),
    "card_nni_infinite": _("∞ (no effect)"),
    "card_external_title": _("External validation"),
    "card_external": _("Newest external validation of this model kind (run {run} of {created}): developed on region "
                       "{region}, validated on {date} on every region as developed and recalibrated on the region's "
                       "persons of {refit}."),
    "card_external_missing": _("No external validation of this model kind yet: {command}"),
    "card_internal": _("internal (development)"),
    "card_as_developed": _("as developed"),
    "card_recal_large": _("recalibrated in the large"),
    "card_recal_logistic": _("recalibrated (logistic)"),
    "card_region": _("Region"),
    "card_validation": _("Validation"),
    "fairness_too_small": _("fewer than {min} admissions"),
    "fairness_oe": _("O/E {ratio} [{low}; {high}] outside {limit_low}-{limit_high}"),
    "fairness_ppv": _("PPV {ppv} (upper {upper}) below {ratio_min} × overall {overall}"),
    "group_sex": _("Sex"), "group_age_band": _("Age band"), "group_municipality": _("Municipality"),
    "group_residence": _("Residence type"),
    "proposal_reason": _("Proposed for {region}: {label} {model}, the highest AUROC on the region's persons among "
                         "the {n} approved models with figures for the region: {auroc} [{low}; {high}] on its test "
                         "as-of date {date} ({persons} persons, {positives} admitted; calibration slope {slope})."),
    "proposal_in_use": _("It is the model in use."),
    "proposal_none": _("No proposal for {region}: no approved model has figures for the region's persons. A doctor "
                       "of the region approves a model first."),
}


def t(key: str, lang: str, **values) -> str:
    text = translator(lang)(TEXTS[key])
    return text.format(**values) if values else text
