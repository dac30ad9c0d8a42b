"""Randomisation at invitation through the programme page: stratified permuted blocks, every
allocation audited without its arm, a re-invitation keeping the allocation, the store's answer
to a concurrent taker, and the trial switched off leaving everything as before."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from opspor.web.aps import actions
from opspor.web.aps.models import Case
from opspor.web.audit.models import AuditEntry
from opspor.web.trial import actions as trial_actions
from opspor.web.trial.models import Allocation
from opspor.web.trial.store import DjangoAllocationStore, participant_ref
from tests.web.factories import *  # the fixture as_user
from tests.web.trial.trial_kit import ARM_TEXT, cases_of, invite

pytestmark = pytest.mark.django_db


def _invite_all(as_user, w):
    lead = as_user(w.users["pia"])
    s = [w.persons[f"s{i:02d}"] for i in range(1, 41)]
    for batch in (s[:7], s[7:8], s[8:25], s[25:]):  # batches of different sizes
        invite(lead, batch, w.users["tina"])
    lone = as_user(w.users["lone"])
    z = [w.persons[f"z{i:02d}"] for i in range(1, 17)]
    invite(lone, z[:9], w.users["tove"])
    invite(lone, z[9:], w.users["tove"])
    return s, z


@pytest.mark.slow
def test_each_invited_person_is_randomised_in_balanced_blocks_per_region(trial_on, tworld, as_user):
    s, z = _invite_all(as_user, tworld)
    for persons, region in ((s, "1083"), (z, "1085")):
        cases = cases_of(persons)
        assert all(c.allocation is not None and c.allocation.stratum == region for c in cases)
        allocs = list(Allocation.objects.filter(trial="aps-2026", stratum=region).order_by("sequence_number"))
        assert [a.sequence_number for a in allocs] == list(range(1, len(persons) + 1))
        blocks = defaultdict(list)
        for a in allocs:
            assert a.block_size in (2, 4, 6)
            blocks[a.block_number].append(a)
        last = max(blocks)
        for number, members in blocks.items():
            arms = Counter(a.arm for a in members)
            if number < last:  # every completed block holds each arm exactly half the time
                assert len(members) == members[0].block_size and arms["intervention"] == arms["control"]
            else:
                assert abs(arms["intervention"] - arms["control"]) <= members[0].block_size // 2
        assert len(blocks) > 2 and {a.block_size for a in allocs} != {allocs[0].block_size} or len(persons) < 20
    assert trial_actions.randomiser().verify() == []


def test_every_allocation_is_audited_without_its_arm(trial_on, tworld, as_user):
    _invite_all(as_user, tworld)
    entries = list(AuditEntry.objects.filter(what="trial.allocate"))
    assert len(entries) == Allocation.objects.count() == 56
    by_person = {e.person_key: e for e in entries}
    for a in Allocation.objects.select_related("person"):
        e = by_person[a.person.person_key]
        assert e.username in ("pia", "lone") and e.action == AuditEntry.Action.CHANGE
        assert e.detail["trial"] == "aps-2026" and e.detail["stratum"] == a.stratum
        assert e.detail["sequence_number"] == a.sequence_number and e.detail["at"]
        assert "arm" not in e.detail and "block" not in str(e.detail)
        assert not ARM_TEXT.search(str(e.detail) + e.why)
    assert not AuditEntry.objects.filter(what="trial.reveal").exists()


def test_a_reinvited_person_keeps_the_allocation(trial_on, tworld, as_user):
    w = tworld
    person = w.persons["s01"]
    invite(as_user(w.users["pia"]), [person], w.users["tina"])
    first = cases_of([person])[0]
    nurse = as_user(w.users["tina"])
    assert nurse.post(f"/aps/forloeb/{first.pk}/afslag/", {"reason": "not_interested"}).status_code == 302
    invite(as_user(w.users["pia"]), [person], w.users["ole"])
    second = cases_of([person])[0]
    assert second.pk != first.pk and second.allocation_id == first.allocation_id
    assert Allocation.objects.count() == 1
    assert AuditEntry.objects.filter(what="trial.reread", person_key=person.person_key).count() == 1


def test_a_place_taken_concurrently_is_retried_in_the_same_transaction(trial_on, tworld):
    """A first count that misses a concurrent transaction's row: the insert hits the unique
    constraint, the store says SequenceTaken (the savepoint keeps the transaction usable) and the
    randomiser counts again and takes the next place."""
    w = tworld
    lead, p1, p2 = w.users["pia"], w.persons["s01"], w.persons["s02"]
    actions.invite_many(lead, [p1], w.users["tina"])  # takes place 1 of 1083
    case = Case.objects.create(person=p2, region_code="1083", nurse=w.users["tina"], invited_by=lead)

    class StaleFirstCount(DjangoAllocationStore):
        calls = 0

        def count(self, trial, stratum):
            self.calls += 1
            return super().count(trial, stratum) - (1 if self.calls == 1 else 0)

    store = StaleFirstCount(lead, {participant_ref(p2): p2})
    r = trial_actions.randomiser(lead, {participant_ref(p2): p2})
    r.store = store
    a = r.allocate("1083", participant_ref(p2), consent_recorded_at=case.invited_at, actor="user:pia")
    assert (a.sequence_number, store.calls) == (2, 2)
    assert list(Allocation.objects.order_by("sequence_number").values_list("person", "sequence_number")) == [
        (p1.pk, 1), (p2.pk, 2)]
    assert AuditEntry.objects.filter(what="trial.allocate").count() == 2  # none for the failed insert


def test_trial_off_changes_nothing(tworld, as_user):
    w = tworld
    lead = as_user(w.users["pia"])
    invite(lead, [w.persons["s01"], w.persons["s02"]], w.users["tina"])
    assert 'data-testid="trial-info"' not in lead.get("/aps/program/").content.decode()
    assert Allocation.objects.count() == 0 and not AuditEntry.objects.filter(what__startswith="trial.").exists()
    case = cases_of([w.persons["s01"]])[0]
    assert case.allocation is None
    nurse = as_user(w.users["tina"])
    assert nurse.post(f"/aps/forloeb/{case.pk}/samtykke/", {"confirmed": "1"}).status_code == 302
    html = nurse.get(f"/aps/forloeb/{case.pk}/").content.decode()
    assert "Randomised trial" not in html and "Start-up session" in html
    assert not ARM_TEXT.search(nurse.get("/aps/forloeb/eksport.csv").content.decode("utf-8-sig"))


def test_a_region_outside_the_strata_invites_nobody(trial_on, tworld, as_user, monkeypatch):
    import dataclasses

    from opspor.web.aps import rules

    monkeypatch.setattr(rules, "TRIAL", dataclasses.replace(rules.TRIAL, strata=("1085",)))
    w = tworld
    response = as_user(w.users["pia"]).post("/aps/program/inviter/", {
        "persons": [w.persons["s01"].public_id, w.persons["s02"].public_id], "nurse": w.users["tina"].pk}, follow=True)
    html = response.content.decode()
    assert "could not be randomised in trial aps-2026: unknown stratum &#x27;1083&#x27;" in html
    assert "Nobody was invited" in html
    assert not Case.objects.exists() and not Allocation.objects.exists()
    assert not AuditEntry.objects.filter(what__in=["aps.invite", "trial.refuse"]).exists()  # all rolled back
