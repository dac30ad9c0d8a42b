"""The risk score in words for the programme lead (issue 19, item 5).

What a score predicts is read from the scoring model's own record (``model.json``, written at
training from ``risk/config/outcome.yaml``: the horizon and the outcome concept), never written
here: "86 % risk of acute admission (≥ 12 hours) within 6 months". The person's top factors are
the explanation stored with the scores (``opspor.risk.explain``, joined with "; "). The model's
evaluation report is the training run's ``report.html`` (``opspor.risk.registry``), served to the
lead by ``aps.views.model_report``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import get_language, gettext as _, ngettext

from opspor.i18n import decimal
from opspor.rules.concepts import shipped as shipped_concepts

log = logging.getLogger(__name__)
REPORT_FILE = "report.html"
_MONTHS = re.compile(r"^(\d+)m$")
_YEARS = re.compile(r"^(\d+)y$")


@dataclass(frozen=True)
class ModelFacts:
    """What a model predicts and where its report is, from its record."""

    model_id: str
    horizon: str  # the horizon's name in outcome.yaml, e.g. "6m"
    horizon_days: int
    concept: str  # the outcome concept of concepts.yaml, e.g. "acute_admission"
    report: Path | None  # the training run's report.html, when it exists

    def horizon_words(self) -> str:
        if m := _MONTHS.match(self.horizon):
            n = int(m.group(1))
            return ngettext("%(n)s month", "%(n)s months", n) % {"n": n}
        if m := _YEARS.match(self.horizon):
            n = int(m.group(1))
            return ngettext("%(n)s year", "%(n)s years", n) % {"n": n}
        return ngettext("%(n)s day", "%(n)s days", self.horizon_days) % {"n": self.horizon_days}

    def outcome_words(self) -> str:
        lang = "en" if (get_language() or "da").startswith("en") else "da"
        labels = []
        for name in (n.strip() for n in self.concept.split("|")):  # "a | b": either concept
            try:
                labels.append(shipped_concepts().label(name, lang))
            except KeyError:
                labels.append(name)
        return labels[0] if len(labels) == 1 else _("%(first)s or %(last)s") % {
            "first": ", ".join(labels[:-1]), "last": labels[-1]}

    def sentence(self, score: float | None) -> str:
        """``score`` (0-100) in words; without a score, what the scores predict."""
        values = {"outcome": self.outcome_words(), "horizon": self.horizon_words()}
        if score is None:
            return _("risk of %(outcome)s within %(horizon)s") % values
        lang = "en" if (get_language() or "da").startswith("en") else "da"
        return _("%(score)s %% risk of %(outcome)s within %(horizon)s") % {
            **values, "score": decimal(score, 0, lang)}


def model_facts(model_id: str) -> ModelFacts | None:
    """The facts of stored model ``model_id``; None when its record cannot be read (the page
    then shows the score without words rather than failing)."""
    from opspor.risk import registry

    try:
        record = registry.model_record(model_id)
        outcome = record["config"]["outcome"]
        training_id = record["training_id"]
        report = registry.reports_dir() / training_id / REPORT_FILE if registry.is_id(training_id) else None
        return ModelFacts(model_id, str(outcome["horizon"]), int(outcome["horizon_days"]), str(outcome["concept"]),
                          report if report is not None and report.is_file() else None)
    except Exception:  # a missing or damaged record must not take the programme page down
        log.warning("the record of risk model %s could not be read", model_id, exc_info=True)
        return None


def factors(explanation: str | None) -> list[str]:
    """The stored explanation's factors, strongest first."""
    from opspor.risk.explain import SEPARATOR

    return [f for f in (explanation or "").split(SEPARATOR) if f.strip()]
