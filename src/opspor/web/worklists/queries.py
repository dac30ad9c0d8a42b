"""Reading a department's list as the worklist shows it: one block per patient, in the
lists' reading order (new today first, then the most recent contact)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from opspor.web.people.models import Person
from opspor.web.worklists.models import ListEntry, ListRun, MdtConference, Screening


@dataclass
class PatientBlock:
    person: Person
    lines: list[ListEntry] = field(default_factory=list)
    screening: Screening | None = None  # the decision in force for this list
    earlier_lists: int = 0  # earlier runs on which the patient was on this department's list
    open_mdt: MdtConference | None = None

    @property
    def new_today(self) -> bool:
        return any(line.new_today for line in self.lines)

    @property
    def added_at(self):
        """When the patient was put on the list during the day (a hospital notification), if so."""
        return min((line.added_at for line in self.lines if line.added_at), default=None)

    @property
    def counted(self) -> int:
        return sum(line.counted for line in self.lines)


def latest_run_for(department) -> ListRun | None:
    return ListRun.objects.filter(entries__department=department).order_by("-as_of", "-published_at").first() \
        or ListRun.objects.order_by("-as_of", "-published_at").first()


def department_list(department, run: ListRun) -> list[PatientBlock]:
    entries = (ListEntry.objects.filter(run=run, department=department).select_related("person", "stay")
               .order_by("position"))
    blocks: dict[int, PatientBlock] = {}
    for entry in entries:
        blocks.setdefault(entry.person_id, PatientBlock(entry.person)).lines.append(entry)
    if not blocks:
        return []
    ids = list(blocks)
    for s in Screening.objects.filter(run=run, department=department, person_id__in=ids).order_by("decided_at", "id"):
        blocks[s.person_id].screening = s  # the newest wins
    earlier = (ListEntry.objects.filter(department=department, person_id__in=ids, run__as_of__lt=run.as_of)
               .values("person_id").annotate(n=Count("run", distinct=True)))
    for row in earlier:
        blocks[row["person_id"]].earlier_lists = row["n"]
    for m in MdtConference.objects.filter(department=department, person_id__in=ids, status=MdtConference.Status.OPEN):
        blocks[m.person_id].open_mdt = m
    return list(blocks.values())


def runs_of(department):
    """The department's published lists, newest first, with patient counts."""
    return (ListRun.objects.filter(entries__department=department)
            .annotate(patients=Count("entries__person", distinct=True)).order_by("-as_of", "-published_at"))
