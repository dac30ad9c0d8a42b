"""The two shipped rules written with Polars' lazy API: a benchmark peer of the DuckDB engine
(``bench_lists.py``), parameters from the same rule objects. Rows come out in the benchmark's
canonical tuple form, so they can be compared with the engine's."""

from __future__ import annotations

import datetime as dt

import polars as pl


def _codes(col: pl.Expr, prefixes: tuple[str, ...]) -> pl.Expr:
    """Starts with one of the prefixes; NULL -> False."""
    return pl.any_horizontal([col.str.starts_with(p) for p in prefixes]).fill_null(False)


def _any_code(col: str, prefixes: tuple[str, ...]) -> pl.Expr:
    """Some element of a list column starts with one of the prefixes; NULL/empty -> False."""
    return pl.col(col).list.eval(_codes(pl.element(), prefixes)).list.any().fill_null(False)


def meets(crit, at: dt.datetime, admission_hours: int | None) -> pl.Expr:
    """The contact criteria without ``preceded_by`` (see :func:`condition_hits`)."""
    m = pl.lit(True)
    for field in ("priority", "contact_type", "specialty"):
        values = getattr(crit, field)
        if values is not None:
            m &= pl.col(field).is_in(list(values)).fill_null(False)
    if crit.pathway_empty:
        m &= pl.col("pathway").is_null()
    if crit.drg_value_not_zero:
        m &= (pl.col("drg_value") != 0).fill_null(True)
    if crit.procedures_none_of is not None:
        m &= ~_any_code("procedures", crit.procedures_none_of.prefixes)
    if crit.procedures_any_of is not None:
        m &= _any_code("procedures", crit.procedures_any_of.prefixes)
    if crit.action_diagnosis_in is not None:
        m &= _codes(pl.col("action_diagnosis"), crit.action_diagnosis_in.prefixes)
    if crit.any_diagnosis_in is not None:
        p = crit.any_diagnosis_in.prefixes
        m &= _codes(pl.col("action_diagnosis"), p) | _any_code("secondary_diagnoses", p)
    if crit.admission:
        until = pl.min_horizontal(pl.col("end").fill_null(pl.lit(at)), pl.lit(at))
        m &= (pl.col("start") + pl.duration(hours=admission_hours) <= until).fill_null(False)
    return m


def condition_hits(df: pl.LazyFrame, contact, window_days, at, admission_hours) -> pl.LazyFrame:
    """The contacts meeting ``contact`` (with ``preceded_by``) in the window."""
    m = meets(contact, at, admission_hours)
    if window_days is not None:
        m &= pl.col("start") >= at - dt.timedelta(days=window_days)
    hits = df.filter(m)
    pb = contact.preceded_by
    if pb is None:
        return hits
    earlier = (df.filter(meets(pb.contact, at, admission_hours) & pl.col("end").is_not_null())
               .select("person_key", pl.col("contact_id").alias("e_id"), "end").sort("end"))
    # the latest earlier end at or before the start; an admission never ends at its own start,
    # so the match is another contact
    ok = (hits.select("person_key", "contact_id", "start").sort("start")
          .join_asof(earlier, left_on="start", right_on="end", by="person_key", strategy="backward",
                     check_sortedness=False)
          .filter(pl.col("end").is_not_null()
                  & (pl.col("start") - pl.col("end") <= dt.timedelta(days=pb.within_days))
                  & (pl.col("e_id") != pl.col("contact_id")))
          .select("contact_id"))
    return hits.join(ok, on="contact_id", how="semi")


def persons_meeting(df: pl.LazyFrame, cond, at, admission_hours) -> pl.LazyFrame:
    """person_key of the persons for whom the count condition holds."""
    hits = condition_hits(df, cond.contact, cond.window_days, at, admission_hours)
    if cond.same_hospital_unit:
        n = (hits.group_by("person_key", "hospital_unit").len()
             .group_by("person_key").agg(pl.col("len").max()))
    else:
        n = hits.group_by("person_key").len()
    return n.filter(pl.col("len") >= cond.at_least).select("person_key")


