"""A shift of the acute-admission risk in chosen municipalities from a given day
(``opspor synth --risk-shift 461=2.0 --risk-shift-from 2024-07-01``), so that the risk model's
monitoring after deployment (``opspor risk monitor``) can be checked against a known change.

From the start day on, the residents of a chosen municipality have the person-level scale of
their acute-admission hazard (``s_adm``) multiplied by the municipality's factor, as if care in
the area had changed after the model was trained; before that day nothing differs. Acute
outpatient contacts, deaths and planned care are unchanged. No extra random number is drawn:
without the option the output is byte-identical to a run without this module.

The ground truth follows: the true probabilities of an as-of date on or after the start day are
computed with the shifted hazard (exact, as the whole horizon lies after the start); those of
earlier as-of dates without it (their horizon is partly before the start, so they are the
probabilities as known on that day). ``truth/risk_shift.json`` and the truth manifest record the
factors and the day. The argument is written as ``--excess``'s (:func:`opspor.synth.excess.parse`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from opspor.synth import excess as excess_mod

FILE = "risk_shift.json"


@dataclass(frozen=True)
class RiskShift:
    """Municipality code -> factor on the acute-admission hazard, from ``start`` on."""

    factors: tuple[tuple[str, float], ...]
    start: dt.date

    def as_dict(self) -> dict[str, float]:
        return dict(self.factors)

    def describe(self) -> dict:
        return {"municipalities": self.as_dict(), "from": self.start.isoformat(), "file": FILE}


def parse(text: str, start: dt.date) -> RiskShift:
    """``"461=2.0,479=1.5"`` from ``start`` -> :class:`RiskShift`; ``ValueError`` names the fix."""
    return RiskShift(excess_mod.parse(text).factors, start)


def check(shift: RiskShift, muni_codes: list[str], first: dt.date, last: dt.date) -> None:
    """Every municipality must be in the population and the day inside the period (after its first day)."""
    missing = [c for c, _ in shift.factors if c not in muni_codes]
    if missing:
        raise ValueError(f"--risk-shift: municipality {', '.join(missing)} is not in the population's "
                         f"municipalities ({', '.join(muni_codes)}); choose among them")
    if not first < shift.start <= last:
        raise ValueError(f"--risk-shift-from: {shift.start} must lie after {first} and not after {last}")


def factors(shift: RiskShift, p, muni_codes: list[str]) -> np.ndarray:
    """The per-person factor of a chunk (1.0 outside the chosen municipalities)."""
    by_muni = np.ones(len(muni_codes))
    for code, f in shift.factors:
        by_muni[muni_codes.index(code)] = f
    return by_muni[p.muni]


def shifted(p, per_person: np.ndarray):
    """A copy of the chunk's persons with the shifted acute-admission scale (for the truth)."""
    return dataclasses.replace(p, s_adm=p.s_adm * per_person)


def write(shift: RiskShift, truth_dir: Path) -> Path:
    path = Path(truth_dir) / FILE
    doc = {
        "definition": "per municipality of residence, from the day `from` on: factor on the "
        "person-level acute-admission hazard (s_adm) of every resident; true probabilities of "
        "as-of dates on or after that day include it",
        "municipalities": shift.as_dict(),
        "from": shift.start.isoformat(),
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path
