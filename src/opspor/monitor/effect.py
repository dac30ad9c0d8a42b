"""Programme effect: intention-to-treat analysis of a randomised trial, and the before-after
comparison for a programme without randomisation (with its limits written out).

    participants = read_participants(Path("truth/trial.csv"))     # or rows from the web app
    data = outcomes(con, participants)                            # per person and horizon
    results = itt(data, who5=read_who5(Path("truth/trial_who5.csv")))

Outcomes, from the snapshot, per participant and horizon h (3, 6, 12 months = 91, 182, 365 days)
from the randomisation day T0 (00:00):

* ``admissions``: acute admissions (the concept ``acute_admission`` of rules/config/concepts.yaml,
  its length counted up to the data's end) starting in [T0, T0 + h);
* ``bed_days``: their days in hospital within the window (an admission still open at the data's
  end counts up to it);
* ``exposure``: days alive and observed in the window: up to death (the death day counts half)
  or the data's last day, whichever comes first.

Models (statsmodels), every participant analysed in the arm they were randomised to:

* admissions: negative binomial regression (NB2) with log(exposure) as offset, arm and — when
  there is more than one — stratum (the randomisation's stratification) as covariates; rate
  ratio intervention/control with its 95 % Wald interval. Poisson with robust (sandwich) errors
  when the negative binomial does not converge;
* bed-days: Poisson regression with offset and robust errors (a quasi-likelihood model: valid
  for non-integer, over-dispersed outcomes);
* well-being (WHO-5, 0-100) at months 0, 3, 6, 12: a linear mixed model with a random
  intercept per person and no arm difference at baseline (constrained longitudinal analysis):
  ``who5 ~ C(visit) + arm:3m + arm:6m + arm:12m``; difference in points with 95 % interval, and
  relative to the control mean at the visit.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from opspor.i18n import gettext_lazy as _
from opspor.i18n import translator
from opspor.monitor.errors import MonitorError
from opspor.rules import concepts as clinical

HORIZONS = ((3, 91), (6, 182), (12, 365))  # (months, days)
ARMS = ("intervention", "control")
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Participant:
    key: str  # CPR number (synthetic truth files) or person_key (the web app)
    arm: str
    stratum: str
    randomised_on: dt.date


@dataclass(frozen=True)
class Estimate:
    outcome: str  # admissions | bed_days | who5
    months: int
    measure: str  # rate_ratio | difference
    estimate: float | None
    low: float | None
    high: float | None
    p_value: float | None
    n_intervention: int
    n_control: int
    value_intervention: float | None  # rate per person-year / mean score
    value_control: float | None
    relative: float | None  # rate ratio - 1, or difference / control mean
    model: str
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def read_participants(path: Path) -> list[Participant]:
    """``trial.csv`` (``opspor synth --trial``) or any CSV with columns cpr or person_key, arm,
    stratum (or region_code), randomised_on."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        names = reader.fieldnames or []
        key = "person_key" if "person_key" in names else "cpr"
        for col in (key, "arm", "randomised_on"):
            if col not in names:
                raise MonitorError(f"{path}: no column {col!r}. Fix: give cpr or person_key, arm, "
                                   "stratum and randomised_on")
        for line, r in enumerate(reader, start=2):
            if r["arm"] not in ARMS:
                raise MonitorError(f"{path}: line {line}: arm {r['arm']!r}. Fix: write intervention or control")
            try:
                day = dt.date.fromisoformat(r["randomised_on"])
            except ValueError:
                raise MonitorError(f"{path}: line {line}: randomised_on {r['randomised_on']!r} is not a date. "
                                   "Fix: write it as 2024-01-01") from None
            out.append(Participant(r[key].replace("-", ""), r["arm"], r.get("stratum") or r.get("region_code") or "",
                                   day))
    if not out:
        raise MonitorError(f"{path}: no participants")
    return out


