"""The template engine's ``date`` filter (opspor.web.core.templatetags.dates) prints what Django's
own filter prints, for every format the templates use, in both languages, across daylight
saving time, for dates, datetimes, empty values and others."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Engine, Template, defaultfilters
from django.utils import timezone, translation

from opspor.web.core.templatetags import dates

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "opspor" / "web" / "templates"
UTC = dt.timezone.utc
CPH = ZoneInfo("Europe/Copenhagen")
VALUES = [
    dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # the hour before summer time
    dt.datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),  # summer time begins
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 summer time
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 winter time
    dt.datetime(2026, 12, 31, 23, 5, 7, tzinfo=UTC),  # the new year in Copenhagen
    dt.datetime(2024, 2, 29, 9, 4, tzinfo=CPH),
    dt.datetime(2025, 1, 2, 3, 4, 5),  # naive
    dt.date(2024, 2, 29), dt.date(2026, 1, 1),
    dt.date(999, 1, 1), dt.datetime(999, 5, 6, 7, 8, tzinfo=UTC),  # before year 1000: Django pads
    dt.time(13, 45),
    None, "", "2024-01-01", 0,
]


def _formats() -> list[str]:
    """Every format given to ``|date`` in the templates, and some more."""
    used = {m for p in TEMPLATES.rglob("*.html") for m in re.findall(r'\|date:"([^"]*)"', p.read_text())}
    assert {"d-m-Y", "d-m-Y H:i"} <= used
    return sorted(used | {"H:i", "Y-m-d H:i:s", "d/m/Y", "j. F Y", "DATE_FORMAT", "SHORT_DATETIME_FORMAT", ""})


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("fmt", _formats())
def test_the_filter_prints_what_djangos_filter_prints(fmt, lang):
    engine = Engine.get_default()
    ours = Template("{{ v|date:f }}", engine=engine)
    with translation.override(lang), timezone.override(CPH):
        for value in VALUES:
            expected = _outcome(lambda: str(defaultfilters.date(
                timezone.template_localtime(value) if isinstance(value, dt.datetime) else value, fmt)))
            assert _outcome(lambda: ours.render(Context({"v": value, "f": fmt}))) == expected, (value, fmt)


def _outcome(render) -> tuple[str, object]:
    """The text, or the kind of error (Django refuses hours in the format of a date)."""
    try:
        return "text", render()
    except Exception as e:  # noqa: BLE001 - the same error is the expected outcome
        return "error", type(e)


def test_the_engine_uses_the_fast_filter():
    filters = Template("{{ x }}").engine.template_builtins[-1].filters
    assert filters["date"] is dates.date
    with timezone.override(CPH):
        out = Template('{{ v|date:"d-m-Y H:i" }}').render(Context({"v": dt.datetime(2026, 6, 1, 22, 30, tzinfo=UTC)}))
    assert out == "02-06-2026 00:30"  # local time, the next day


@pytest.mark.parametrize(("fmt", "expected"), [
    ("d-m-Y", ("%d-%m-%Y", False)), ("d-m-Y H:i", ("%d-%m-%Y %H:%M", True)), ("H:i:s", ("%H:%M:%S", True)),
    ("l j. F Y", None), ("d-m-Y \\k\\l. H:i", None), ("d%m", None), ("DATE_FORMAT", None), ("", None),
])
def test_only_numeric_formats_take_the_fast_path(fmt, expected):
    assert dates._pattern(fmt) == expected
