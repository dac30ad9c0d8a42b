"""The generator's configuration as arrays: conditions, causes, codes (from ``data/*.yaml``).

Everything the process needs per condition or cause is turned into small NumPy tables once
(``load()`` is cached), so the simulation indexes arrays instead of walking dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from opspor import config_reader
from opspor.contract import PATHWAYS

AGE_GROUPS = ("child", "adult", "old")  # 0-17, 18-64, 65+
MAX_AGE = 110

# Department keys: the second part of the reference department codes (``OUH-MED``).
DEPT_KEYS = ("AKU", "MED", "LUM", "HJM", "END", "GER", "KIR", "ORT", "PAE", "GYN", "PSY", "ONK", "RAD")
DEPT = {k: i for i, k in enumerate(DEPT_KEYS)}
MEDICAL_KEYS = ("MED", "LUM", "HJM", "END", "GER")

# Length-of-stay classes of acute admissions: (median of the part above 12 h in hours, log sd).
LOS_CLASSES = {
    "medical": (32.0, 1.25),
    "surgical": (40.0, 0.9),
    "orthopaedic": (100.0, 0.8),
    "psychiatric": (220.0, 1.1),
    "oncology": (70.0, 0.9),
    "birth": (28.0, 0.5),
    "paediatric": (20.0, 0.8),
}
LOS_KEYS = tuple(LOS_CLASSES)

PATHWAY = {p: i for i, p in enumerate(PATHWAYS)}  # cancer, birth, hospice, companion, radiology
NO_PATHWAY = -1

# Codes used by the generator beyond those in the YAML files.
BIRTH_CODES = {"DO800": 0.62, "DO809": 0.08, "DO829": 0.20, "DO839": 0.10}
BIRTH_SECONDARY = "DZ370"
COMPANION_CODE = "DZ763"
RADIOLOGY_CODE = "DZ016"
RADIOLOGY_PROCEDURES = {"UXRC00": 0.5, "UXUD00": 0.3, "UXCC00": 0.2}
PREGNANCY_CODES = {"DZ348": 0.6, "DZ359": 0.4}
PALLIATIVE_CODE = "DZ515"
HOME_VISIT_CODE = "DR54"
HOME_VISIT_PROCEDURES = {"AAF6": 0.7, "AAF7": 0.3}


class Codes:
    """A registry of SKS codes (diagnoses and procedures): string <-> small integer."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.index: dict[str, int] = {}

    def add(self, code: str) -> int:
        code = code.upper()
        if code not in self.index:
            self.index[code] = len(self.strings)
            self.strings.append(code)
        return self.index[code]

    def choice_table(self, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Codes and cumulative probabilities for ``choose``."""
        codes = np.array([self.add(c) for c in weights], dtype=np.int32)
        w = np.array(list(weights.values()), dtype=float)
        return codes, np.cumsum(w / w.sum())


def choose(table: tuple[np.ndarray, np.ndarray], u: np.ndarray) -> np.ndarray:
    codes, cum = table
    return codes[np.minimum(np.searchsorted(cum, u, side="right"), len(codes) - 1)]


@dataclass(frozen=True)
class Condition:
    key: str
    label: str
    codes: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]  # per sex M, F
    exacerbation: tuple[np.ndarray, np.ndarray] | None  # None: the person's own code
    dept: int
    los: int
    pathway: int
    prevalence: np.ndarray  # (2, n_bands)
    hr_admission: float
    hr_outpatient: float
    hr_death: float
    followup_rate: float
    followup_dept: int
    telemedicine: float
    exclusion: bool


@dataclass(frozen=True)
class Causes:
    keys: tuple[str, ...]
    codes: tuple[tuple[np.ndarray, np.ndarray], ...]
    dept: np.ndarray  # int per cause
    los: np.ndarray  # int per cause (admissions)
    pathway: np.ndarray
    preventable: np.ndarray  # bool
    procedures: tuple[tuple[np.ndarray, np.ndarray] | None, ...]
    cum: np.ndarray  # (3 age groups, 2 sexes, n causes) cumulative weights

    def draw(self, group: np.ndarray, sex: np.ndarray, u: np.ndarray) -> np.ndarray:
        cum = self.cum[group, sex]  # (n, k)
        return np.minimum((u[:, None] >= cum).sum(axis=1), len(self.keys) - 1)


@dataclass(frozen=True)
class Model:
    codes: Codes
    age_bands: np.ndarray
    conditions: tuple[Condition, ...]
    acute_admission: Causes
    acute_outpatient: Causes
    planned_outpatient: Causes
    planned_admission: Causes
    birth: tuple[np.ndarray, np.ndarray]
    birth_secondary: int
    companion: int
    radiology: int
    radiology_procedures: tuple[np.ndarray, np.ndarray]
    pregnancy: tuple[np.ndarray, np.ndarray]
    palliative: int
    home_visit: int
    home_visit_procedures: tuple[np.ndarray, np.ndarray]
    names: dict[str, list[str]]

    @property
    def n_conditions(self) -> int:
        return len(self.conditions)

    def condition_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.conditions) if c.key == key)


def _yaml(name: str) -> dict:
    text = resources.files("opspor.synth").joinpath("data", name).read_text(encoding="utf-8")
    return config_reader.parse_yaml(text, f"opspor/synth/data/{name}")


def _causes(codes: Codes, spec: dict) -> Causes:
    keys = tuple(spec)
    weights = np.zeros((len(AGE_GROUPS), 2, len(keys)))
    for k, key in enumerate(keys):
        item = spec[key]
        w = np.array(item["weights"], dtype=float)
        for s, sex in enumerate(("M", "F")):
            if item.get("sex", sex) == sex:
                weights[:, s, k] = w
    total = weights.sum(axis=2, keepdims=True)
    cum = np.cumsum(weights / np.where(total > 0, total, 1), axis=2)
    return Causes(
        keys=keys,
        codes=tuple(codes.choice_table(spec[k]["codes"]) for k in keys),
        dept=np.array([DEPT[spec[k]["dept"]] for k in keys], dtype=np.int8),
        los=np.array([LOS_KEYS.index(spec[k].get("los", "surgical")) for k in keys], dtype=np.int8),
        pathway=np.array([PATHWAY.get(spec[k].get("pathway", ""), NO_PATHWAY) for k in keys], dtype=np.int8),
        preventable=np.array([bool(spec[k].get("preventable", False)) for k in keys]),
        procedures=tuple(
            codes.choice_table(spec[k]["procedures"]) if "procedures" in spec[k] else None for k in keys
        ),
        cum=cum,
    )


@cache
def load() -> Model:
    codes = Codes()
    cond_spec = _yaml("conditions.yaml")
    conditions = []
    for key, c in cond_spec["conditions"].items():
        by_sex = c["codes"] if "M" in c["codes"] else {"M": c["codes"], "F": c["codes"]}
        conditions.append(
            Condition(
                key=key,
                label=c["label"],
                codes=(codes.choice_table(by_sex["M"]), codes.choice_table(by_sex["F"])),
                exacerbation=None if c["exacerbation"] == "own" else codes.choice_table(c["exacerbation"]),
                dept=DEPT[c["dept"]],
                los=LOS_KEYS.index(c["los"]),
                pathway=PATHWAY.get(c.get("pathway", ""), NO_PATHWAY),
                prevalence=np.array([c["prevalence"]["M"], c["prevalence"]["F"]], dtype=float),
                hr_admission=float(c["hr"]["admission"]),
                hr_outpatient=float(c["hr"]["outpatient"]),
                hr_death=float(c["hr"]["death"]),
                followup_rate=float(c["followup"]["rate"]),
                followup_dept=DEPT[c["followup"]["dept"]],
                telemedicine=float(c.get("telemedicine", 0.03)),
                exclusion=bool(c.get("exclusion", False)),
            )
        )
    cause_spec = _yaml("causes.yaml")
    return Model(
        codes=codes,
        age_bands=np.array(cond_spec["age_bands"], dtype=np.int64),
        conditions=tuple(conditions),
        acute_admission=_causes(codes, cause_spec["acute_admission"]),
        acute_outpatient=_causes(codes, cause_spec["acute_outpatient"]),
        planned_outpatient=_causes(codes, cause_spec["planned_outpatient"]),
        planned_admission=_causes(codes, cause_spec["planned_admission"]),
        birth=codes.choice_table(BIRTH_CODES),
        birth_secondary=codes.add(BIRTH_SECONDARY),
        companion=codes.add(COMPANION_CODE),
        radiology=codes.add(RADIOLOGY_CODE),
        radiology_procedures=codes.choice_table(RADIOLOGY_PROCEDURES),
        pregnancy=codes.choice_table(PREGNANCY_CODES),
        palliative=codes.add(PALLIATIVE_CODE),
        home_visit=codes.add(HOME_VISIT_CODE),
        home_visit_procedures=codes.choice_table(HOME_VISIT_PROCEDURES),
        names=_yaml("names.yaml"),
    )


def age_group(age: np.ndarray) -> np.ndarray:
    return (age >= 18).astype(np.int8) + (age >= 65).astype(np.int8)
