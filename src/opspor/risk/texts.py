"""The words of the evaluation report and the console, in Danish (default) and English."""

from __future__ import annotations

LANGUAGES = ("da", "en")

TEXTS: dict[str, dict[str, str]] = {
    "title": {"da": "Risikomodel for akutte indlæggelser: evaluering",
              "en": "Risk model for acute admissions: evaluation"},
    "subtitle": {"da": "Aktiv Patientstøtte — temporal validering på et senere opgørelsestidspunkt",
                 "en": "Aktiv Patientstøtte — temporal validation on a later as-of date"},
    "setup": {"da": "Opsætning", "en": "Set-up"},
    "training_id": {"da": "Træningskørsel", "en": "Training run"},
    "snapshot": {"da": "Datasnapshot", "en": "Data snapshot"},
    "data_period": {"da": "Dataperiode", "en": "Data period"},
    "train_dates": {"da": "Træning: opgørelsesdatoer", "en": "Training as-of dates"},
    "test_date": {"da": "Test: opgørelsesdato", "en": "Test as-of date"},
    "outcome": {"da": "Udfald", "en": "Outcome"},
    "outcome_text": {
        "da": "mindst én akut indlæggelse (≥ {hours} timer) med start i de {days} dage efter "
              "opgørelsesdatoen ({horizon}); død uden indlæggelse tæller som ingen indlæggelse",
        "en": "at least one acute admission (≥ {hours} hours) starting in the {days} days after the "
              "as-of date ({horizon}); death without an admission counts as no admission"},
    "outcome_text_exclude": {
        "da": "mindst én akut indlæggelse (≥ {hours} timer) med start i de {days} dage efter "
              "opgørelsesdatoen ({horizon}); personer der dør uden indlæggelse er udeladt",
        "en": "at least one acute admission (≥ {hours} hours) starting in the {days} days after the "
              "as-of date ({horizon}); persons who die without an admission are left out"},
    "rows": {"da": "Træningsrækker (personer × datoer)", "en": "Training rows (persons × dates)"},
    "calibration_method": {"da": "Kalibrering", "en": "Calibration"},
    "calibration_text": {
        "da": "{method} på {share:.0%} af personerne, holdt ude af tilpasningen",
        "en": "{method} on {share:.0%} of the persons, held out of fitting"},
    "test_population": {"da": "Testpopulation", "en": "Test population"},
    "persons_positives": {"da": "{persons} personer i live på {date}, {positives} med udfald ({prevalence})",
                          "en": "{persons} persons alive on {date}, {positives} with the outcome ({prevalence})"},
    "configuration": {"da": "Konfiguration", "en": "Configuration"},
    "code_version": {"da": "Kodeversion", "en": "Code version"},
    "models": {"da": "Modeller", "en": "Models"},
    "headline": {"da": "Hovedresultat", "en": "Headline"},
    "truth_note": {
        "da": "Generatorens sande sandsynligheder opnår AUROC {auroc} — til sammenligning opnår "
              "udrullede befolkningsmodeller 0,75–0,85 (Skotlands SPARRA ca. 0,80). Det er det bedst mulige "
              "på disse data.",
        "en": "The generator's true probabilities reach AUROC {auroc} — deployed population models "
              "reach 0.75-0.85 (Scotland's SPARRA about 0.80). It is the best possible on these data."},
    "ratio_note": {
        "da": "Gradient boosting opnår {ratio} af de sande sandsynligheders AUROC (krav: mindst 0,95: {ok_ratio}); "
              "kalibreringshældning {slope} (krav: 0,9–1,1: {ok_slope}).",
        "en": "Gradient boosting reaches {ratio} of the true probabilities' AUROC (required: at least 0.95: {ok_ratio}); "
              "calibration slope {slope} (required: 0.9-1.1: {ok_slope})."},
    "no_truth": {"da": "Ingen sande sandsynligheder til sammenligning (kun syntetiske data har dem): {why}",
                 "en": "No true probabilities to compare with (only synthetic data have them): {why}"},
    "met": {"da": "opfyldt", "en": "met"},
    "not_met": {"da": "ikke opfyldt", "en": "not met"},
    "overall": {"da": "Samlet", "en": "Overall"},
    "score": {"da": "Score", "en": "Score"},
    "auroc": {"da": "AUROC", "en": "AUROC"},
    "auprc": {"da": "AUPRC", "en": "AUPRC"},
    "brier": {"da": "Brier", "en": "Brier"},
    "mean_predicted": {"da": "Gns. forudsagt", "en": "Mean predicted"},
    "cal_intercept": {"da": "Kal. skæring", "en": "Cal. intercept"},
    "cal_slope": {"da": "Kal. hældning", "en": "Cal. slope"},
    "top": {"da": "Top {share}", "en": "Top {share}"},
    "flagged": {"da": "markeret", "en": "flagged"},
    "sensitivity": {"da": "sensitivitet", "en": "sensitivity"},
    "ppv": {"da": "PPV", "en": "PPV"},
    "persons": {"da": "personer", "en": "persons"},
    "positives": {"da": "med udfald", "en": "with outcome"},
    "group": {"da": "Gruppe", "en": "Group"},
    "by_region": {"da": "Efter region", "en": "By region"},
    "by_sex": {"da": "Efter køn", "en": "By sex"},
    "by_age_band": {"da": "Efter aldersgruppe", "en": "By age band"},
    "roc": {"da": "ROC-kurve", "en": "ROC curve"},
    "pr": {"da": "Præcision-genkaldelse", "en": "Precision-recall"},
    "calibration": {"da": "Kalibrering (ti lige store grupper)", "en": "Calibration (ten equal groups)"},
    "auroc_by_group": {"da": "AUROC efter gruppe (95 %-KI)", "en": "AUROC by group (95 % CI)"},
    "fpr": {"da": "1 − specificitet", "en": "1 − specificity"},
    "tpr": {"da": "Sensitivitet", "en": "Sensitivity"},
    "recall": {"da": "Genkaldelse", "en": "Recall"},
    "precision": {"da": "Præcision", "en": "Precision"},
    "predicted": {"da": "Forudsagt risiko", "en": "Predicted risk"},
    "observed": {"da": "Observeret andel", "en": "Observed share"},
    "boosted": {"da": "Gradient boosting", "en": "Gradient boosting"},
    "logistic": {"da": "Logistisk regression", "en": "Logistic regression"},
    "truth": {"da": "Sande sandsynligheder", "en": "True probabilities"},
    "male": {"da": "mænd", "en": "men"},
    "female": {"da": "kvinder", "en": "women"},
    "unknown": {"da": "ukendt", "en": "unknown"},
    "definitions": {"da": "Definitioner", "en": "Definitions"},
    "def_text": {
        "da": "AUROC og AUPRC med {conf:.0%}-konfidensintervaller fra {boot} bootstrap-gentagelser (personer). "
              "Brier = gennemsnitlig kvadreret fejl. Kalibreringshældning: b i logit P(y) = a + b·logit(p); "
              "kalibreringsskæring: a med b = 1 (kalibrering i det store; 0 er perfekt). Top x %: de x % af hele "
              "testpopulationen med højest score; i en gruppe: hvor mange af dem der hører til gruppen, og hvor "
              "stor en del af gruppens udfald de fanger. Modellerne er trænet på opgørelsesdatoer, hvis "
              "udfaldsvindue slutter før testdatoen: alt modellen lærer af, var kendt på testdatoen.",
        "en": "AUROC and AUPRC with {conf:.0%} confidence intervals from {boot} bootstrap replicates (persons). "
              "Brier = mean squared error. Calibration slope: b in logit P(y) = a + b·logit(p); calibration "
              "intercept: a with b = 1 (calibration in the large; 0 is perfect). Top x %: the x % of the whole "
              "test population with the highest scores; in a group: how many of them belong to it and what "
              "share of its outcomes they catch. The models were trained on as-of dates whose outcome window "
              "ends before the test date: everything they learnt from was known on the test date."},
    "model_ids": {"da": "Gemte modeller", "en": "Stored models"},
    "selected": {"da": "valgt", "en": "selected"},
    "iterations": {"da": "iterationer", "en": "iterations"},
    "fit_seconds": {"da": "tilpasning {s:.1f} s", "en": "fitting {s:.1f} s"},
    "generated": {"da": "Lavet {when} af opspor {version}", "en": "Made {when} by opspor {version}"},
    "no_cpr": {"da": "Rapporten indeholder ingen personoplysninger.", "en": "The report holds no personal data."},
}


def t(key: str, lang: str, **values) -> str:
    text = TEXTS[key][lang]
    return text.format(**values) if values else text
