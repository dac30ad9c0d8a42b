"""The consent text and the written agreement of Aktiv Patientstøtte: ``config/consent.yaml``
(versioned; ``OPSPOR_APS_CONSENT`` names a region's own file), read on first use through
``opspor.config_reader``. A consent or a withdrawal is stored with the text's version and the
digest of the file (``aps.models.ConsentRecord``), so the receipt can say what was agreed to."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from opspor import config_reader
from opspor.i18n import localized
from opspor.web.core import language

ENV = "OPSPOR_APS_CONSENT"
SHIPPED = Path(__file__).with_name("config") / "consent.yaml"


class ConsentConfigError(config_reader.ConfigError):
    """The consent file is wrong; the message names the file, the key and the fix."""


class _Ctx(config_reader.Ctx):
    error_class = ConsentConfigError


@dataclass(frozen=True)
class Text:
    """A title and paragraphs, in Danish and English."""

    title_da: str
    title_en: str
    paragraphs_da: tuple[str, ...]
    paragraphs_en: tuple[str, ...]

    def title(self, lang: str | None = None) -> str:
        return localized(self, "title", lang or language.current())

    def paragraphs(self, lang: str | None = None) -> tuple[str, ...]:
        return localized(self, "paragraphs", lang or language.current())


@dataclass(frozen=True)
class ConsentTexts:
    version: str
    digest: str  # SHA-256 of the file: what exactly the version said
    consent: Text
    withdrawal_da: str
    withdrawal_en: str
    agreement: Text

    def withdrawal(self, lang: str | None = None) -> str:
        return localized(self, "withdrawal", lang or language.current())

    def as_text(self, lang: str) -> str:
        """The consent text as one plain text (title, paragraphs, withdrawal), as a record keeps it."""
        return "\n\n".join((self.consent.title(lang), *self.consent.paragraphs(lang), self.withdrawal(lang)))


def config_path() -> Path:
    return Path(os.environ.get(ENV) or SHIPPED)


def _both(ctx: _Ctx, value: Any) -> tuple[Any, Any]:
    """The two languages' values of ``value`` (``{da: ..., en: ...}``)."""
    value = config_reader.mapping(ctx, value, ("da", "en"), ("da", "en"))
    return value["da"], value["en"]


def _paragraphs(ctx: _Ctx, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ctx.error(f"expected a list of paragraphs, got {config_reader.show(value)}",
                        "write one `- \"...\"` per paragraph")
    return tuple(config_reader.text(ctx.at(i), p) for i, p in enumerate(value))


def _text(ctx: _Ctx, value: Any) -> Text:
    value = config_reader.mapping(ctx, value, ("title", "text", "withdrawal"), ("title", "text"))
    title_da, title_en = _both(ctx.at("title"), value["title"])
    text_da, text_en = _both(ctx.at("text"), value["text"])
    return Text(config_reader.text(ctx.at("title").at("da"), title_da),
                config_reader.text(ctx.at("title").at("en"), title_en),
                _paragraphs(ctx.at("text").at("da"), text_da), _paragraphs(ctx.at("text").at("en"), text_en))


def load(path: Path | None = None) -> ConsentTexts:
    path = Path(path) if path is not None else config_path()
    data, digest = config_reader.read_yaml(path, ConsentConfigError)
    ctx = _Ctx(str(path))
    top = config_reader.mapping(ctx, data, ("version", "consent", "agreement"), ("version", "consent", "agreement"),
                                {"version": 'e.g. `version: "2"`; bump it on every change of the text'})
    cctx = ctx.at("consent")
    if not isinstance(top["consent"], dict) or "withdrawal" not in top["consent"]:
        raise cctx.at("withdrawal").error("missing", "write what a withdrawal means: `withdrawal: {da: ..., en: ...}`")
    w_da, w_en = _both(cctx.at("withdrawal"), top["consent"]["withdrawal"])
    return ConsentTexts(config_reader.version(ctx.at("version"), top["version"]), digest,
                        _text(cctx, top["consent"]), config_reader.text(cctx.at("withdrawal").at("da"), w_da),
                        config_reader.text(cctx.at("withdrawal").at("en"), w_en), _text(ctx.at("agreement"), top["agreement"]))


@cache
def texts() -> ConsentTexts:
    """The consent file in force, read once."""
    return load()
