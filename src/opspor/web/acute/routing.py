"""The acute function's rules (``config/acute_function.yaml``): who the responsible doctor is at a
moment, Danish public holidays included, and the clarification phase's deadline and reminder.

Plain Python (no Django): ``load(path)`` reads and checks the file through
:mod:`opspor.config_reader` (errors name the file, the key, the problem and the fix);
``Rules.responsible(referrer, at)`` interprets it. A moment is in a period when its local
weekday is listed and ``from <= time < to`` (so 08:00 is daytime and 16:00 is not), and, unless
the period says ``on_holidays: true``, the day is not a public holiday (``opspor.dates``) or one
of ``also_closed``. The first matching rule wins.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opspor import config_reader
from opspor.dates import public_holiday

FILE = Path(__file__).with_name("config") / "acute_function.yaml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REFERRERS = ("gp", "hospital")
RESPONSIBLE = ("referring_gp", "on_call", "referring_doctor")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class AcuteConfigError(config_reader.ConfigError):
    """The acute function's file cannot be used (file, key, problem, fix)."""


class _Ctx(config_reader.Ctx):
    error_class = AcuteConfigError


@dataclass(frozen=True)
class Period:
    name: str
    days: tuple[str, ...]
    start: dt.time
    end: dt.time | None  # None: midnight at the end of the day ("24:00")
    on_holidays: bool


@dataclass(frozen=True)
class Rule:
    id: str
    referrer: str
    period: str | None
    responsible: str


@dataclass(frozen=True)
class OnCall:
    name: str
    phone: str


@dataclass(frozen=True)
class Clarification:
    deadline_hours: int
    reminder_before_hours: int
    call_within_hours: int
    horizon_days_default: int
    horizon_days_max: int


@dataclass(frozen=True)
class Route:
    """The answer for one moment: ``responsible`` (a key of ``responsible`` in the file) by
    ``rule``; ``holiday`` names the day's holiday when there is one."""

    responsible: str
    rule: str
    title_da: str
    title_en: str
    holiday: str | None
    version: str


@dataclass(frozen=True)
class Rules:
    version: str
    file: str
    zone: ZoneInfo
    also_closed: dict[str, str]
    periods: dict[str, Period]
    rules: tuple[Rule, ...]
    titles: dict[str, tuple[str, str]]
    on_call: dict[str, OnCall]
    clarification: Clarification

    def holiday(self, day: dt.date) -> str | None:
        """The holiday's Danish name on ``day`` (public, or closed by the agreement), or None."""
        name = public_holiday(day)
        if name:
            return name
        return self.also_closed.get(f"{day:%m-%d}")

    def in_period(self, period: Period, local: dt.datetime) -> bool:
        if DAYS[local.weekday()] not in period.days:
            return False
        if not period.on_holidays and self.holiday(local.date()):
            return False
        t = local.time()
        return period.start <= t and (period.end is None or t < period.end)

    def local(self, at: dt.datetime) -> dt.datetime:
        if at.tzinfo is None:
            raise ValueError("a moment for the routing rules must carry its time zone")
        return at.astimezone(self.zone)

    def responsible(self, referrer: str, at: dt.datetime) -> Route:
        if referrer not in REFERRERS:
            raise ValueError(f"unknown referrer {referrer!r}: one of {', '.join(REFERRERS)}")
        local = self.local(at)
        for rule in self.rules:
            if rule.referrer != referrer:
                continue
            if rule.period is None or self.in_period(self.periods[rule.period], local):
                da, en = self.titles[rule.responsible]
                return Route(rule.responsible, rule.id, da, en, self.holiday(local.date()), self.version)
        raise LookupError(f"{self.file}: no rule for referrer {referrer!r} at {local.isoformat()}")

    def on_call_of(self, region_code: str) -> OnCall | None:
        return self.on_call.get(region_code)


def _time(ctx: _Ctx, value) -> dt.time | None:
    if not isinstance(value, str) or not _TIME.match(value):
        raise ctx.error(f"expected a time HH:MM, got {config_reader.show(value)}", 'write e.g. "08:00" (quoted)')
    return None if value == "24:00" else dt.time.fromisoformat(value)


