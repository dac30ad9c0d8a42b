"""A put-in excess of acute contacts in chosen municipalities (``opspor synth --excess 461=2.0``).

The residents of a chosen municipality get their person-level acute hazards multiplied by the
municipality's factor, as if something in the area (fewer municipal acute beds, weaker home care)
made every resident more likely to come to hospital acutely:

* ``s_adm`` — the scale of the acute-admission hazard (the cap on the base hazard still applies);
* ``s_out`` — the scale of the acute outpatient hazard.

Nothing else changes and no extra random number is drawn. Without the option the output is
byte-identical to a run without this module; with it, a chunk's random streams take a different
course after the first changed draw, so other residents' histories differ in detail but follow
the same law (their hazards are unchanged). Because a repeated acute
contact needs three contacts within 182 days, a factor ``f`` on the hazards raises the number of
patients with repeated acute contacts by more than ``f`` (roughly ``f`` to ``f**3``).

The ground truth follows (it is computed from the same ``s_adm``), and ``truth/excess.json``
records the factors, so a data alert (``opspor alerts``) can be checked against them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_FACTOR = 10.0


@dataclass(frozen=True)
class Excess:
    """Municipality code -> hazard factor (> 0; 1.0 = none), in the order given."""

    factors: tuple[tuple[str, float], ...]

    def as_dict(self) -> dict[str, float]:
        return dict(self.factors)


def parse(text: str) -> Excess:
    """``"461=2.0,479=1.8"`` -> :class:`Excess`; ``ValueError`` says what is wrong and the fix."""
    pairs: list[tuple[str, float]] = []
    seen: set[str] = set()
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        code, sep, value = item.partition("=")
        code = code.strip()
        if not sep or not code:
            raise ValueError(f"{item!r} is not CODE=FACTOR; write e.g. 461=2.0")
        try:
            factor = float(value)
        except ValueError:
            raise ValueError(f"{item!r}: the factor {value.strip()!r} is not a number; write e.g. 461=2.0") from None
        if not 0 < factor <= MAX_FACTOR:
            raise ValueError(f"{item!r}: the factor must be above 0 and at most {MAX_FACTOR:g} (1.0: no excess)")
        if code in seen:
            raise ValueError(f"municipality {code} is given twice; give each municipality once")
        seen.add(code)
        pairs.append((code, factor))
    if not pairs:
        raise ValueError("no municipality given; write e.g. 461=2.0,479=1.8")
    return Excess(tuple(pairs))


def check(excess: Excess, muni_codes: list[str]) -> None:
    """Every chosen municipality must be in the generated population."""
    missing = [c for c, _ in excess.factors if c not in muni_codes]
    if missing:
        raise ValueError(f"--excess: municipality {', '.join(missing)} is not in the population's "
                         f"municipalities ({', '.join(muni_codes)}); choose among them")


def apply(excess: Excess, p, muni_codes: list[str]) -> None:
    """Scale the chunk's ``s_adm`` and ``s_out`` in place by the residents' municipality factor."""
    factor = np.ones(len(muni_codes))
    for code, f in excess.factors:
        factor[muni_codes.index(code)] = f
    per_person = factor[p.muni]
    p.s_adm = p.s_adm * per_person
    p.s_out = p.s_out * per_person


def write(excess: Excess, truth_dir: Path) -> Path:
    path = Path(truth_dir) / "excess.json"
    doc = {
        "definition": "per municipality of residence: factor on the person-level acute admission "
        "(s_adm) and acute outpatient (s_out) hazards of every resident",
        "municipalities": excess.as_dict(),
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path
