"""The web app's trial data for the intention-to-treat analysis (``opspor.monitor.effect``), and
the statistician's check of the stored allocations against the key.

``export(out_dir)`` writes, pseudonymised (``person_key``, never a CPR number or a name):

* ``trial.csv``: every randomised person, in the arm randomised to, whatever happened next:
  person_key, arm, stratum, sequence_number, randomised_on (the invitation day, T0 of the
  analysis), consent (``consented`` | ``refused`` | ``no_answer``), support_started (yes/no);
* ``trial_who5.csv``: person_key, visit_month (0, 3, 6, 12), who5 (0-100, empty when the
  answers were incomplete) of the trial's outcome questionnaire;
* ``manifest.json``: trial, scheme (with the key's fingerprint), counts, time of export.

``opspor monitor effect --trial trial.csv --who5 trial_who5.csv`` reads both against a snapshot
that holds the persons (``person_key`` is the snapshot's pseudonym).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor import csv_safe
from opspor.web.aps import rules
from opspor.web.aps.models import Case, CaseQuerySet, QuestionnaireResponse
from opspor.web.audit import actions as audit
from opspor.web.trial import actions
from opspor.web.trial.models import Allocation
from opspor.web.trial.store import participant_ref

VISIT_MONTHS = {"baseline": 0, "3m": 3, "6m": 6, "12m": 12}


class TrialExportError(Exception):
    pass


@dataclass(frozen=True)
class ExportResult:
    participants: int
    who5_rows: int
    files: tuple[Path, ...]


def _consent(cases: list[Case]) -> tuple[str, bool]:
    answered = [c for c in cases if c.answered_at]
    if any(c.state in CaseQuerySet.INCLUDED for c in answered):
        return "consented", any(c.started_at for c in cases)
    if any(c.state == Case.State.REFUSED for c in answered):
        return "refused", False
    return "no_answer", False


def export(out_dir: Path, trial_id: str | None = None) -> ExportResult:
    trial_id = trial_id or rules.TRIAL.id
    allocations = list(Allocation.objects.filter(trial=trial_id).select_related("person")
                       .order_by("stratum", "sequence_number"))
    if not allocations:
        raise TrialExportError(f"trial {trial_id!r} has no allocations. Fix: check the trial id "
                               "(trial.id in the programme file) and that invitations were made with the trial on")
    cases: dict[int, list[Case]] = {}
    for case in Case.objects.filter(allocation__in=allocations).order_by("invited_at", "pk"):
        cases.setdefault(case.allocation_id, []).append(case)
    instrument = rules.TRIAL.control_instrument
    who5 = (QuestionnaireResponse.objects.filter(case__allocation__in=allocations, instrument=instrument,
                                                 timepoint__in=list(VISIT_MONTHS))
            .select_related("case__person").order_by("case__person__person_key", "taken_on", "pk"))
    out_dir.mkdir(parents=True, exist_ok=True)
    trial_csv, who5_csv, manifest = out_dir / "trial.csv", out_dir / "trial_who5.csv", out_dir / "manifest.json"
    rows = []
    for a in allocations:
        consent, started = _consent(cases.get(a.pk, []))
        rows.append([a.person.person_key, a.arm, a.stratum, a.sequence_number,
                     timezone.localdate(a.allocated_at).isoformat(), consent, "yes" if started else "no"])
    scores: dict[tuple[str, int], float | None] = {}
    for r in who5:  # the newest response of a person and visit wins
        scores[(r.case.person.person_key, VISIT_MONTHS[r.timepoint])] = r.score
    tmp = [p.with_suffix(p.suffix + ".part") for p in (trial_csv, who5_csv, manifest)]
    with open(tmp[0], "w", newline="", encoding="utf-8") as f:
        w = csv_safe.writer(f)
        w.writerow(["person_key", "arm", "stratum", "sequence_number", "randomised_on", "consent", "support_started"])
        w.writerows(rows)
    with open(tmp[1], "w", newline="", encoding="utf-8") as f:
        w = csv_safe.writer(f)
        w.writerow(["person_key", "visit_month", "who5"])
        w.writerows([k, m, "" if s is None else f"{s:g}"] for (k, m), s in sorted(scores.items()))
    tmp[2].write_text(json.dumps({
        "trial": trial_id, "scheme": sorted({a.scheme for a in allocations}), "participants": len(rows),
        "by_arm": {arm: sum(r[1] == arm for r in rows) for arm in ("intervention", "control")},
        "who5_instrument": instrument, "who5_rows": len(scores),
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "analysis": "intention to treat: every randomised person in the arm randomised to, consent or not",
    }, indent=2) + "\n", encoding="utf-8")
    for part, final in zip(tmp, (trial_csv, who5_csv, manifest), strict=True):
        part.replace(final)  # all three written before any is in place
    audit.record(audit.system("opspor trial export"), audit.Event.TRIAL_EXPORT, action=audit.EXPORT, why=_("Trial data for the ITT analysis"),
                 persons=[r[0] for r in rows], detail={"trial": trial_id, "participants": len(rows)})
    return ExportResult(len(rows), len(scores), (trial_csv, who5_csv, manifest))


def verify(trial_id: str | None = None) -> list[str]:
    """Problems found when the stored allocations are recomputed from the key (empty: all well):
    the randomiser's own check (arms, blocks, gap-free sequence numbers, gate before allocation),
    plus the scheme and key fingerprint, and each allocation's participant against its person."""
    trial = rules.TRIAL
    if trial_id and trial_id != trial.id:
        trial = replace(trial, enabled=True, id=trial_id)
    r = actions.randomiser(trial=trial)
    allocations = list(Allocation.objects.filter(trial=trial.id).select_related("person"))
    if not allocations:
        return [f"trial {trial.id!r} has no allocations"]
    problems = r.verify()
    for a in allocations:
        if a.scheme != r.scheme:
            problems.append(f"{a.stratum} #{a.sequence_number}: allocated under {a.scheme!r}, the key and "
                            f"configuration in force give {r.scheme!r}")
        if a.participant != participant_ref(a.person):
            problems.append(f"{a.stratum} #{a.sequence_number}: the participant does not match the linked person")
    return problems