def parse(data, file: str) -> Rules:
    ctx = _Ctx(file)
    top = ("version", "time_zone", "holidays", "periods", "rules", "responsible", "on_call", "clarification")
    data = config_reader.mapping(ctx, data, top, top, docs="see docs/acute.md")
    version = config_reader.version(ctx.at("version"), data["version"])
    try:
        zone = ZoneInfo(config_reader.text(ctx.at("time_zone"), data["time_zone"], "time zone"))
    except ZoneInfoNotFoundError:
        raise ctx.at("time_zone").error(f"unknown time zone {data['time_zone']!r}", "write Europe/Copenhagen") from None
    hol = config_reader.mapping(ctx.at("holidays"), data["holidays"], ("country", "also_closed"), ("country",))
    config_reader.choice(ctx.at("holidays").at("country"), hol["country"], ("DK",), "country")
    closed = hol.get("also_closed") or {}
    if not isinstance(closed, dict):
        raise ctx.at("holidays").at("also_closed").error("expected a mapping of days to names",
                                                         'write e.g. {"12-24": "Juleaftensdag"}')
    for day, name in closed.items():
        if not isinstance(day, str) or not _MMDD.match(day):
            raise ctx.at("holidays").at("also_closed").at(str(day)).error(
                f"expected a day as MM-DD, got {config_reader.show(day)}", 'write e.g. "12-24" (quoted)')
        config_reader.text(ctx.at("holidays").at("also_closed").at(day), name, "name")
    periods = {}
    pctx = ctx.at("periods")
    for name, raw in config_reader.mapping(pctx, data["periods"], tuple(data["periods"] or ())).items():
        at = pctx.at(name)
        config_reader.ident(at, name, "period")
        raw = config_reader.mapping(at, raw, ("days", "from", "to", "on_holidays"), ("days", "from", "to", "on_holidays"))
        start, end = _time(at.at("from"), raw["from"]), _time(at.at("to"), raw["to"])
        if start is None or (end is not None and end <= start):
            raise at.at("to").error("must be later than `from` on the same day", 'write e.g. from: "08:00", to: "16:00"')
        periods[name] = Period(name, config_reader.choices(at.at("days"), raw["days"], DAYS), start, end,
                               config_reader.boolean(at.at("on_holidays"), raw["on_holidays"]))
    titles = {}
    tctx = ctx.at("responsible")
    for key, raw in config_reader.mapping(tctx, data["responsible"], RESPONSIBLE, RESPONSIBLE).items():
        raw = config_reader.mapping(tctx.at(key), raw, ("title_da", "title_en"), ("title_da", "title_en"))
        titles[key] = (config_reader.text(tctx.at(key).at("title_da"), raw["title_da"]),
                       config_reader.text(tctx.at(key).at("title_en"), raw["title_en"]))
    rules, ids = [], set()
    rctx = ctx.at("rules")
    if not isinstance(data["rules"], list) or not data["rules"]:
        raise rctx.error("expected a list of rules", "write each rule as `- {id: ..., referrer: ..., responsible: ...}`")
    for i, raw in enumerate(data["rules"]):
        at = rctx.at(i)
        raw = config_reader.mapping(at, raw, ("id", "referrer", "period", "responsible"), ("id", "referrer", "responsible"))
        rule_id = config_reader.ident(at.at("id"), raw["id"], "id")
        if rule_id in ids:
            raise at.at("id").error(f"{rule_id!r} is used twice", "give each rule its own id")
        ids.add(rule_id)
        period = raw.get("period")
        if period is not None:
            config_reader.choice(at.at("period"), period, tuple(periods), "period")
        rules.append(Rule(rule_id, config_reader.choice(at.at("referrer"), raw["referrer"], REFERRERS, "referrer"),
                          period, config_reader.choice(at.at("responsible"), raw["responsible"], RESPONSIBLE,
                                                       "responsible")))
    for referrer in REFERRERS:  # every moment has an answer: each referrer ends with a rule for any time
        last = [r for r in rules if r.referrer == referrer]
        if not last or last[-1].period is not None:
            raise rctx.error(f"referrer {referrer!r} has no rule for any time as its last rule",
                             f"end the rules for {referrer} with one without `period`")
    on_call = {}
    octx = ctx.at("on_call")
    for code, raw in config_reader.mapping(octx, data["on_call"], tuple(data["on_call"] or ())).items():
        raw = config_reader.mapping(octx.at(str(code)), raw, ("name", "phone"), ("name", "phone"))
        on_call[str(code)] = OnCall(config_reader.text(octx.at(str(code)).at("name"), raw["name"]),
                                    config_reader.text(octx.at(str(code)).at("phone"), str(raw["phone"])))
    cctx = ctx.at("clarification")
    keys = ("deadline_hours", "reminder_before_hours", "call_within_hours", "horizon_days_default", "horizon_days_max")
    raw = config_reader.mapping(cctx, data["clarification"], keys, keys)
    values = {k: config_reader.integer(cctx.at(k), raw[k], 1, "4") for k in keys}
    clar = Clarification(**values)
    if clar.reminder_before_hours >= clar.deadline_hours:
        raise cctx.at("reminder_before_hours").error("must be less than deadline_hours", "write e.g. 1")
    if clar.horizon_days_default > clar.horizon_days_max:
        raise cctx.at("horizon_days_default").error("must not exceed horizon_days_max", "write e.g. 5")
    return Rules(version, file, zone, {k: str(v).strip() for k, v in closed.items()}, periods, tuple(rules), titles, on_call, clar)


def load(path: Path = FILE) -> Rules:
    data, _ = config_reader.read_yaml(path, AcuteConfigError)
    return parse(data, str(path))


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> Rules:
    return load(Path(path))


def rules() -> Rules:
    """The shipped file, read when first used and again when it changes."""
    return _cached(str(FILE), FILE.stat().st_mtime)
