"""The contract's rules as SQL over all-VARCHAR values: one validator per column kind.

Each kind (``contract.py``) has one ``Kind`` giving, for a column, its ordered checks (the first
that fails is reported, so a malformed date is not also called an impossible one) and the SQL
that turns a valid value into its stored type. ``ROW_CHECKS`` are the rules that compare columns
of one row. Rules across rows and files (duplicates, contacts without a person) are in
``relations.py``.

A check's ``message`` and ``fix`` never quote the value: they are printed on the console. The
``reason`` may (it goes to the reject file only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opspor import contact_details, contract
from opspor import reference as ref
from opspor.contract import Column
from opspor.ingest.sql import CPR_REGEX, lit, lit_list

Sql = Callable[[str], str]  # builds SQL from the SQL of the value


@dataclass(frozen=True)
class Check:
    rule: str
    message: str
    fix: str
    fails: Sql  # true when a present value breaks the rule
    reason: Sql | None = None  # SQL text for the reject file; default: the message
    # More specific diagnoses of a failure, tried in order only where this check fails (so
    # that valid values do not pay for them): the first that applies is reported instead.
    refined_by: tuple[Check, ...] = ()


REQUIRED = ("required", "a required value is empty", "fill in the value: the data contract requires it")


def missing(v: str) -> str:
    """Empty means unknown: NULL, or only spaces."""
    return f"({v} IS NULL OR trim({v}) = '')"


class Kind:
    def checks(self, column: Column) -> list[Check]:
        return []

    def clean(self, v: str, column: Column) -> str:
        """The stored value of a valid ``v``."""
        return v

    def rules(self, column: Column) -> list[str]:
        """The names of the rules a value of the column is checked against."""
        def names(checks):
            for c in checks:
                yield c.rule
                yield from names(c.refined_by)
        return [REQUIRED[0], *names(self.checks(column))]

    def valid(self, v: str, column: Column) -> str:
        """SQL: ``v`` is present and passes the column's checks."""
        passes = "".join(f" AND NOT coalesce({c.fails(v)}, true)" for c in self.checks(column))
        return f"(NOT {missing(v)}{passes})"

    def stored(self, v: str, column: Column) -> str:
        """The stored value of ``v``, NULL when empty (``v`` must be valid or empty)."""
        return f"CASE WHEN NOT {missing(v)} THEN {self.clean(v, column)} END"


class Text(Kind):
    pass


class Cpr(Kind):
    def checks(self, column: Column) -> list[Check]:
        return [
            Check(
                "cpr_format",
                "not a CPR number (10 digits, optionally with '-' after the 6th)",
                "write the CPR number as DDMMYY-SSSS or DDMMYYSSSS with its leading zeros "
                "(keep the column as text, not as a number)",
                lambda v: f"NOT regexp_full_match({v}, {lit(CPR_REGEX)})",
            ),
            Check(
                "cpr_date",
                "the date part of the CPR number is not a real date (day, month, year and the "
                "century given by the 7th digit)",
                "check the CPR number against the source register",
                lambda v: f"cpr_birth_date({v}) IS NULL",
            ),
        ]

    def clean(self, v: str, column: Column) -> str:
        return f"replace({v}, '-', '')"


DATE_REGEX = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
TIMESTAMP_REGEX = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?"
OFFSET_REGEX = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+ ?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)"


class Date(Kind):
    def checks(self, column: Column) -> list[Check]:
        return [
            Check(
                "date_format",
                "not an ISO date (YYYY-MM-DD)",
                "write dates as YYYY-MM-DD, e.g. 2026-03-02",
                lambda v: f"NOT regexp_full_match({v}, {lit(DATE_REGEX)})",
            ),
            Check(
                "date_invalid",
                "not a real calendar date",
                "check the day and the month (there is no 2026-02-30)",
                lambda v: f"TRY_CAST({v} AS DATE) IS NULL",
            ),
        ]

    def clean(self, v: str, column: Column) -> str:
        return f"TRY_CAST({v} AS DATE)"


