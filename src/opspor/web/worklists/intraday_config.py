"""The intraday lists' configuration (``config/intraday.yaml``): Encounter class -> the data
contract's priority and contact type of a stay known only from HospitalNotifications.

Plain Python: ``load(path)`` reads and checks the file through :mod:`opspor.config_reader`
(errors name the file, the key, the problem and the fix); ``config()`` is the shipped file or the
one ``OPSPOR_INTRADAY_FILE`` names, read again when it changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from opspor import config_reader, contract

FILE = Path(__file__).with_name("config") / "intraday.yaml"


class IntradayConfigError(config_reader.ConfigError):
    """The file cannot be used (file, key, problem, fix)."""


class _Ctx(config_reader.Ctx):
    error_class = IntradayConfigError


@dataclass(frozen=True)
class ContactKind:
    priority: str
    contact_type: str


@dataclass(frozen=True)
class Config:
    version: str
    file: str
    encounter_class: dict[str, ContactKind]


def parse(data, file: str) -> Config:
    ctx = _Ctx(file)
    data = config_reader.mapping(ctx, data, ("version", "source", "encounter_class", "note"),
                                 ("version", "source", "encounter_class"), docs="see docs/messages.md")
    classes = {}
    cctx = ctx.at("encounter_class")
    if not isinstance(data["encounter_class"], dict) or not data["encounter_class"]:
        raise cctx.error("expected a mapping of Encounter class codes", "write e.g. `IMP: {priority: acute, "
                         "contact_type: physical}`")
    for code, raw in data["encounter_class"].items():
        at = cctx.at(str(code))
        raw = config_reader.mapping(at, raw, ("priority", "contact_type"), ("priority", "contact_type"))
        classes[str(code)] = ContactKind(
            config_reader.choice(at.at("priority"), raw["priority"], contract.PRIORITIES, "priority"),
            config_reader.choice(at.at("contact_type"), raw["contact_type"], contract.CONTACT_TYPES, "contact type"))
    return Config(config_reader.version(ctx.at("version"), data["version"]), file, classes)


def load(path: Path | str = FILE) -> Config:
    data, _ = config_reader.read_yaml(Path(path), IntradayConfigError)
    return parse(data, str(path))


_reread = config_reader.reread_when_changed(load)


def config() -> Config:
    """The file in force: ``OPSPOR_INTRADAY_FILE`` or the shipped one, read again when it changes."""
    return _reread(Path(os.environ.get("OPSPOR_INTRADAY_FILE") or FILE))
