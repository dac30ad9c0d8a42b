"""Units of the population builder that the drop-level tests cannot isolate."""

from __future__ import annotations

import datetime as dt

import numpy as np

from opspor import cpr
from opspor.synth import population


def test_cpr_numbers_follow_cpr_make():
    rng = np.random.default_rng(1)
    start = dt.date(2024, 1, 1)
    bday = -rng.integers(0, 105 * 365, size=2000)
    serial = rng.integers(0, 1000, size=2000)
    got = population.cpr_numbers(start, bday, serial)
    for b, s, number in zip(bday, serial, got):
        assert f"{number:010d}" == cpr.make(start + dt.timedelta(days=int(b)), int(s))


def test_serials_are_unique_per_birth_date_and_carry_the_sex():
    rng = np.random.default_rng(2)
    bday = -rng.integers(0, 30, size=12000)  # 400 persons per birth date
    sex = rng.integers(0, 2, size=12000).astype(np.int8)
    serial = population.assign_serials(bday, sex)
    pairs = set(zip(bday.tolist(), serial.tolist()))
    assert len(pairs) == len(bday)
    assert ((serial % 2 == 1) == (sex == 0)).all()
    assert serial.min() >= 0 and serial.max() <= 999


def test_gp_practices_are_per_municipality_and_sized():
    counts = np.array([35_000, 0, 1_000, 7_000])
    practices = population.Practices(np.random.default_rng(3), counts)
    assert len(practices.numbers) == 10 + 0 + 1 + 2
    assert len(set(practices.numbers.tolist())) == len(practices.numbers)
    muni = np.repeat(np.array([0, 2, 3]), 500)
    gp = practices.assign(np.random.default_rng(4), muni)
    owner = dict(zip(practices.numbers.tolist(), practices.muni_of.tolist()))
    assert all(owner[g] == m for g, m in zip(gp.tolist(), muni.tolist()))