class Timestamp(Kind):
    def checks(self, column: Column) -> list[Check]:
        return [
            Check(
                "timestamp_format",
                "not an ISO timestamp (YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS)",
                "write timestamps as YYYY-MM-DDTHH:MM:SS in local Danish time, e.g. 2026-03-02T17:45:00",
                lambda v: f"NOT regexp_full_match({v}, {lit(TIMESTAMP_REGEX)})",
                refined_by=(
                    Check(
                        "timestamp_offset",
                        "has a time-zone offset: timestamps are local Danish time without offset",
                        "convert to Danish local time and leave out the offset, e.g. 2026-03-02T17:45:00",
                        lambda v: f"regexp_full_match({v}, {lit(OFFSET_REGEX)})",
                    ),
                ),
            ),
            Check(
                "timestamp_invalid",
                "not a real date and time",
                "check the day, the month, the hour (00-23) and the minutes and seconds (00-59)",
                # the cast takes hour 24 as midnight of the next day: not in the contract
                lambda v: f"(TRY_CAST({v} AS TIMESTAMP) IS NULL OR substr({v}, 12, 2) > '23')",
            ),
        ]

    def clean(self, v: str, column: Column) -> str:
        return f"TRY_CAST({v} AS TIMESTAMP)"


class Enum(Kind):
    def checks(self, column: Column) -> list[Check]:
        return [
            Check(
                "enum",
                f"not one of the values allowed in {column.name}",
                f"use exactly one of: {', '.join(column.values)} (case matters)",
                lambda v: f"{v} NOT IN {lit_list(column.values)}",
            )
        ]


class Municipality(Kind):
    def checks(self, column: Column) -> list[Check]:
        codes = lit_list(m.code for m in ref.municipalities())
        return [
            Check(
                "municipality_code",
                "not a known municipality code",
                "use the official 3-digit municipality code, e.g. 461 for Odense "
                "(the 98 codes are in opspor's reference data)",
                lambda v: f"{v} NOT IN {codes}",
            )
        ]


class HospitalUnit(Kind):
    def checks(self, column: Column) -> list[Check]:
        codes = lit_list(ref.hospital_unit_codes())
        return [
            Check(
                "hospital_unit",
                "not a known hospital unit code",
                "use a hospital unit code or alias listed by `opspor reference units`, e.g. OUH",
                lambda v: f"{v} NOT IN {codes}",
            )
        ]

    def clean(self, v: str, column: Column) -> str:
        aliases = {a: c for a, c in ref.hospital_unit_codes().items() if a != c}
        if not aliases:
            return v
        whens = " ".join(f"WHEN {lit(a)} THEN {lit(c)}" for a, c in aliases.items())
        return f"CASE {v} {whens} ELSE {v} END"


class Codes(Kind):
    """SKS codes: one code, or several separated by ';'. Each code must match ``regex``."""

    def __init__(self, rule: str, regex: str, what: str, shape: str, example: str, many: bool):
        self.rule, self.regex, self.many = rule, regex, many
        self.what, self.shape, self.example = what, shape, example

    def _bad(self, v: str) -> str:
        elements = f"string_split({v}, ';')" if self.many else f"[{v}]"
        return f"list_filter({elements}, lambda c: NOT regexp_full_match(c, {lit(self.regex)}))"

    def checks(self, column: Column) -> list[Check]:
        listed = ", separated by ';' without spaces" if self.many else ""
        return [
            Check(
                self.rule,
                f"not {'a list of ' + self.what + 's' if self.many else 'an ' + self.what}",
                f"write {self.what}s ({self.shape}) such as {self.example}{listed}",
                lambda v: f"len({self._bad(v)}) > 0",
                lambda v: f"'not {self.what}s: ' || array_to_string(list_transform({self._bad(v)}, "
                "lambda c: '\"' || c || '\"'), ', ')",
                refined_by=(
                    Check(
                        "code_case",
                        "codes must be upper case",
                        "write codes in upper case",
                        lambda v: f"len({self._bad(f'upper({v})')}) = 0",
                    ),
                ),
            ),
        ]

    def clean(self, v: str, column: Column) -> str:
        return f"string_split({v}, ';')" if self.many else v


