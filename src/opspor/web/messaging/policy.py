"""The two configuration files of the messages: the policy (``config/policy.yaml``: purpose,
legal basis, consent and objection per event and recipient kind, what a message asks of a
practice or municipality and by when, and the message texts) and the
address book (recipient -> SOR code and EAN number; the shipped one is synthetic, a region
points ``OPSPOR_MESSAGES_ADDRESSBOOK`` at its own).

Both are read strictly: unknown or missing keys are errors naming the file, the key and the fix.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from opspor import config_reader
from opspor.fhir.medcom import Party

CONFIG_DIR = Path(__file__).with_name("config")
POLICY_FILE = CONFIG_DIR / "policy.yaml"
SYNTHETIC_ADDRESSBOOK = CONFIG_DIR / "addressbook.synthetic.yaml"

EVENTS = ("aps_included", "aps_ended", "mdt_action", "data_alert", "acute_change", "acute_closed",
          "telemonitoring_alarm", "acute_declined", "care_task")
RECIPIENT_KINDS = ("gp_practice", "municipality", "on_call", "department")
CONSENT_KINDS = ("aps_case", "none")


class MessagesConfigError(config_reader.ConfigError):
    """The messages' policy or address book cannot be used (file, key, problem, fix)."""


class _Ctx(config_reader.Ctx):
    error_class = MessagesConfigError


class NoAddress(LookupError):
    """A recipient (``code`` "no_address") or the region's sender ("no_sender") is not in the
    address book; the message says where to add it."""

    def __init__(self, message: str, code: str = "no_address") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RecipientPolicy:
    purpose: str
    legal_basis: str
    consent: str
    objection_allowed: bool
    asks: str = ""  # what the message asks the practice or municipality to do (plain Danish)
    answer_within_days: int | None = None  # by when, from sending; None: not by a date

    def asked_by(self, sent: dt.date) -> dt.date | None:
        """The day by which the recipient is asked to act on a message sent on ``sent``."""
        return None if self.answer_within_days is None else sent + dt.timedelta(days=self.answer_within_days)


@dataclass(frozen=True)
class EventPolicy:
    event: str
    text: str
    category: str
    topic: str
    recipients: dict[str, RecipientPolicy]


@dataclass(frozen=True)
class Policy:
    version: str
    file: str
    author_roles: dict[str, str]
    events: dict[str, EventPolicy]

    def rule(self, event: str, recipient_kind: str) -> RecipientPolicy | None:
        return self.events[event].recipients.get(recipient_kind)


def _read(path: Path):
    data, _ = config_reader.read_yaml(path, MessagesConfigError)
    if not isinstance(data, dict):
        raise MessagesConfigError(str(path), "(file)", "is not a mapping", "start the file with `version:`")
    return data


def _keys(file: str, where: str, data, required: set[str], optional: set[str] = frozenset()) -> None:
    config_reader.mapping(_Ctx(file, where), data, tuple(sorted(required | set(optional))), tuple(sorted(required)),
                          docs="see docs/messages.md")


# the recipients who read their messages in opspor's inbox: each message must say what it asks
ASKED_KINDS = ("gp_practice", "municipality")


def _asks(file: str, at: str, kind: str, rule: dict) -> tuple[str, int | None]:
    asks = str(rule.get("asks") or "").strip()
    if kind in ASKED_KINDS and not asks:
        raise MessagesConfigError(file, f"{at}.asks", "is missing: the inbox must say what the message asks of them",
                                  "write in plain Danish what they are asked to do (or that it is for information)")
    within = rule.get("answer_within_days")
    if within is not None and (isinstance(within, bool) or not isinstance(within, int) or within < 0):
        raise MessagesConfigError(file, f"{at}.answer_within_days", f"{within!r} is not a number of days",
                                  "write a whole number of days (0 or more), or null when nothing is asked by a date")
    return asks, within


def load_policy(path: Path = POLICY_FILE) -> Policy:
    file = str(path)
    data = _read(path)
    _keys(file, "", data, {"version", "events", "author_roles"}, {"legal_review"})
    events = {}
    for event, raw in data["events"].items():
        where = f"events.{event}"
        if event not in EVENTS:
            raise MessagesConfigError(file, where, "unknown event", f"use {', '.join(EVENTS)}")
        _keys(file, where, raw, {"text", "recipients"}, {"category", "topic"})
        recipients = {}
        for kind, rule in raw["recipients"].items():
            at = f"{where}.recipients.{kind}"
            if kind not in RECIPIENT_KINDS:
                raise MessagesConfigError(file, at, "unknown recipient kind", f"use {', '.join(RECIPIENT_KINDS)}")
            _keys(file, at, rule, {"purpose", "legal_basis", "consent", "objection_allowed"},
                  {"asks", "answer_within_days"})
            asks, within = _asks(file, at, kind, rule)
            if rule["consent"] not in CONSENT_KINDS:
                raise MessagesConfigError(file, f"{at}.consent", f"{rule['consent']!r} is not known",
                                          f"use {' or '.join(CONSENT_KINDS)}")
            if not isinstance(rule["objection_allowed"], bool):
                raise MessagesConfigError(file, f"{at}.objection_allowed", "must be true or false", "write true or false")
            recipients[kind] = RecipientPolicy(str(rule["purpose"]).strip(), str(rule["legal_basis"]).strip(),
                                               rule["consent"], rule["objection_allowed"], asks, within)
        if event != "data_alert" and not (raw.get("category") and raw.get("topic")):
            raise MessagesConfigError(file, where, "a CareCommunication needs `category` and `topic`",
                                      "add the MedCom category code and a topic")
        events[event] = EventPolicy(event, str(raw["text"]).strip(), raw.get("category", ""), raw.get("topic", ""),
                                    recipients)
    for event in EVENTS:
        if event not in events:
            raise MessagesConfigError(file, f"events.{event}", "is missing", "describe the event")
    return Policy(str(data["version"]), file, dict(data["author_roles"]), events)


