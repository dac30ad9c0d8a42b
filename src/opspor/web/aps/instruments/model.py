"""Questionnaire instruments as plain data, and their scoring. No files here: the loader
(``loader.py``) builds these objects from YAML; the web form and the actions only use them.

Scoring, in order:

1. each answered item's value must be one of its scale's values;
2. a reverse-scored item counts ``scale min + scale max - value``;
3. missing items: rule ``no_score`` gives no score when any item is unanswered; rule ``prorate``
   accepts up to ``max_missing`` unanswered items and scales the sum up to all items
   (``sum × items / answered``), or gives no score beyond that;
4. ``method`` ``sum`` adds the values, ``mean`` averages them;
5. the score is that raw value × ``multiplier``, rounded to ``decimals``;
6. the interpretation band is the first band whose bound the score meets (``at_most``: ≤,
   ``below``: <; the last band may have no bound and takes the rest).

A **conditional item** (``enable_when``: shown only when an earlier item's answer is one of the
given values, FHIR's ``enableWhen``) is a follow-up question: it is asked only when enabled, an
answer to it while it is hidden is dropped (:meth:`Instrument.enabled_answers`), and it is never
part of the score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

NO_SCORE, PRORATE = "no_score", "prorate"
SUM, MEAN = "sum", "mean"


def localized(texts: Mapping[str, str], language: str | None = None) -> str:
    """The text in the current language, else Danish, else English, else any."""
    lang = (language or get_language() or "da").split("-")[0].lower()
    for key in (lang, "da", "en"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()), "")


class AnswerError(ValueError):
    """An answer that is not on the item's scale (a programming or form error, not missing)."""


@dataclass(frozen=True)
class Choice:
    value: int
    label: Mapping[str, str]

    def text(self, language: str | None = None) -> str:
        return localized(self.label, language)


@dataclass(frozen=True)
class Scale:
    id: str
    choices: tuple[Choice, ...]

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(c.value for c in self.choices)

    @property
    def low(self) -> int:
        return min(self.values)

    @property
    def high(self) -> int:
        return max(self.values)


@dataclass(frozen=True)
class EnableWhen:
    """Shown only when the earlier item ``item`` is answered with one of ``answers``."""
    item: str
    answers: tuple[int, ...]


@dataclass(frozen=True)
class Item:
    id: str
    text: Mapping[str, str]
    scale: Scale
    reverse: bool = False
    enable_when: EnableWhen | None = None

    def label(self, language: str | None = None) -> str:
        return localized(self.text, language)

    def counted(self, value: int) -> int:
        return self.scale.low + self.scale.high - value if self.reverse else value


@dataclass(frozen=True)
class Band:
    id: str
    label: Mapping[str, str]
    at_most: float | None = None
    below: float | None = None
    level: str = "ok"  # ok | warn | alarm: how the web app colours it

    def contains(self, score: float) -> bool:
        if self.at_most is not None:
            return score <= self.at_most
        if self.below is not None:
            return score < self.below
        return True

    def text(self, language: str | None = None) -> str:
        return localized(self.label, language)


@dataclass(frozen=True)
class Scoring:
    method: str = SUM
    multiplier: float = 1.0
    decimals: int = 1
    missing: str = NO_SCORE
    max_missing: int = 0


@dataclass(frozen=True)
class Result:
    score: float | None
    raw: float | None
    band: Band | None
    missing: tuple[str, ...]
    answers: Mapping[str, int]  # the answered items' values as given (before reversing)


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: Mapping[str, str]
    items: tuple[Item, ...]
    scoring: Scoring
    bands: tuple[Band, ...] = ()
    instructions: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    path: str = ""

    def name(self, language: str | None = None) -> str:
        return localized(self.title, language)

    def intro(self, language: str | None = None) -> str:
        return localized(self.instructions, language) if self.instructions else ""

    @property
    def score_range(self) -> tuple[float, float]:
        lows = [i.scale.low for i in self.scored_items]
        highs = [i.scale.high for i in self.scored_items]
        if self.scoring.method == MEAN:
            low, high = sum(lows) / len(lows), sum(highs) / len(highs)
        else:
            low, high = sum(lows), sum(highs)
        return low * self.scoring.multiplier, high * self.scoring.multiplier

    @property
    def scored_items(self) -> tuple[Item, ...]:
        """The items the score is made of: all but the conditional ones."""
        return tuple(i for i in self.items if i.enable_when is None)

    def enabled(self, answers: Mapping[str, Any]) -> tuple[Item, ...]:
        """The items asked, given ``answers``: an item is enabled when it has no condition, or
        when the item it names is enabled and answered with one of the values."""
        shown: dict[str, Any] = {}
        out = []
        for item in self.items:
            when = item.enable_when
            if when is None or (when.item in shown and _as_int(shown[when.item]) in when.answers):
                shown[item.id] = answers.get(item.id)
                out.append(item)
        return tuple(out)

    def enabled_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """``answers`` less those to items that are not asked (hidden by their condition)."""
        asked = {i.id for i in self.enabled(answers)}
        return {k: v for k, v in answers.items() if k in asked or k not in {i.id for i in self.items}}

    def band_of(self, score: float | None) -> Band | None:
        if score is None:
            return None
        return next((b for b in self.bands if b.contains(score)), None)

    def band_by_id(self, band_id: str) -> Band | None:
        return next((b for b in self.bands if b.id == band_id), None)

    def score(self, answers: Mapping[str, Any]) -> Result:
        """Score ``answers`` (item id → value; ``None``, ``""`` or absent = unanswered). Answers
        to hidden conditional items are dropped; conditional items are kept but not scored."""
        known = {i.id for i in self.items}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise AnswerError(f"{self.id}: unknown item(s) {', '.join(unknown)}")
        answers = self.enabled_answers(answers)
        given: dict[str, int] = {}
        for item in self.items:
            value = answers.get(item.id)
            if value is None or value == "":
                continue
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise AnswerError(f"{self.id}: item {item.id}: {value!r} is not a number") from None
            if number not in item.scale.values:
                raise AnswerError(f"{self.id}: item {item.id}: {number} is not on the scale {item.scale.values}")
            given[item.id] = number
        scored = self.scored_items
        missing = tuple(i.id for i in scored if i.id not in given)
        rule = self.scoring
        counted = [item.counted(given[item.id]) for item in scored if item.id in given]
        if missing and (rule.missing == NO_SCORE or len(missing) > rule.max_missing or not counted):
            return Result(None, None, None, missing, given)
        total = sum(counted)
        if rule.method == MEAN:
            raw = total / len(counted)
        else:
            raw = total * len(scored) / len(counted)  # = total when nothing is missing
        score = round(raw * rule.multiplier, rule.decimals)
        if rule.decimals == 0:
            score = float(int(score))
        return Result(score, raw, self.band_of(score), missing, given)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
