"""The trial's changes, called by ``aps.actions`` inside their transactions: randomise the
invited persons, reveal the arm when consent is recorded. Both write their audit entries in the
caller's transaction. With the trial off (``rules.TRIAL.enabled`` false) nobody is randomised
and cases without an allocation behave exactly as without a trial; a case randomised while the
trial was on keeps its allocation (revealed at consent, control restrictions) if it is switched
off later.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor.monitor.randomisation import RandomisationError, Randomiser, randomisation_secret
from opspor.web.aps import rules
from opspor.web.audit import actions as audit
from opspor.web.trial.models import Allocation
from opspor.web.trial.store import DjangoAllocationStore, participant_ref


def randomiser(user=None, persons=None, trial: rules.Trial | None = None) -> Randomiser:
    """The trial's randomiser over the Django store (the key from ``randomisation_secret``)."""
    trial = trial or rules.TRIAL
    return Randomiser(trial.id, randomisation_secret(), DjangoAllocationStore(user, persons),
                      strata=trial.strata, arms=trial.arms, block_sizes=trial.block_sizes)


def allocate_invited(lead, cases: Sequence) -> None:
    """Randomise the persons of newly created invitation ``cases`` (stratum: the case's region)
    and link each case to its allocation. A person randomised earlier in the same trial keeps
    the allocation (once randomised, always analysed in that arm). Raises ``ValidationError``
    (the caller's transaction then leaves nothing behind) when the randomiser refuses."""
    trial = rules.TRIAL
    if not trial.enabled or not cases:
        return
    persons = {participant_ref(c.person): c.person for c in cases}
    r = randomiser(lead, persons, trial)
    for case in cases:
        ref = participant_ref(case.person)
        try:
            r.allocate(case.region_code, ref, consent_recorded_at=case.invited_at, actor=f"user:{lead.username}")
        except RandomisationError as e:
            raise ValidationError(
                _("Person %(key)s could not be randomised in trial %(trial)s: %(reason)s. Nobody was invited; "
                  "ask the administrator to check the trial section of the programme file.")
                % {"key": case.person.short_key, "trial": trial.id, "reason": e}) from None
        case.allocation = Allocation.objects.get(trial=trial.id, participant=ref)
        case.save(update_fields=["allocation"])


def reveal_on_consent(nurse, case) -> None:
    """Consent is recorded: show the case's arm from now on, and audit the reveal with the arm."""
    if case.allocation_id is None:
        return
    allocation = Allocation.objects.select_for_update().get(pk=case.allocation_id)
    if allocation.revealed_at is None:
        allocation.revealed_at, allocation.revealed_by = timezone.now(), nurse
        allocation.save(update_fields=["revealed_at", "revealed_by"])
    case.allocation = allocation
    audit.record(nurse, audit.Event.TRIAL_REVEAL, action=audit.CHANGE, why=_("Trial arm revealed at consent"),
                 persons=[case.person.person_key],
                 detail={"case": case.pk, "trial": allocation.trial, "stratum": allocation.stratum,
                         "sequence_number": allocation.sequence_number, "arm": allocation.arm})


def shown_arm(case) -> str:
    """The case's arm once consent revealed it; "" before (or without a trial)."""
    return case.allocation.shown_arm if case.allocation_id else ""


def is_control(case) -> bool:
    """A consented case of the control arm: usual care, questionnaires only."""
    return shown_arm(case) == Allocation.Arm.CONTROL


def randomised_count(region_code: str) -> int:
    """How many persons the trial in force has randomised in a region (no arms)."""
    return Allocation.objects.filter(trial=rules.TRIAL.id, stratum=region_code).count()
