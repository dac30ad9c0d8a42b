"""Features for every person alive on an as-of date, computed set-based in DuckDB on a snapshot.

The as-of date A has the reference time T = A 00:00. What may enter (no look-ahead):

* persons alive at T (``death_date`` empty or ``>= A``, as the generator's truth counts them);
  the death date itself is never a feature;
* contacts that started before T; a contact that ends after T (or has no end) counts only with
  the part before T: its end is read as ``min(end, T)``. "Still in hospital at T" is known at T,
  so ``admitted_at_as_of`` (an acute contact open at T) is a feature; how long the stay will last
  is not;
* admission, acute contact, home visit, remote contact and readmission are the shared concepts
  of ``rules/config/concepts.yaml``, compiled by :mod:`opspor.rules.concepts`: an admission is a
  contact of ``admission_hours`` or more counted up to T — a stay begun 5 hours before T is not
  (yet) an admission, exactly as in the eligibility rule;
* ``residence_type``, sex, region and municipality are the snapshot's values: the data contract
  keeps no history of them (docs/risk.md says what that means for a real extract).

Feature names, kinds and definitions form the *feature schema*; a model stores it and refuses
data whose schema differs (:mod:`opspor.risk.registry`). The schema follows from the
configuration alone, never from the data, so categories are fixed lists (reference data).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opspor import contract, reference
from opspor.engines import Engine
from opspor.risk.config import Ctx, FeatureConfig
from opspor.rules import concepts as clinical
from opspor.rules.sql import Dialect

NUMERIC, BINARY, CATEGORICAL = "numeric", "binary", "categorical"

_COUNT_TEXT = {
    "acute_admissions": "acute contacts that were admissions (>= {h} h up to T), started in [T-{w}d, T)",
    "acute_outpatient": "acute contacts ended by T that were not admissions, started in [T-{w}d, T)",
    "planned_contacts": "planned contacts of any type and length, started in [T-{w}d, T)",
    "planned_admissions": "planned contacts that were admissions (>= {h} h up to T), started in [T-{w}d, T)",
    "bed_days": "days of admissions (any priority) inside [T-{w}d, T), stays clipped at T",
    "home_visits": "contacts meeting {home_visit}, started in [T-{w}d, T)",
    "remote_contacts": "contacts meeting {remote_contact}, started in [T-{w}d, T)",
}
# The concept each count asks for (beside admission and acute contact).
_COUNT_CONCEPT = {"home_visits": "home_visit", "remote_contacts": "remote_contact"}


def _concept_text(name: str) -> str:
    """A concept in a feature definition: its name and the version of the concepts file (part of
    the schema, so a model trained on another definition is refused)."""
    return f"the concept {name} (concepts.yaml version {clinical.shipped().version})"


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # numeric, binary or categorical
    definition: str  # what it means, in words: part of the schema, so a changed meaning shows
    categories: tuple[str, ...] = ()  # categorical: value i means categories[i]; NaN = unknown
    scale: str = "count"  # for the logistic model: count (log1p), age, days, flag, category

    def schema(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "definition": self.definition}
        if self.categories:
            out["categories"] = list(self.categories)
        return out


@dataclass
class FeatureFrame:
    """The features of one as-of date: one row per person alive at T, ordered by
    ``person_key`` (an order every engine gives alike)."""

    as_of: date
    names: tuple[str, ...]
    X: np.ndarray  # float32, shape (persons, features); NaN = unknown
    person_key: pa.Array
    region_code: pa.Array
    seconds: float = 0.0

    def __len__(self) -> int:
        return self.X.shape[0]

    def column(self, name: str) -> np.ndarray:
        return self.X[:, self.names.index(name)]


@dataclass(frozen=True)
class ExplainSpec:
    """An explanation group resolved to feature indices."""

    name: str
    columns: tuple[int, ...]
    texts: tuple  # of config.ExplainText
    condition: str | None = None  # the condition's name, for condition groups


class FeatureSet:
    """The features a configuration defines: names, kinds, schema, SQL and computation."""

    def __init__(self, cfg: FeatureConfig):
        self.cfg = cfg
        self.features = self._build()
        self.names = tuple(f.name for f in self.features)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.explain = self._explain_groups()

    # -- the schema ------------------------------------------------------------------------

    def _build(self) -> list[Feature]:
        c = self.cfg
        h = c.admission_hours
        regions = tuple(r.code for r in reference.regions())
        municipalities = tuple(sorted(m.code for m in reference.municipalities()))
        out = [
            Feature("age", NUMERIC, "completed years at A from birth_date", scale="age"),
            Feature("sex_male", BINARY, "1 if sex is M", scale="flag"),
            Feature("region", CATEGORICAL, "region_code of the person", regions, "category"),
            Feature("municipality", CATEGORICAL, "municipality_code of the person", municipalities,
                    "category"),
            Feature("residence", CATEGORICAL, "residence_type as recorded (unknown = missing)",
                    contract.RESIDENCE_TYPES, "category"),
            Feature("admitted_at_as_of", BINARY, "an acute contact started before T is open at T",
                    scale="flag"),
        ]
        for kind in c.counts:
            for w in c.windows_days:
                out.append(Feature(f"{kind}_{w}d", NUMERIC, _COUNT_TEXT[kind].format(
                    h=h, w=w, **{k: _concept_text(k) for k in _COUNT_CONCEPT.values()})))
        longest = max(c.windows_days)
        out.append(Feature(
            "days_since_acute_discharge", NUMERIC,
            f"days from the end (clipped at T) of the last acute admission started in [T-{longest}d, T) "
            f"to T; 0 while admitted; {longest} if none", scale="days"))
        out.append(Feature(
            f"acute_stay_hours_{longest}d", NUMERIC,
            f"mean length in hours (clipped at T) of the acute admissions started in [T-{longest}d, T); "
            "missing if none"))
        for d in c.recency_decay_days:
            out.append(Feature(
                f"acute_recency_{d}d", NUMERIC,
                f"sum over acute admissions started in [T-{longest}d, T) of exp(-days from their end "
                f"(clipped at T) to T / {d})"))
        out.append(Feature(
            f"readmissions_{c.readmission_window_days}d", NUMERIC,
            f"acute admissions started in [T-{c.readmission_window_days}d, T) at most "
            f"{c.readmission_within_days} days after the end of an earlier admission of any priority"))
        out.append(Feature(
            f"departments_{c.departments_window_days}d", NUMERIC,
            f"distinct course departments of contacts started in [T-{c.departments_window_days}d, T)"))
        for g in c.conditions:
            out.append(Feature(
                f"cond_{g.name}", BINARY,
                f"a contact started in [T-{c.condition_window_days}d, T) has an action or secondary "
                f"diagnosis matching {', '.join(g.codes.entries)}", scale="flag"))
        out.append(Feature("n_conditions", NUMERIC, "number of the cond_ features that are 1"))
        seen = set()
        for f in out:
            assert f.name not in seen, f.name
            seen.add(f.name)
        return out

    def schema(self) -> list[dict]:
        return [f.schema() for f in self.features]

    @property
    def schema_digest(self) -> str:
        text = json.dumps(self.schema(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _explain_groups(self) -> tuple[ExplainSpec, ...]:
        ctx = Ctx(self.cfg.file, "explain.groups")
        owner: dict[str, str] = {}
        groups: list[ExplainSpec] = []
        for g in self.cfg.explain_groups:
            gctx = ctx.at(g.name)
            cols: list[int] = []
            for i, pattern in enumerate(g.features):
                hits = [n for n in self.names if fnmatch.fnmatchcase(n, pattern)]
                if not hits:
                    raise gctx.at("features").at(i).error(
                        f"no feature matches {pattern!r}",
                        f"use feature names ({', '.join(n for n in self.names if not n.startswith('cond_'))}) "
                        "or `prefix_*`")
                for name in hits:
                    if name.startswith("cond_"):
                        raise gctx.at("features").at(i).error(
                            f"{name} is explained as a condition of its own", "leave cond_ features out")
                    if name in owner:
                        raise gctx.at("features").at(i).error(
                            f"{name} is already in group {owner[name]!r}", "put each feature in one group")
                    owner[name] = g.name
                    cols.append(self.index[name])
            for i, text in enumerate(g.texts):
                self._check_text(gctx.at("texts").at(i), text)
            groups.append(ExplainSpec(g.name, tuple(cols), g.texts))
        for cond in self.cfg.conditions:
            name = f"cond_{cond.name}"
            owner[name] = name
            groups.append(ExplainSpec(name, (self.index[name],), (), cond.name))
        missing = [n for n in self.names if n not in owner]
        if missing:
            raise ctx.error(f"the features {', '.join(missing)} are in no explanation group",
                            "add them to a group's `features:` (a new group needs `texts:`)")
        return tuple(groups)

    def _check_text(self, ctx: Ctx, text) -> None:
        if text.when is not None:
            name, _, value = text.when.partition("=")
            f = self.features[self.index[name]] if name in self.index else None
            if f is None:
                raise ctx.at("when").error(f"no feature named {name!r}", "name a feature of this group")
            if value and f.kind == CATEGORICAL and value not in f.categories:
                raise ctx.at("when").error(f"{name} has no category {value!r}",
                                           f"use one of: {', '.join(f.categories)}")
            if value and f.kind != CATEGORICAL:
                try:
                    float(value)
                except ValueError:
                    raise ctx.at("when").error(f"{name} is a number, {value!r} is not",
                                               f"write e.g. `{name}=1`") from None
        for lang in ("da", "en"):
            template = getattr(text, lang)
            for part in _fields(template):
                if part not in self.index and part != "conditions":
                    raise ctx.at(lang).error(f"the text names {{{part}}}, which is not a feature",
                                             "name a feature in braces, e.g. {age} (or {conditions}: "
                                             "the person's conditions by name)")

    # -- the SQL ---------------------------------------------------------------------------

    def queries(self, as_of: date, dialect: Dialect, keys_table: str | None = None) -> dict[str, str]:
        """The feature queries for ``as_of``, each returning ``person_key`` and some features by
        name; ``persons`` gives one row per person alive at T, ordered by ``person_key``.

        The other queries return only persons with contacts; everybody else has the default
        (0; ``days_since_acute_discharge``: the longest window; ``acute_stay_hours``: missing). Contacts are grouped by
        ``person_key`` first and joined to ``persons`` afterwards: at national scale that is
        several times faster than joining 20 M contacts first (docs/benchmarks.md).

        Written in SQL every engine runs alike (the Spark engine transpiles it): no ``rowid``,
        ``ASOF JOIN``, list or bit functions.
        """
        c = self.cfg
        d = dialect
        at = datetime.combine(as_of, datetime.min.time())
        T = d.timestamp(at)
        A = d.date(as_of)
        concepts = clinical.shipped()
        reach = c.history_days + c.readmission_within_days  # an admission ending before a window
        keys = f" AND person_key IN (SELECT person_key FROM {keys_table})" if keys_table else ""
        alive = f"(death_date IS NULL OR death_date >= {A}) AND (birth_date IS NULL OR birth_date < {A})"
        stop = f'least(coalesce("end", {T}), {T})'
        # contacts that exist at T (start < T), with the part of a stay before T
        existing = (
            f"SELECT person_key, {concepts.sql('acute_contact', d, 'contacts', at)} AS acute, "
            + "".join(f"{concepts.sql(name, d, 'contacts', at)} AS {kind}, "
                      for kind, name in _COUNT_CONCEPT.items() if kind in c.counts)
            + f"course_department, action_diagnosis, secondary_diagnoses, start, \"end\", {stop} AS stop, "
            f"(\"end\" IS NULL OR \"end\" > {T}) AS open_at_t, "
            f"{concepts.sql('admission', d, 'contacts', at)} AS adm "
            f"FROM contacts WHERE start < {T} AND coalesce(\"end\", {T}) >= {d.add_days(T, -reach)}{keys}"
        )

        def since(w: int) -> str:
            return f"start >= {d.add_days(T, -w)}"

        def per_person(body: str, columns: list[str]) -> str:
            """Per-person rows (keyed by person_key) of the persons alive at T."""
            return (f"WITH x AS ({body}) SELECT x.person_key, {', '.join(f'x.{n}' for n in columns)} "
                    f"FROM x JOIN persons p ON p.person_key = x.person_key WHERE {alive}")

        aggs: list[str] = []
        names: list[str] = []
        for kind in c.counts:
            for w in c.windows_days:
                name = f"{kind}_{w}d"
                names.append(name)
                if kind == "bed_days":
                    lower = f"greatest(start, {d.add_days(T, -w)})"
                    aggs.append(f"coalesce(sum(greatest(epoch(stop) - epoch({lower}), 0)) "
                                f"FILTER (WHERE adm), 0) / 86400.0 AS {name}")
                    continue
                cond = {
                    "acute_admissions": "acute AND adm",
                    "acute_outpatient": "acute AND NOT adm AND NOT open_at_t",
                    "planned_contacts": "NOT acute",
                    "planned_admissions": "NOT acute AND adm",
                    **{k: k for k in _COUNT_CONCEPT},  # the flag computed in `existing`
                }[kind]
                aggs.append(f"count(*) FILTER (WHERE {cond} AND {since(w)}) AS {name}")
        longest = max(c.windows_days)
        recent = f"acute AND adm AND {since(longest)}"
        aggs.append(f"coalesce(least((epoch({T}) - epoch(max(stop) FILTER (WHERE {recent}))) / 86400.0, "
                    f"{longest}), {longest}) AS days_since_acute_discharge")
        names.append("days_since_acute_discharge")
        aggs.append(f"avg(epoch(stop) - epoch(start)) FILTER (WHERE {recent}) / 3600.0 "
                    f"AS acute_stay_hours_{longest}d")
        names.append(f"acute_stay_hours_{longest}d")
        for decay in c.recency_decay_days:
            aggs.append(f"coalesce(sum(exp(-(epoch({T}) - epoch(stop)) / {86400.0 * decay})) "
                        f"FILTER (WHERE {recent}), 0) AS acute_recency_{decay}d")
            names.append(f"acute_recency_{decay}d")
        aggs.append("coalesce(bool_or(open_at_t) FILTER (WHERE acute), FALSE) AS admitted_at_as_of")
        names.append("admitted_at_as_of")

        dw = c.departments_window_days
        rw, within = c.readmission_window_days, c.readmission_within_days
        cw = c.condition_window_days
        flags = ", ".join(
            f"CASE WHEN {d.starts_with_any('code', g.codes.prefixes)} THEN 1 ELSE 0 END AS c{i}"
            for i, g in enumerate(c.conditions))
        any_flag = " + ".join(f"c{i}" for i in range(len(c.conditions)))
        has = [f"max(c{i})" for i in range(len(c.conditions))]
        conds = [f"{h} = 1 AS cond_{g.name}" for h, g in zip(has, c.conditions, strict=True)]

        age = d.age_years("birth_date", as_of)

        def position(feature: str, expr: str) -> str:
            cases = " ".join(f"WHEN {d.string(v)} THEN {i}"
                             for i, v in enumerate(self.features[self.index[feature]].categories))
            return f"CASE {expr} {cases} END AS {feature}"

        return {
            "persons": (
                f"SELECT person_key, region_code, {age} AS age, "
                "CASE WHEN sex = 'M' THEN 1 WHEN sex IS NULL THEN NULL ELSE 0 END AS sex_male, "
                f"{position('region', 'region_code')}, {position('municipality', 'municipality_code')}, "
                f"{position('residence', 'residence_type')} "
                f"FROM persons WHERE {alive}{keys} ORDER BY person_key"
            ),
            "contacts": per_person(
                f"SELECT person_key, {', '.join(aggs)} FROM ({existing}) GROUP BY person_key", names),
            "departments": per_person(
                f"SELECT person_key, count(*) AS departments_{dw}d FROM (SELECT DISTINCT person_key, "
                f"course_department FROM ({existing}) WHERE {since(dw)}) GROUP BY person_key",
                [f"departments_{dw}d"]),
            # an acute admission in the window counts when the latest admission end at or
            # before its start (ends sort before starts at the same time) is within `within` days
            "readmissions": per_person(
                f"WITH a AS (SELECT person_key, acute, start, \"end\" FROM ({existing}) WHERE adm), "
                f"ev AS (SELECT person_key, \"end\" AS t, 0 AS kind FROM a WHERE \"end\" IS NOT NULL "
                f"UNION ALL SELECT person_key, start AS t, 1 AS kind FROM a WHERE acute AND {since(rw)}), "
                f"w AS (SELECT person_key, t, kind, max(CASE WHEN kind = 0 THEN t END) OVER (PARTITION BY "
                f"person_key ORDER BY t, kind ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS e FROM ev) "
                f"SELECT person_key, count(*) AS readmissions_{rw}d FROM w "
                f"WHERE kind = 1 AND e IS NOT NULL AND t <= {d.add_days('e', within)} GROUP BY person_key",
                [f"readmissions_{rw}d"]),
            "conditions": per_person(
                f"WITH e AS ({existing}), dx AS MATERIALIZED ("
                f"SELECT person_key, action_diagnosis AS code FROM e WHERE {since(cw)} "
                f"UNION ALL SELECT person_key, unnest(secondary_diagnoses) AS code FROM e "
                f"WHERE {since(cw)} AND secondary_diagnoses IS NOT NULL), "
                f"code_flags AS (SELECT * FROM (SELECT code, {flags} FROM (SELECT DISTINCT code FROM dx "
                f"WHERE code IS NOT NULL)) WHERE {any_flag} > 0) "
                f"SELECT dx.person_key, {', '.join(conds)}, {' + '.join(has)} AS n_conditions "
                f"FROM dx JOIN code_flags f ON f.code = dx.code GROUP BY dx.person_key",
                [f"cond_{g.name}" for g in c.conditions] + ["n_conditions"]),
        }

    def defaults(self) -> np.ndarray:
        """A person's features when the queries return nothing for them (no contacts)."""
        row = np.zeros(len(self.names), dtype=np.float32)
        longest = max(self.cfg.windows_days)
        row[self.index["days_since_acute_discharge"]] = longest
        row[self.index[f"acute_stay_hours_{longest}d"]] = np.nan
        return row

    # -- computing -------------------------------------------------------------------------

    def compute(
        self,
        engine: Engine,
        as_of: date,
        person_keys: list[str] | None = None,
    ) -> FeatureFrame:
        """The features at ``as_of`` for everybody alive at T (or only ``person_keys``), in the
        order of the ``persons`` table (stable for a snapshot)."""
        started = time.perf_counter()
        keys_table = None
        if person_keys is not None:
            keys_table = "_opspor_risk_keys"
            engine.register(keys_table, pa.table({"person_key": pa.array(person_keys, pa.string())}))
        try:
            queries = self.queries(as_of, engine.dialect, keys_table)
            persons = engine.query(queries.pop("persons"))
            order = _flat(persons.column("person_key"))
            X = np.empty((persons.num_rows, len(self.names)), dtype=np.float32)
            X[:] = self.defaults()
            for name in ("age", "sex_male", "region", "municipality", "residence"):
                X[:, self.index[name]] = _floats(persons.column(name))
            for query in queries.values():
                part = engine.query(query)
                rows = pc.index_in(part.column("person_key"), value_set=order).to_numpy()
                for name in part.column_names[1:]:
                    X[rows, self.index[name]] = _floats(part.column(name))
                del part
        finally:
            if keys_table:
                engine.unregister(keys_table)
        return FeatureFrame(as_of, self.names, X, order,
                            _flat(persons.column("region_code")), time.perf_counter() - started)


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A column as float32 (booleans 0/1, NULL -> NaN)."""
    if pa.types.is_boolean(column.type):
        column = column.cast(pa.int8())
    return column.cast(pa.float32()).to_numpy()


def _flat(column: pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)


def _fields(template: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def compare_schema(trained: list[dict], current: list[dict]) -> list[str]:
    """The differences between two feature schemas, one readable line each (empty: equal)."""
    old = {f["name"]: f for f in trained}
    new = {f["name"]: f for f in current}
    lines = []
    for name, was in old.items():
        now = new.get(name)
        if now is None:
            lines.append(f"{name}: in the model, not in the data")
        elif was != now:
            what = [k for k in ("kind", "definition", "categories") if was.get(k) != now.get(k)]
            lines.append(f"{name}: {', '.join(what)} differ (model: {was.get(what[0])!s:.80}; "
                         f"data: {now.get(what[0])!s:.80})")
    for name in new:
        if name not in old:
            lines.append(f"{name}: in the data, not in the model")
    if not lines and [f["name"] for f in trained] != [f["name"] for f in current]:
        lines.append("the features are the same but in another order")
    return lines


__all__ = ["Feature", "FeatureFrame", "FeatureSet", "compare_schema"]
