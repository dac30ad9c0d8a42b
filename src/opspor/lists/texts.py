"""The Danish words of the human exports (XLSX and PDF), written once for both."""

from __future__ import annotations

import datetime as dt

from opspor.lists.model import Build, DepartmentList
from opspor.rules.results import ListLine

CONFIDENTIAL = "Fortroligt – indeholder personoplysninger"
LIST_TITLE = "Gentagne akutte kontakter"
OVERVIEW_SHEET = "Oversigt"
NO_PATIENTS = "Ingen patienter på afdelingslisterne i dag."
NO_PATIENTS_DEPT = "Ingen patienter på listen."

LINE_HEADINGS = (
    "CPR-nr.",
    "Navn",
    "Kontakt-id",
    "Aktionsdiagnose",
    "Afdeling forløb",
    "Afdeling kontakt",
    "Kontaktstart",
    "Kontaktslut",
    "Tæller med",
    "Ny i dag",
)
OVERVIEW_HEADINGS = ("Sygehusenhed", "Afdeling", "Patienter", "Nye i dag", "Linjer", "Ark")

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


def cpr_display(cpr: str | None) -> str:
    """DDMMYY-SSSS, the way people read CPR numbers (the CSV files keep the stored 10 digits)."""
    if cpr and len(cpr) == 10 and cpr.isdigit():
        return f"{cpr[:6]}-{cpr[6:]}"
    return cpr or ""


def yes_no(value: bool) -> str:
    return "ja" if value else "nej"


def day_text(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day:%d-%m-%Y}"


def moment_text(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{moment:%d-%m-%Y %H:%M}"


def report_title(build: Build) -> str:
    return f"{LIST_TITLE} – afdelingslister {day_text(build.as_of)}"


def cutoff_line(build: Build) -> str:
    return (
        f"Kørselsdag {day_text(build.as_of)} · afskæring {moment_text(build.cutoff)} "
        f"(kontakter startet før dette tidspunkt) · 'Ny i dag' sammenlignet med listen for "
        f"{day_text(build.previous_run_day)}"
    )


def department_title(d: DepartmentList) -> str:
    return f"{LIST_TITLE}: {d.department} ({d.hospital_unit})"


def run_line(build: Build, d: DepartmentList) -> str:
    return (
        f"Afdeling {d.department} · sygehusenhed {d.hospital_unit} · kørselsdag "
        f"{day_text(build.as_of)} · afskæring {moment_text(build.cutoff)} · "
        f"{d.patients} patient(er), heraf {d.new_today} ny(e) i dag"
    )


def line_values(line: ListLine) -> tuple:
    """One list line in the order of :data:`LINE_HEADINGS` (booleans left to the caller)."""
    return (
        cpr_display(line.cpr),
        line.name or "",
        line.contact_id,
        line.action_diagnosis or "",
        line.course_department or "",
        line.contact_department or "",
        line.contact_start,
        line.contact_end,
        line.counted,
        line.new_today,
    )