def repeated_acute(contacts: pl.LazyFrame, identity: pl.LazyFrame, day: dt.date, rule) -> list[tuple]:
    from bench_lists import _s, _ts

    def members(cutoff: dt.datetime) -> pl.LazyFrame:
        ex = contacts.filter(pl.col("start") < cutoff)
        target = persons_meeting(ex, rule.target_group, cutoff, rule.admission_hours)
        recent = cutoff - dt.timedelta(hours=rule.presence.ended_within_hours)
        return (ex.join(target, on="person_key", how="semi")
                .filter((pl.col("end").is_null() | (pl.col("end") >= recent))
                        & meets(rule.presence.contact, cutoff, rule.admission_hours))
                .select(pl.col("hospital_unit").alias("list_unit"),
                        pl.col("contact_department").alias("list_department"), "person_key")
                .unique())

    cutoff = rule.cutoff(day)
    now = members(cutoff)
    before = members(rule.cutoff(rule.previous_run_day(day))).with_columns(was=pl.lit(True))
    tg = rule.target_group
    ex = (contacts.filter((pl.col("start") < cutoff)
                          & (pl.col("start") >= cutoff - dt.timedelta(days=rule.lines_window_days)))
          .with_columns(counted=meets(tg.contact, cutoff, rule.admission_hours)
                        & (pl.col("start") >= cutoff - dt.timedelta(days=tg.window_days))))
    keys = ["list_unit", "list_department", "person_key"]
    lines = (now.join(ex, on="person_key")
             .join(before, on=keys, how="left", nulls_equal=True)
             .join(identity, on="person_key", how="left")
             .select("list_department", "list_unit", "cpr", "name", "contact_id", "action_diagnosis",
                     "course_department", "contact_department", "start", "end", "counted",
                     pl.col("was").is_null().alias("new_today"))
             .collect())
    return [
        (_s(d), _s(u), _s(cpr), _s(name), cid, _s(ad), _s(cd), _s(kd), _ts(s), _ts(e), bool(c), bool(n))
        for d, u, cpr, name, cid, ad, cd, kd, s, e, c, n in lines.iter_rows()
    ]


def eligibility(contacts: pl.LazyFrame, persons: pl.LazyFrame, identity: pl.LazyFrame,
                as_of: dt.date, rule) -> list[tuple]:
    from bench_lists import _s

    at = rule.reference_time(as_of)
    ex = contacts.filter(pl.col("start") < at)
    birth = pl.col("birth_date")
    age = (as_of.year - birth.dt.year()
           - ((birth.dt.month() > as_of.month)
              | ((birth.dt.month() == as_of.month) & (birth.dt.day() > as_of.day))).cast(pl.Int32))
    flags = persons
    route_cols, reason_cols = [], []
    for i, route in enumerate(rule.routes):
        hit = pl.lit(False)
        for j, cond in enumerate(route.any_of):
            name = f"r{i}_{j}"
            flags = flags.join(persons_meeting(ex, cond, at, rule.admission_hours)
                               .with_columns(pl.lit(True).alias(name)), on="person_key", how="left")
            hit |= pl.col(name).fill_null(False)
        if route.min_age is not None:
            hit &= (age >= route.min_age).fill_null(False)
        flags = flags.with_columns(hit.alias(f"r{i}"))
        route_cols.append(f"r{i}")
    for i, x in enumerate(rule.exclusions):
        name = f"x{i}"
        if x.contact is not None:
            hits = (condition_hits(ex, x.contact, x.window_days, at, rule.admission_hours)
                    .select("person_key").unique().with_columns(pl.lit(True).alias(name)))
            flags = flags.join(hits, on="person_key", how="left").with_columns(pl.col(name).fill_null(False))
        elif x.residence_type is not None:
            flags = flags.with_columns(pl.col("residence_type").is_in(list(x.residence_type))
                                       .fill_null(False).alias(name))
        else:
            flags = flags.with_columns((pl.col("death_date") <= as_of).fill_null(False).alias(name))
        reason_cols.append(name)
    listed = (flags.filter(pl.any_horizontal(route_cols))
              .join(identity, on="person_key", how="left")
              .select("cpr", "region_code", "municipality_code", *route_cols, *reason_cols)
              .collect())
    route_ids = [r.id for r in rule.routes]
    reason_ids = [x.reason for x in rule.exclusions]
    out = []
    for cpr, region, municipality, *bits in listed.iter_rows():
        routes, reasons = bits[:len(route_ids)], bits[len(route_ids):]
        why = tuple(r for r, hit in zip(reason_ids, reasons, strict=True) if hit)
        out.append((_s(cpr), _s(region), _s(municipality),
                    tuple(r for r, hit in zip(route_ids, routes, strict=True) if hit), bool(why), why))
    return out