def read_who5(path: Path) -> list[tuple[str, int, float | None]]:
    """(key, visit month, score or None) rows from ``trial_who5.csv``."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        key = "person_key" if "person_key" in (reader.fieldnames or []) else "cpr"
        for r in reader:
            score = r["who5"].strip()
            out.append((r[key].replace("-", ""), int(r["visit_month"]), float(score) if score else None))
    return out


def outcomes(con, participants: list[Participant], key: str = "cpr", horizons=HORIZONS):
    """A pandas DataFrame: one row per participant and horizon (months, days) with admissions,
    bed_days and exposure (days). ``key``: ``cpr`` (joined through the snapshot's identity
    table, inside the query) or ``person_key``. Nothing identifying leaves this function but the
    row order; callers aggregate."""
    import pandas as pd

    if key not in ("cpr", "person_key"):
        raise MonitorError("key must be cpr or person_key")
    frame = pd.DataFrame({"k": [p.key for p in participants], "arm": [p.arm for p in participants],
                          "stratum": [p.stratum for p in participants],
                          "t0": pd.to_datetime([p.randomised_on for p in participants])})
    frame["pid"] = range(len(frame))
    hz = pd.DataFrame({"months": [m for m, _ in horizons], "days": [d for _, d in horizons]})
    con.register("trial_participants", frame)
    con.register("trial_horizons", hz)
    join = ("JOIN identity i ON i.cpr = tp.k JOIN persons p ON p.person_key = i.person_key"
            if key == "cpr" else "JOIN persons p ON p.person_key = tp.k")
    try:
        [data_end] = con.row('SELECT max(greatest("start", COALESCE("end", "start"))) FROM contacts')
        if data_end is None:
            raise MonitorError("the snapshot has no contacts, so no outcome can be measured")
        acute_admission = clinical.shipped().sql("acute_admission", con.dialect, "c", data_end)
        query = f"""
        WITH tp AS (SELECT * FROM trial_participants),
        pp AS (SELECT tp.pid, tp.arm, tp.stratum, tp.t0, p.person_key, p.death_date FROM tp {join}),
        w AS (SELECT pp.*, h.months, h.days, pp.t0 + h.days * INTERVAL 1 DAY AS t1,
                     LEAST(pp.t0 + h.days * INTERVAL 1 DAY, TIMESTAMP '{data_end}',
                           COALESCE(CAST(pp.death_date AS TIMESTAMP) + INTERVAL 12 HOUR, TIMESTAMP '9999-01-01')) AS obs_end
              FROM pp CROSS JOIN trial_horizons h),
        adm AS (SELECT c.person_key, c."start", COALESCE(c."end", TIMESTAMP '{data_end}') AS fin
                FROM contacts c WHERE {acute_admission})
        SELECT w.pid, w.arm, w.stratum, w.months, w.days,
               greatest(epoch(w.obs_end) - epoch(w.t0), 0) / 86400.0 AS exposure,
               count(adm.person_key) AS admissions,
               COALESCE(sum(epoch(LEAST(adm.fin, w.t1, TIMESTAMP '{data_end}')) - epoch(adm."start")), 0) / 86400.0
                   AS bed_days
        FROM w LEFT JOIN adm ON adm.person_key = w.person_key AND adm."start" >= w.t0 AND adm."start" < w.obs_end
        GROUP BY ALL ORDER BY w.pid, w.months
        """
        result = con.query(query).to_pandas()
    finally:
        con.unregister("trial_participants")
        con.unregister("trial_horizons")
    missing = len(participants) - result["pid"].nunique()
    if missing:
        raise MonitorError(f"{missing} participant(s) are not in the snapshot. Fix: load the drop the "
                           "trial was drawn from, or give person_key for the snapshot's persons")
    return result


def _rate_ratio_nb(df, months: int):
    import numpy as np
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    d = df[(df.months == months) & (df.exposure > 0)].copy()
    d["treat"] = (d.arm == "intervention").astype(float)
    formula = "admissions ~ treat" + (" + C(stratum)" if d.stratum.nunique() > 1 else "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = smf.negativebinomial(formula, d, exposure=d.exposure).fit(disp=0, maxiter=200)
            if not fit.mle_retvals.get("converged", True) or not np.isfinite(fit.bse["treat"]):
                raise ValueError("no convergence")
            model = "negative binomial (NB2), offset log(exposure)"
        except Exception:  # noqa: BLE001 - fall back to Poisson with robust errors
            fit = smf.glm(formula, d, family=sm.families.Poisson(), exposure=d.exposure).fit(cov_type="HC0")
            model = "Poisson, offset log(exposure), robust errors (NB did not converge)"
    return d, fit, model


def _rate_estimate(outcome: str, d, fit, model: str, months: int, value_col: str) -> Estimate:
    b, se = float(fit.params["treat"]), float(fit.bse["treat"])
    i, c = d[d.arm == "intervention"], d[d.arm == "control"]
    rate = lambda g: float(g[value_col].sum() / (g.exposure.sum() / 365.25)) if g.exposure.sum() > 0 else None
    rr = math.exp(b)
    return Estimate(outcome, months, "rate_ratio", rr, math.exp(b - Z95 * se), math.exp(b + Z95 * se),
                    float(fit.pvalues["treat"]), len(i), len(c), rate(i), rate(c), rr - 1, model)


def itt(data, who5: list[tuple[str, int, float | None]] | None = None,
        participants: list[Participant] | None = None) -> list[Estimate]:
    """Intention-to-treat estimates at 3, 6 and 12 months (and WHO-5 if given, which needs the
    participants to know each person's arm)."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    out: list[Estimate] = []
    for months in sorted(data.months.unique()):
        d, fit, model = _rate_ratio_nb(data, int(months))
        out.append(_rate_estimate("admissions", d, fit, model, int(months), "admissions"))
        formula = "bed_days ~ treat" + (" + C(stratum)" if d.stratum.nunique() > 1 else "")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bfit = smf.glm(formula, d, family=sm.families.Poisson(), exposure=d.exposure).fit(cov_type="HC0")
        out.append(_rate_estimate("bed_days", d, bfit, "Poisson (quasi-likelihood), offset log(exposure), "
                                  "robust errors", int(months), "bed_days"))
    if who5 is not None:
        if participants is None:
            raise MonitorError("WHO-5 needs the participants (their arms)")
        out += who5_mixed(who5, participants)
    return out


def who5_mixed(who5: list[tuple[str, int, float | None]], participants: list[Participant]) -> list[Estimate]:
    import pandas as pd
    import statsmodels.formula.api as smf

    arm = {p.key: p.arm for p in participants}
    rows = [(k, m, s, arm[k]) for k, m, s in who5 if s is not None and k in arm]
    if not rows:
        return []
    d = pd.DataFrame(rows, columns=["person", "visit", "who5", "arm"])
    d["treat"] = (d.arm == "intervention").astype(float)
    visits = sorted(v for v in d.visit.unique() if v != 0)
    for v in visits:
        d[f"t{v}"] = d.treat * (d.visit == v)
    formula = "who5 ~ C(visit) + " + " + ".join(f"t{v}" for v in visits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(formula, d, groups=d["person"])
        fit = model.fit(reml=True, start_params=_moment_start(smf.ols(formula, d).fit(), d["person"]),
                        method="lbfgs")
        if not fit.converged:
            fit = model.fit(reml=True)
    out = []
    for v in visits:
        name = f"t{v}"
        b, se = float(fit.params[name]), float(fit.bse[name])
        at = d[d.visit == v]
        mean_i = float(at[at.arm == "intervention"].who5.mean())
        mean_c = float(at[at.arm == "control"].who5.mean())
        out.append(Estimate("who5", int(v), "difference", b, b - Z95 * se, b + Z95 * se, float(fit.pvalues[name]),
                            int((at.arm == "intervention").sum()), int((at.arm == "control").sum()),
                            mean_i, mean_c, b / mean_c if mean_c else None,
                            "linear mixed model, random intercept per person, no arm difference at baseline"))
    return out


def _moment_start(ols, groups):
    """Start values for the mixed model from moments (fixed effects by OLS; the variance ratio
    from the within- and between-person spread of the OLS residuals): the REML fit then needs a
    few iterations instead of dozens (statsmodels evaluates the likelihood person by person)."""
    import numpy as np
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    res = ols.resid
    g = res.groupby(groups)
    within = float(((res - g.transform("mean")) ** 2).sum() / max(len(res) - g.ngroups, 1))
    between = max(float(g.mean().var()) - within / float(g.size().mean()), 1e-3 * max(within, 1e-9))
    return MixedLMParams.from_components(fe_params=ols.params.values,
                                         cov_re=np.array([[between / max(within, 1e-9)]]))


# --------------------------------------------------------------------------- before-after

BEFORE_AFTER_LIMITS = (
    _("Regression to the mean: persons selected for many recent admissions will, on average, have "
      "fewer afterwards even without any intervention."),
    _("No comparison group: changes in the region (season, secular trends, new admission practice, "
      "LPR3) are attributed to the programme."),
    _("Selection: those who accept differ from those who decline."),
    _("Survival: persons who die after the start contribute less time; those who died before could not"
      " take part."),
    _("A before-after difference is therefore not an effect; at most it shows whether figures move."),
)


def before_after_limits(lang: str) -> list[str]:
    """:data:`BEFORE_AFTER_LIMITS` in ``lang``."""
    return [translator(lang)(line) for line in BEFORE_AFTER_LIMITS]


def before_after(con, participants: list[Participant], key: str = "cpr", days: int = 365,
                 label: str = "before_after") -> Estimate:
    """Acute admissions in the ``days`` before the start against the ``days`` after (each with its
    exposure): rate ratio after/before from a Poisson model with robust errors clustered by person.
    Not an effect estimate: see :data:`BEFORE_AFTER_LIMITS`."""
    import pandas as pd

    after = outcomes(con, participants, key, ((12, days),))
    shifted = [Participant(p.key, p.arm, p.stratum, p.randomised_on - dt.timedelta(days=days)) for p in participants]
    before = outcomes(con, shifted, key, ((12, days),))
    [data_start] = con.row('SELECT min("start") FROM contacts')
    first = min(p.randomised_on for p in shifted)
    note = "" if data_start is None or data_start.date() <= first else \
        f"the data begin {data_start.date()}, inside the 'before' window (from {first}): shorter exposure"
    # alive throughout the window (they were alive at the start); observed from the data's start
    starts = [max(p.randomised_on - dt.timedelta(days=days), data_start.date() if data_start else dt.date.min)
              for p in participants]
    observed = {i: float((p.randomised_on - s0).days) for i, (p, s0) in enumerate(zip(participants, starts, strict=True))}
    before = before.assign(period=0.0, exposure=before.pid.map(observed))
    after = after.assign(period=1.0)
    rr, low, high, p = period_ratio(pd.concat([before, after]))
    rate = lambda g: float(g.admissions.sum() / (g.exposure.sum() / 365.25))
    return Estimate(label, days * 12 // 365, "rate_ratio", rr, low, high, p, len(after), len(before), rate(after),
                    rate(before), rr - 1, PERIOD_RATIO_MODEL, note)


PERIOD_RATIO_MODEL = "Poisson, offset log(exposure), robust errors clustered by person; after vs before"


def period_ratio(d) -> tuple[float, float, float, float]:
    """Rate ratio after/before with its 95 % interval and p value from a DataFrame of ``pid``,
    ``period`` (0 before, 1 after), ``admissions`` and ``exposure`` (days; rows without exposure
    are left out): Poisson with log(exposure) as offset, robust errors clustered by person."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    d = d[d.exposure > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = smf.glm("admissions ~ period", d, family=sm.families.Poisson(), exposure=d.exposure).fit(
            cov_type="cluster", cov_kwds={"groups": d.pid})
    b, se = float(fit.params["period"]), float(fit.bse["period"])
    return math.exp(b), math.exp(b - Z95 * se), math.exp(b + Z95 * se), float(fit.pvalues["period"])
