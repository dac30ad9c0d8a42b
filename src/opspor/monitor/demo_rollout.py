"""SYNTHETIC rollout rows for demos and the documentation's committee report, made up from a
simulated trial's allocation (``opspor synth --trial``): the web app is where real rows come from.

* enrolments: every randomised person was invited on a day spread over the year, consented 1-10
  days later; the intervention arm started 7-21 days after consent with one of the region's nurses
  (one per 120 started, at least four) and ended after 6-9 months; a further third declined
  (the dates are spread for the demo; the simulated trial itself randomises on one day);
* sessions: the start-up session, then a telephone session every 14 days while active; 90 % held;
* screenings: the package's daily lists on weekdays at three departments, about 4 patients a
  day each, 85 % screened, a third of them included.

The rows hold no person (no CPR number, no key): only regions, nurses, departments and dates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from opspor import csv_safe
from opspor.monitor import rollout as ro
from opspor.monitor.effect import read_participants


def make(trial_csv: Path, as_of: dt.date, seed: int = 1) -> tuple[list, list, list]:
    rng = np.random.default_rng(seed)
    participants = read_participants(trial_csv)
    enrol, sessions, screenings = [], [], []
    first = dt.date(as_of.year, 1, 1)
    span = max(1, (as_of - first).days - 60)
    regions: dict[str, list] = {}
    for p in participants:
        regions.setdefault(p.stratum or "?", []).append(p)
    for region, members in sorted(regions.items()):
        n_nurses = max(4, -(-sum(p.arm == "intervention" for p in members) // 120))
        for k, p in enumerate(members):
            nurse = f"SP-{region}-{k % n_nurses + 1:02d}"
            invited = first + dt.timedelta(days=int(rng.integers(0, span)))
            consented = invited + dt.timedelta(days=int(rng.integers(1, 11)))
            if p.arm != "intervention":
                enrol.append(ro.Enrolment(region, nurse, invited, consented, None, None))
                continue
            started = consented + dt.timedelta(days=int(rng.integers(7, 22)))
            ended = started + dt.timedelta(days=int(rng.integers(180, 271)))
            enrol.append(ro.Enrolment(region, nurse, invited, consented, started if started <= as_of else None,
                                      ended if ended <= as_of else None))
            day, startup = started, True
            while day <= min(ended, as_of):
                held = day if (startup or rng.random() < 0.9) else None
                sessions.append(ro.Session(region, nurse, day, held, "startup" if startup else "telephone"))
                day += dt.timedelta(days=14)
                startup = False
        for i in range(len(members) // 2):  # those who declined the invitation
            invited = first + dt.timedelta(days=int(rng.integers(0, span)))
            enrol.append(ro.Enrolment(region, f"SP-{region}-{i % n_nurses + 1:02d}", invited, None, None, None,
                                      invited + dt.timedelta(days=int(rng.integers(1, 15)))))
    day = first
    while day <= as_of:
        if day.weekday() < 5:
            for dept in ("OUH-MED", "OUH-GER", "SLB-AKU"):
                for _ in range(int(rng.poisson(4))):
                    decision = None
                    if rng.random() < 0.85:
                        decision = "include" if rng.random() < 1 / 3 else "no_action"
                    screenings.append(ro.Screening(dept, day, decision))
        day += dt.timedelta(days=1)
    return screenings, enrol, sessions


def write(trial_csv: Path, out_dir: Path, as_of: dt.date, seed: int = 1) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for name, rows in zip(("screenings.csv", "enrolments.csv", "sessions.csv"), make(trial_csv, as_of, seed),
                          strict=True):
        path = out_dir / name
        dicts = ro.as_dicts(rows)
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv_safe.DictWriter(f, fieldnames=list(dicts[0]) if dicts else [], lineterminator="\n")
            w.writeheader()
            for d in dicts:
                w.writerow({k: "" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v)
                            for k, v in d.items()})
        files.append(path)
    return files
