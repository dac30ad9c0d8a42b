"""The acute function's routing rules (opspor.web.acute.routing) at every edge: 08:00 and 16:00
on a weekday, Friday 16:00 to Monday 08:00, public holidays (Easter, Christmas, Store Bededag
before and after its abolition in 2024), the agreement's extra closed days, daylight saving
time, and the hospital doctor around the clock; then the reader's errors. Plain unit tests on the
reader: no database, no Django."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from opspor.web.acute import routing

CPH = ZoneInfo("Europe/Copenhagen")
RULES = routing.load()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CPH)


def gp(text: str) -> str:
    return RULES.responsible("gp", at(text)).responsible


@pytest.mark.parametrize(("moment", "who"), [
    # a weekday (Wednesday 2026-12-02): 08:00 is the GP's, 16:00 is the on-call service's
    ("2026-12-02 07:59:59", "on_call"),
    ("2026-12-02 08:00", "referring_gp"),
    ("2026-12-02 12:00", "referring_gp"),
    ("2026-12-02 15:59:59", "referring_gp"),
    ("2026-12-02 16:00", "on_call"),
    ("2026-12-02 23:59", "on_call"),
    ("2026-12-03 00:00", "on_call"),
    # Friday 16:00 to Monday 08:00
    ("2026-12-04 15:59", "referring_gp"),
    ("2026-12-04 16:00", "on_call"),
    ("2026-12-05 10:00", "on_call"),
    ("2026-12-05 17:30", "on_call"),  # the journey's Saturday evening
    ("2026-12-06 12:00", "on_call"),
    ("2026-12-07 07:59", "on_call"),
    ("2026-12-07 08:00", "referring_gp"),
    # public holidays on weekdays
    ("2026-04-02 10:00", "on_call"),  # Skærtorsdag
    ("2026-04-03 10:00", "on_call"),  # Langfredag
    ("2026-04-06 10:00", "on_call"),  # Anden påskedag (Monday)
    ("2026-04-07 10:00", "referring_gp"),  # the Tuesday after
    ("2026-05-14 10:00", "on_call"),  # Kristi himmelfartsdag
    ("2026-05-25 10:00", "on_call"),  # Anden pinsedag
    ("2026-12-25 10:00", "on_call"),  # Juledag (Friday)
    ("2027-12-27 10:00", "referring_gp"),  # 2027: Christmas at the weekend, the Monday after is a workday
    ("2027-01-01 10:00", "on_call"),  # Nytårsdag
    # the agreement's extra closed days
    ("2026-12-24 10:00", "on_call"),
    ("2026-12-31 10:00", "on_call"),
    # Store Bededag: a holiday in 2023, abolished from 2024
    ("2023-05-05 10:00", "on_call"),
    ("2024-04-26 10:00", "referring_gp"),
    ("2026-05-01 10:00", "referring_gp"),  # 1 May is not a public holiday
    ("2026-06-05 10:00", "referring_gp"),  # Grundlovsdag is not a public holiday
])
def test_gp_referrals_by_the_hour(moment, who):
    assert gp(moment) == who


def test_the_holiday_is_named():
    assert RULES.responsible("gp", at("2026-04-06 10:00")).holiday == "Anden påskedag"
    assert RULES.responsible("gp", at("2026-12-25 10:00")).holiday == "Juledag"
    assert RULES.responsible("gp", at("2026-12-24 10:00")).holiday == "Juleaftensdag"
    assert RULES.responsible("gp", at("2026-12-02 10:00")).holiday is None


def test_the_local_time_counts_whatever_zone_the_moment_is_given_in():
    # 07:00 UTC is 08:00 in Copenhagen in winter, 09:00 in summer
    assert RULES.responsible("gp", dt.datetime(2026, 12, 2, 7, 0, tzinfo=dt.UTC)).responsible == "referring_gp"
    assert RULES.responsible("gp", dt.datetime(2026, 12, 2, 6, 59, tzinfo=dt.UTC)).responsible == "on_call"
    assert RULES.responsible("gp", dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)).responsible == "referring_gp"
    assert RULES.responsible("gp", dt.datetime(2026, 7, 1, 14, 0, tzinfo=dt.UTC)).responsible == "on_call"
    with pytest.raises(ValueError, match="time zone"):
        RULES.responsible("gp", dt.datetime(2026, 12, 2, 10, 0))


@pytest.mark.parametrize("moment", ["2026-12-02 10:00", "2026-12-02 16:00", "2026-12-05 17:30", "2026-12-25 03:00"])
def test_hospital_referrals_keep_the_hospital_doctor_around_the_clock(moment):
    route = RULES.responsible("hospital", at(moment))
    assert (route.responsible, route.rule) == ("referring_doctor", "hospital")


def test_the_route_names_rule_version_and_titles():
    route = RULES.responsible("gp", at("2026-12-05 17:30"))
    assert (route.rule, route.version, route.title_da) == ("gp_out_of_hours", RULES.version, "Lægevagten")
    assert RULES.on_call_of("1083").phone == "70 11 07 07" and RULES.on_call_of("1082").phone == "70 11 31 31"
    with pytest.raises(ValueError, match="unknown referrer"):
        RULES.responsible("on_call", at("2026-12-05 17:30"))


def _text() -> str:
    return routing.FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("change", "key", "fix"), [
    (('from: "08:00"', 'from: "8"'), "periods.gp_daytime.from", "HH:MM"),
    (('to: "16:00"', 'to: "07:00"'), "periods.gp_daytime.to", "later than `from`"),
    (("days: [mon, tue, wed, thu, fri]", "days: [mon, tue, wed, thu, fr]"), "periods.gp_daytime.days[4]", "did you mean `fri`?"),
    (("period: gp_daytime, responsible: referring_gp", "period: daytime, responsible: referring_gp"), "rules[0].period",
     "gp_daytime"),
    (("{id: gp_out_of_hours, referrer: gp, responsible: on_call}",
      "{id: gp_out_of_hours, referrer: gp, period: gp_daytime, responsible: on_call}"), "rules", "without `period`"),
    (("responsible: on_call}", "responsible: vagtlaege}"), "rules[1].responsible", "on_call"),
    (('"12-24": "Juleaftensdag"', '"24-12": "Juleaftensdag"'), "holidays.also_closed.24-12", "MM-DD"),
    (("deadline_hours: 4", "deadline_hours: 1"), "clarification.reminder_before_hours", "less than deadline_hours"),
    (("time_zone: Europe/Copenhagen", "time_zone: Europe/Odense"), "time_zone", "Europe/Copenhagen"),
])
def test_a_bad_file_names_file_key_and_fix(change, key, fix):
    text = _text()
    assert change[0] in text, change[0]
    with pytest.raises(routing.AcuteConfigError) as e:
        routing.parse(routing.config_reader.parse_yaml(text.replace(change[0], change[1], 1), "acute.yaml",
                                                        routing.AcuteConfigError), "acute.yaml")
    assert (e.value.file, e.value.key) == ("acute.yaml", key) and fix in str(e.value), str(e.value)
