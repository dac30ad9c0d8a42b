"""Reading a department's list as the worklist shows it: one block per patient, in the
lists' reading order (new today first, then the most recent contact)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from opspor.web.people.models import Person
from opspor.web.worklists import explain
from opspor.web.worklists.models import ListEntry, ListRun, MdtConference, Screening

# the worklist's filters (?vis=...) and the table's sort keys (?sort=name, ?sort=-name)
FILTERS = ("new", "unscreened")
SORTS = ("name", "age", "new", "last_contact", "counted", "decision")


def added_label(when) -> str:
    """The one wording for a line put on the list during the day by a hospital notification, on the
    worklist and in its exports: "Tilføjet i løbet af dagen kl. 14:05 (sygehusadvis)" (local time)."""
    return _("Added during the day at %(time)s (hospital notification)") % {
        "time": time_format(timezone.localtime(when), "H:i")}


@dataclass
class PatientBlock:
    person: Person
    lines: list[ListEntry] = field(default_factory=list)
    screening: Screening | None = None  # the decision in force for this list
    earlier_lists: int = 0  # earlier runs on which the patient was on this department's list
    open_mdt: MdtConference | None = None
    concluded_mdt: MdtConference | None = None  # the newest concluded conference at this department
    why: explain.Why | None = None  # why the patient is on the list, in words

    @property
    def new_today(self) -> bool:
        return any(line.new_today for line in self.lines)

    @property
    def added_at(self):
        """When the patient was put on the list during the day (a hospital notification), if so."""
        return min((line.added_at for line in self.lines if line.added_at), default=None)

    @property
    def added_label(self) -> str:
        return added_label(self.added_at) if self.added_at else ""

    @property
    def counted(self) -> int:
        """The contacts that count for the patient here (no reason against them)."""
        return sum(line.counted and not getattr(line, "reasons", ()) for line in self.lines)

    @property
    def last_contact(self):
        return max(line.contact_start for line in self.lines)


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
    for m in (MdtConference.objects.filter(department=department, person_id__in=ids)
              .select_related("concluded_by").order_by("opened_at", "id")):  # the newest wins
        if m.status == MdtConference.Status.OPEN:
            blocks[m.person_id].open_mdt = m
        else:
            blocks[m.person_id].concluded_mdt = m
    for b in blocks.values():
        b.why = explain.annotate(b.lines)
    return list(blocks.values())


def shown(blocks: list[PatientBlock], filters: set[str], sort: str) -> list[PatientBlock]:
    """The blocks the worklist shows: ``filters`` (new today, not screened) and the table's
    ``sort`` (a key of ``SORTS``, "-" first for the reverse; "" keeps the lists' reading order)."""
    out = [b for b in blocks if ("new" not in filters or b.new_today)
           and ("unscreened" not in filters or b.screening is None)]
    if sort:
        key = {
            "name": lambda b: (b.person.name.casefold(),),
            "age": lambda b: (b.person.age or 0,),
            "new": lambda b: (not b.new_today,),
            "last_contact": lambda b: (b.last_contact,),
            "counted": lambda b: (b.counted,),
            "decision": lambda b: (b.screening is not None, b.screening.decision if b.screening else ""),
        }[sort.lstrip("-")]
        out.sort(key=key, reverse=sort.startswith("-"))
    return out


def runs_of(department):
    """The department's published lists, newest first, with patient counts."""
    return (ListRun.objects.filter(entries__department=department)
            .annotate(patients=Count("entries__person", distinct=True)).order_by("-as_of", "-published_at"))


def newest_lines(department, person) -> tuple[ListRun | None, list[ListEntry], explain.Why | None]:
    """The patient's lines on the newest list of ``department`` that had them, explained."""
    newest = (ListEntry.objects.filter(department=department, person=person)
              .order_by("-run__as_of", "-run__published_at").values_list("run_id", flat=True).first())
    if newest is None:
        return None, [], None
    lines = list(ListEntry.objects.filter(department=department, person=person, run_id=newest)
                 .select_related("run").order_by("position"))
    return lines[0].run, lines, explain.annotate(lines)