@lru_cache(maxsize=4)
def _policy_cached(path: str, mtime: float) -> Policy:
    return load_policy(Path(path))


def policy() -> Policy:
    return _policy_cached(str(POLICY_FILE), POLICY_FILE.stat().st_mtime)


# --------------------------------------------------------------------------- address book

@dataclass(frozen=True)
class AddressBook:
    version: str
    file: str
    synthetic: bool
    fhir_base: str
    senders: dict[str, Party]
    recipients: dict[str, dict[str, Party]]

    def sender(self, region_code: str) -> Party:
        try:
            return self.senders[region_code]
        except KeyError:
            raise NoAddress(f"no sender address for region {region_code}: add it under `senders` "
                            f"to {self.file}", "no_sender") from None

    def recipient(self, kind: str, code: str) -> Party:
        try:
            return self.recipients[kind][code]
        except KeyError:
            label = {"gp_practice": "GP practice", "municipality": "municipality", "on_call": "on-call service of region",
                     "department": "hospital department"}.get(kind, kind)
            raise NoAddress(f"no address for {label} {code}: add it under `recipients.{kind}` to {self.file}") from None

    def by_sor(self, sor: str) -> tuple[str, str, Party] | None:
        """(kind, code, party) of the recipient with SOR code ``sor``: who a received message is from."""
        for kind, parties in self.recipients.items():
            for code, party in parties.items():
                if party.sor == sor:
                    return kind, code, party
        return None


_DIGITS = re.compile(r"^\d+$")


def _party(file: str, where: str, raw, phone: bool = False) -> Party:
    _keys(file, where, raw, {"name", "sor", "ean"}, {"phone"})
    sor, ean = str(raw["sor"]), str(raw["ean"])
    if not _DIGITS.match(sor):
        raise MessagesConfigError(file, f"{where}.sor", f"{sor!r} is not a SOR code (digits)", "copy the SOR code from SOR")
    if not re.match(r"^\d{13}$", ean):
        raise MessagesConfigError(file, f"{where}.ean", f"{ean!r} is not an EAN number (13 digits)",
                                  "copy the EAN (lokationsnummer) from the EAN register")
    if phone and not raw.get("phone"):
        raise MessagesConfigError(file, f"{where}.phone", "is missing", "add the phone number the recipient calls")
    return Party(str(raw["name"]), sor, ean, str(raw.get("phone", "")))


def addressbook_path() -> Path:
    configured = os.environ.get("OPSPOR_MESSAGES_ADDRESSBOOK", "").strip()
    return Path(configured) if configured else SYNTHETIC_ADDRESSBOOK


def load_addressbook(path: Path) -> AddressBook:
    file = str(path)
    data = _read(path)
    _keys(file, "", data, {"version", "fhir_base", "senders", "recipients"}, {"synthetic"})
    senders = {str(code): _party(file, f"senders.{code}", raw, phone=True) for code, raw in data["senders"].items()}
    _keys(file, "recipients", data["recipients"], set(), set(RECIPIENT_KINDS))
    recipients = {kind: {str(code): _party(file, f"recipients.{kind}.{code}", raw)
                         for code, raw in (data["recipients"].get(kind) or {}).items()}
                  for kind in RECIPIENT_KINDS}
    return AddressBook(str(data["version"]), file, bool(data.get("synthetic", False)), str(data["fhir_base"]),
                       senders, recipients)


@lru_cache(maxsize=4)
def _book_cached(path: str, mtime: float) -> AddressBook:
    return load_addressbook(Path(path))


def addressbook() -> AddressBook:
    path = addressbook_path()
    try:
        mtime = path.stat().st_mtime
    except OSError as e:
        raise MessagesConfigError(str(path), "(file)", f"cannot be read ({e.strerror})",
                                  "set OPSPOR_MESSAGES_ADDRESSBOOK to the region's address book") from None
    return _book_cached(str(path), mtime)