class Number(Kind):
    def checks(self, column: Column) -> list[Check]:
        number = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
        return [
            Check(
                "number",
                "not a number",
                "write numbers with '.' as the decimal point and no thousands separator, e.g. 12345.50",
                lambda v: f"NOT regexp_full_match({v}, {lit(number)})",
            ),
            Check(
                "negative_number",
                "must not be negative",
                "use 0 or a positive amount (0 means non-tariff activity; leave it empty if unknown)",
                lambda v: f"TRY_CAST({v} AS DOUBLE) < 0",
            ),
        ]

    def clean(self, v: str, column: Column) -> str:
        return f"TRY_CAST({v} AS DOUBLE)"


class Phone(Kind):
    """A Danish phone number (``opspor.contact_details``), stored as +45XXXXXXXX."""

    @staticmethod
    def _digits(v: str) -> str:
        return f"regexp_replace(trim({v}), {lit(contact_details.PHONE_SEPARATORS)}, '', 'g')"

    def checks(self, column: Column) -> list[Check]:
        return [
            Check(
                "phone",
                "not a Danish phone number (8 digits, optionally after +45)",
                "write the number as 8 digits, e.g. 20123456 or 20 12 34 56, with +45 in front if you like; "
                "leave the field empty when the person has no Danish number",
                lambda v: f"NOT regexp_full_match({self._digits(v)}, {lit(contact_details.PHONE_REGEX)})",
            )
        ]

    def clean(self, v: str, column: Column) -> str:
        return f"'+45' || regexp_extract({self._digits(v)}, {lit(contact_details.PHONE_REGEX + '$')}, 1)"


class Email(Kind):
    """An e-mail address (``opspor.contact_details``), stored trimmed."""

    def checks(self, column: Column) -> list[Check]:
        return [
            Check(
                "email",
                "not an e-mail address (a name, @ and a domain such as eksempel.dk, no spaces)",
                "write one address, e.g. navn@eksempel.dk, without spaces, names or '<>'; "
                "leave the field empty when the person has none",
                lambda v: f"(length(trim({v})) > {contact_details.EMAIL_MAX} OR "
                f"NOT regexp_full_match(trim({v}), {lit(contact_details.EMAIL_REGEX)}))",
            )
        ]

    def clean(self, v: str, column: Column) -> str:
        return f"trim({v})"


DIAGNOSIS_REGEX = "D[A-Z][0-9]{2}[A-Z0-9]{0,6}"
PROCEDURE_REGEX = "[A-CE-Z][A-Z][A-Z0-9]{1,8}"
DIAGNOSIS_TEXT = ("SKS diagnosis code", "D, a letter, 2 digits, then up to 6 letters or digits", "DJ441")

KINDS: dict[str, Kind] = {
    contract.CPR: Cpr(),
    contract.TEXT: Text(),
    contract.DATE: Date(),
    contract.TIMESTAMP: Timestamp(),
    contract.ENUM: Enum(),
    contract.MUNICIPALITY: Municipality(),
    contract.HOSPITAL_UNIT: HospitalUnit(),
    contract.DIAGNOSIS: Codes("diagnosis_code", DIAGNOSIS_REGEX, *DIAGNOSIS_TEXT, many=False),
    contract.DIAGNOSES: Codes("diagnosis_code", DIAGNOSIS_REGEX, *DIAGNOSIS_TEXT, many=True),
    contract.PROCEDURES: Codes(
        "procedure_code", PROCEDURE_REGEX, "SKS procedure code",
        "a letter other than D, a letter, then 1-8 letters or digits", "KJFB20 or AAF6", many=True,
    ),
    contract.NUMBER: Number(),
    contract.PHONE: Phone(),
    contract.EMAIL: Email(),
}


