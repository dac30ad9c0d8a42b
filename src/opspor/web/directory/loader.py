"""The directory file: a versioned YAML list of offers, read and checked here (the format is in
the shipped example ``config/directory.461.yaml`` and docs/acute.md). Every problem is a
:class:`DirectoryFileError` naming the file, the key (``offers[2].capacity``), the problem and
the fix; nothing is written until the whole file is good (``actions.load_file``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from opspor import config_reader, reference
from opspor.web.directory.models import OfferKind, OwnerKind, Referrer

CONFIG_DIR = Path(__file__).with_name("config")
EXAMPLE_FILE = CONFIG_DIR / "directory.461.yaml"

TOP_KEYS = ("version", "offers", "source")
OFFER_KEYS = ("key", "owner", "kind", "name", "referrers", "opening_hours", "how_to_book", "phone", "capacity",
              "note")
OFFER_REQUIRED = ("key", "owner", "kind", "name", "referrers", "opening_hours", "how_to_book", "capacity")
EXAMPLES = {
    "version": '"2026-12-05.1"', "offers": "a list of offers", "key": "odense-akutteam",
    "owner": '{municipality: "461"}', "kind": "acute_team", "name": "Akutteam Odense",
    "referrers": "[gp, on_call, hospital]", "opening_hours": '"Alle dage 00-24"',
    "how_to_book": '"Ring til akutteamet, derefter skriftlig henvisning"', "capacity": "4",
}


class DirectoryFileError(config_reader.ConfigError):
    """The directory file cannot be used (file, key, problem, fix)."""


class _Ctx(config_reader.Ctx):
    error_class = DirectoryFileError


@dataclass(frozen=True)
class OfferRow:
    key: str
    owner_kind: str
    owner_code: str
    owner_name: str
    region_code: str
    kind: str
    name: str
    referrers: tuple[str, ...]
    opening_hours: str
    how_to_book: str
    phone: str
    capacity: int
    note: str


@dataclass(frozen=True)
class DirectoryFile:
    file: str
    version: str
    sha256: str
    offers: tuple[OfferRow, ...]

    @property
    def owners(self) -> set[tuple[str, str]]:
        return {(o.owner_kind, o.owner_code) for o in self.offers}


def _owner(ctx: _Ctx, value) -> tuple[str, str, str, str]:
    """(kind, code, name, region) of ``owner: {municipality: "461"}`` or ``{region: "1083"}``."""
    raw = config_reader.mapping(ctx, value, tuple(OwnerKind.values), docs='write `{municipality: "461"}`')
    if len(raw) != 1:
        raise ctx.error("name exactly one owner", 'write `{municipality: "461"}` or `{region: "1083"}`')
    (kind, code), = raw.items()
    code = str(code).strip()
    if kind == OwnerKind.MUNICIPALITY:
        found = reference.municipality_by_code().get(code)
        if found is None:
            raise ctx.at(kind).error(f"no municipality has the code {code!r}",
                                     "use the municipality's three-digit code (Odense is 461)")
        return kind, code, found.name, found.region_code
    regions = {r.code: r for r in reference.regions()}
    if code not in regions:
        raise ctx.at(kind).error(f"no region has the code {code!r}", f"use one of {', '.join(sorted(regions))}")
    return kind, code, regions[code].name, code


def _offer(ctx: _Ctx, raw) -> OfferRow:
    raw = config_reader.mapping(ctx, raw, OFFER_KEYS, OFFER_REQUIRED, EXAMPLES, docs="see docs/acute.md")
    key = config_reader.text(ctx.at("key"), raw["key"], "key")
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in key) or len(key) > 80:
        raise ctx.at("key").error(f"{key!r} is not a key (letters, digits, '-' and '_', at most 80)",
                                  "write e.g. `odense-akutteam`")
    owner_kind, owner_code, owner_name, region = _owner(ctx.at("owner"), raw["owner"])
    referrers = config_reader.choices(ctx.at("referrers"), raw["referrers"], tuple(Referrer.values))
    phone = raw.get("phone", "")
    return OfferRow(
        key=key, owner_kind=owner_kind, owner_code=owner_code, owner_name=owner_name, region_code=region,
        kind=config_reader.choice(ctx.at("kind"), raw["kind"], tuple(OfferKind.values), "kind"),
        name=config_reader.text(ctx.at("name"), raw["name"], "name")[:200],
        referrers=referrers,
        opening_hours=config_reader.text(ctx.at("opening_hours"), raw["opening_hours"], "opening hours")[:300],
        how_to_book=config_reader.text(ctx.at("how_to_book"), raw["how_to_book"], "text")[:500],
        phone=str(phone).strip()[:40],
        capacity=config_reader.integer(ctx.at("capacity"), raw["capacity"], 0, "4"),
        note=str(raw.get("note", "") or "").strip()[:500],
    )


def parse(data, file: str, sha256: str = "") -> DirectoryFile:
    ctx = _Ctx(file)
    data = config_reader.mapping(ctx, data, TOP_KEYS, ("version", "offers"), EXAMPLES, docs="see docs/acute.md")
    version = config_reader.version(ctx.at("version"), data["version"])
    if not isinstance(data["offers"], list):
        raise ctx.at("offers").error("expected a list of offers", "write each offer as a `- key: ...` item")
    offers, seen = [], {}
    for i, raw in enumerate(data["offers"]):
        offer = _offer(ctx.at("offers").at(i), raw)
        if offer.key in seen:
            raise ctx.at("offers").at(i).at("key").error(
                f"{offer.key!r} is already the key of offers[{seen[offer.key]}]", "give each offer its own key")
        seen[offer.key] = i
        offers.append(offer)
    return DirectoryFile(file, version, sha256, tuple(offers))


def read(path: Path) -> DirectoryFile:
    data, sha = config_reader.read_yaml(path, DirectoryFileError)
    return parse(data, str(path), sha)


def read_text(text: str, name: str) -> DirectoryFile:
    """A file uploaded through the web (``name`` is the uploaded file's name, for messages)."""
    data = config_reader.parse_yaml(text, name, DirectoryFileError)
    return parse(data, name, hashlib.sha256(text.encode("utf-8")).hexdigest())
