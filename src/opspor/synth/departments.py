"""Hospital units and their departments from the reference data, as lookup arrays.

A department is found by (unit, department key, slot): the key is the middle part of the
reference code (``OUH-AKU-ODE`` -> ``AKU``) and the slot picks among several departments with the
same key (two acute departments at different sites; a person keeps their own site). A unit
without a specialised key falls back: LUM, HJM, END -> MED. Oncology (ONK) exists only at some
units; oncology contacts go to the region's unit that has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from opspor import reference as ref
from opspor.synth.model import DEPT, DEPT_KEYS

FALLBACK = {"LUM": "MED", "HJM": "MED", "END": "MED"}
SLOTS = 2


@dataclass(frozen=True)
class Units:
    codes: tuple[str, ...]  # unit codes
    region: np.ndarray  # region code (int) per unit
    dept_codes: tuple[str, ...]
    dept_specialty: tuple[str, ...]
    lookup: np.ndarray  # (n_units, n_keys, SLOTS) -> department index
    n_slots: np.ndarray  # (n_units, n_keys)
    oncology_unit: np.ndarray  # per unit: the unit of its region with an oncology department
    others: tuple[np.ndarray, ...]  # per unit: the other units of its region

    def index(self, code: str) -> int:
        return self.codes.index(code)

    def department(self, unit: np.ndarray, key: np.ndarray, site: np.ndarray) -> np.ndarray:
        slots = self.n_slots[unit, key]
        return self.lookup[unit, key, site % np.maximum(slots, 1)]


@cache
def units() -> Units:
    unit_list = ref.hospital_units()
    codes = tuple(u.code for u in unit_list)
    region = np.array([int(u.region_code) for u in unit_list], dtype=np.int64)
    depts = ref.departments()
    dept_codes = tuple(d.code for d in depts)
    dept_spec = tuple(d.specialty for d in depts)
    lookup = np.full((len(codes), len(DEPT_KEYS), SLOTS), -1, dtype=np.int64)
    n_slots = np.zeros((len(codes), len(DEPT_KEYS)), dtype=np.int64)
    for i, d in enumerate(depts):
        key = d.code.split("-")[1]
        if key not in DEPT:
            continue
        u, k = codes.index(d.hospital_unit), DEPT[key]
        if n_slots[u, k] < SLOTS:
            lookup[u, k, n_slots[u, k]] = i
            n_slots[u, k] += 1
    for key, fallback in FALLBACK.items():
        k, f = DEPT[key], DEPT[fallback]
        missing = n_slots[:, k] == 0
        lookup[missing, k] = lookup[missing, f]
        n_slots[missing, k] = n_slots[missing, f]
    onk = DEPT["ONK"]
    oncology_unit = np.arange(len(codes))
    for u in range(len(codes)):
        if n_slots[u, onk] == 0:
            candidates = [v for v in range(len(codes)) if region[v] == region[u] and n_slots[v, onk] > 0]
            oncology_unit[u] = candidates[0]
    for u in range(len(codes)):
        for k in range(len(DEPT_KEYS)):
            if DEPT_KEYS[k] != "ONK" and n_slots[u, k] == 0:
                raise ValueError(f"reference data: unit {codes[u]} has no {DEPT_KEYS[k]} department")
    others = tuple(np.array([v for v in range(len(codes)) if region[v] == region[u] and v != u]) for u in range(len(codes)))
    return Units(codes, region, dept_codes, dept_spec, lookup, n_slots, oncology_unit, others)