def kind(column: Column) -> Kind:
    return KINDS[column.kind]


@dataclass(frozen=True)
class RowCheck:
    """A rule comparing columns of one row, on their stored values (NULL when invalid). It is
    checked last among the rules of ``column``, so only where that column's value is valid."""

    file: str
    severity: str  # "reject" | "warning"
    column: str  # the column the finding is reported on
    rule: str
    message: str
    fix: str
    fails: Callable[[dict[str, str]], str]  # from the stored values' SQL by column
    reason: Callable[[dict[str, str]], str] | None = None


def _in_future(file: str, column: str, fix: str) -> RowCheck:
    return RowCheck(file, "warning", column, "date_in_future", f"{column} is after the day of the load", fix,
                    lambda c: f"CAST({c[column]} AS DATE) > current_date")


ROW_CHECKS = (
    RowCheck(
        "contacts", "reject", "end", "end_before_start",
        "the contact ends before it starts",
        "check start and end; leave end empty while the contact is ongoing",
        lambda c: f"{c['end']} < {c['start']}",
    ),
    RowCheck(
        "contacts", "warning", "end", "contact_too_long",
        "the contact lasts longer than the limit for one contact (--max-contact-days)",
        "check start and end (a missing discharge may have been filled in with a placeholder date)",
        lambda c: f"date_diff('second', {c['start']}, {c['end']}) > max_contact_days() * 86400",
        lambda c: f"'the contact lasts ' || date_diff('day', {c['start']}, {c['end']}) || ' days; the limit is ' "
        "|| max_contact_days() || ' days'",
    ),
    RowCheck(
        "persons", "warning", "birth_date", "birth_date_not_cpr",
        "birth_date differs from the date part of the CPR number",
        "check birth_date and the CPR number (replacement CPR numbers can differ; then ignore this)",
        lambda c: f"{c['birth_date']} <> cpr_birth_date({c['cpr']})",
    ),
    RowCheck(
        "persons", "warning", "death_date", "death_before_birth",
        "death_date is before birth_date",
        "check death_date and birth_date",
        lambda c: f"{c['death_date']} < {c['birth_date']}",
    ),
    _in_future("persons", "birth_date", "check birth_date"),
    _in_future("persons", "death_date", "check death_date"),
    _in_future("contacts", "start", "check start (timestamps are Danish local time)"),
    _in_future("contacts", "end", "check end; leave it empty while the contact is ongoing"),
)

DEFAULT_MAX_CONTACT_DAYS = 365


def create_limits(con, max_contact_days: int) -> None:
    """Define the SQL macros of the limits the row checks use (settings of the load)."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO max_contact_days() AS {int(max_contact_days)}")


# Rows DuckDB's CSV reader could not split into fields, by its error type.
PARSE_RULES: dict[str, tuple[str, str, str]] = {
    "MISSING COLUMNS": (
        "field_count", "the line does not have one value per header column",
        "give every line exactly one value per header column; put quotes around values containing commas",
    ),
    "TOO MANY COLUMNS": (
        "field_count", "the line does not have one value per header column",
        "give every line exactly one value per header column; put quotes around values containing commas",
    ),
    "UNQUOTED VALUE": (
        "quoting", "a quoted value is not closed correctly",
        'end each quoted value with a quote right before the comma, and write a quote inside a '
        'quoted value as two quotes ("")',
    ),
    "INVALID ENCODING": (
        "encoding", "the line is not valid UTF-8",
        "save the file as UTF-8 (in Excel: 'CSV UTF-8')",
    ),
    "LINE SIZE OVER MAXIMUM": (
        "line_too_long", "the line is longer than 2 MB",
        "check for a missing closing quote that makes many lines one value",
    ),
}
PARSE_OTHER = ("csv_syntax", "the line could not be read as CSV", "check the line's quotes and commas")
