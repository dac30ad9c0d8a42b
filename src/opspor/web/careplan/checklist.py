"""After the MDT's configuration (``config/careplan.yaml``): the professions that own tasks, the
discharge checklist whose items become tasks, the sectors' users, the sections of the shared plan
and how each section's owner is named.

Plain Python (no Django): ``load(path)`` reads and checks the file through
:mod:`opspor.config_reader` (errors name the file, the key, the problem and the fix);
``config()`` is the shipped file (or the one ``OPSPOR_CAREPLAN_FILE`` names), read again when it
changes. The format is described in the file itself and in docs/shared-plan.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from opspor import config_reader

FILE = Path(__file__).with_name("config") / "careplan.yaml"
# who owns a task: the conference's department, the citizen's municipality, the citizen's GP practice
SECTORS = ("hospital", "municipality", "general_practice")
# the organisation kinds of accounts.roles.OrgKind (this module is plain Python)
ORG_KINDS = ("region", "department", "municipality", "gp_practice")
# who owns a section of the shared plan: a sector's users, or the citizen on their own page
CITIZEN = "citizen"
OWNERS = (*SECTORS, CITIZEN)


class CareplanConfigError(config_reader.ConfigError):
    """The file cannot be used (file, key, problem, fix)."""


class _Ctx(config_reader.Ctx):
    error_class = CareplanConfigError


@dataclass(frozen=True)
class Titled:
    id: str
    title_da: str
    title_en: str


@dataclass(frozen=True)
class Section:
    """A section of the shared plan and who owns it (changes it; everybody else reads it)."""

    id: str
    title_da: str
    title_en: str
    owner: str


@dataclass(frozen=True)
class Item:
    """One item of the discharge checklist: the task it becomes."""

    id: str
    title_da: str
    title_en: str
    source: str
    sector: str
    profession: str
    due_days: int


@dataclass(frozen=True)
class Config:
    version: str
    file: str
    professions: dict[str, Titled]
    checklist: tuple[Item, ...]
    plan_sections: tuple[Section, ...]
    # sector -> the organisation kinds whose users belong to it
    sector_organisations: dict[str, tuple[str, ...]]
    # owner of a section (a sector or the citizen) -> its name in the plan ("the municipality")
    owners: dict[str, Titled]

    def sector_of(self, org_kind: str | None) -> str | None:
        """The sector of a user of an organisation of ``org_kind`` (None: no sector)."""
        return next((sector for sector, kinds in self.sector_organisations.items() if org_kind in kinds), None)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.plan_sections if s.id == section_id), None)

    def owned_by(self, owner: str | None) -> tuple[str, ...]:
        """The ids of the sections ``owner`` (a sector or ``citizen``) changes."""
        return tuple(s.id for s in self.plan_sections if owner is not None and s.owner == owner)

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.checklist if i.id == item_id), None)

    @property
    def section_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.plan_sections)


def _titled(ctx: _Ctx, raw, extra: tuple[str, ...] = ()) -> dict:
    allowed = ("title_da", "title_en", *extra)
    raw = config_reader.mapping(ctx, raw, allowed, allowed)
    for k in ("title_da", "title_en"):
        raw[k] = config_reader.text(ctx.at(k), raw[k], "title")
    return raw


def _ids(ctx: _Ctx, raw, what: str) -> list:
    if not isinstance(raw, list) or not raw:
        raise ctx.error(f"expected a non-empty list of {what}", "write each as `- {id: ..., title_da: ..., title_en: ...}`")
    return raw


def parse(data, file: str) -> Config:
    ctx = _Ctx(file)
    top = ("version", "professions", "checklist", "sector_organisations", "owners", "plan_sections")
    data = config_reader.mapping(ctx, data, top, top, docs="see docs/shared-plan.md")
    version = config_reader.version(ctx.at("version"), data["version"])
    pctx = ctx.at("professions")
    raw_professions = data["professions"]
    if not isinstance(raw_professions, dict) or not raw_professions:
        raise pctx.error("expected a mapping of professions", 'write e.g. `doctor: {title_da: "Læge", title_en: "Doctor"}`')
    professions = {}
    for key, raw in raw_professions.items():
        config_reader.ident(pctx, key, "profession")
        raw = _titled(pctx.at(key), raw)
        professions[key] = Titled(key, raw["title_da"], raw["title_en"])
    items, seen = [], set()
    cctx = ctx.at("checklist")
    for i, raw in enumerate(_ids(cctx, data["checklist"], "checklist items")):
        at = cctx.at(i)
        keys = ("id", "title_da", "title_en", "source", "sector", "profession", "due_days")
        raw = config_reader.mapping(at, raw, keys, keys)
        item_id = config_reader.ident(at.at("id"), raw["id"], "id")
        if item_id in seen:
            raise at.at("id").error(f"{item_id!r} is used twice", "give each item its own id")
        seen.add(item_id)
        items.append(Item(
            item_id,
            config_reader.text(at.at("title_da"), raw["title_da"], "title"),
            config_reader.text(at.at("title_en"), raw["title_en"], "title"),
            config_reader.text(at.at("source"), str(raw["source"]), "source"),
            config_reader.choice(at.at("sector"), raw["sector"], SECTORS, "sector"),
            config_reader.choice(at.at("profession"), raw["profession"], tuple(professions), "profession"),
            config_reader.integer(at.at("due_days"), raw["due_days"], 0, "3"),
        ))
    octx = ctx.at("sector_organisations")
    raw_orgs = config_reader.mapping(octx, data["sector_organisations"], SECTORS, SECTORS)
    sector_organisations, kinds_seen = {}, set()
    for sector in SECTORS:
        kinds = config_reader.choices(octx.at(sector), raw_orgs[sector], ORG_KINDS, "department")
        if kinds_seen & set(kinds):
            raise octx.at(sector).error(f"{', '.join(sorted(kinds_seen & set(kinds)))} is in two sectors",
                                        "list each kind of organisation under one sector")
        kinds_seen |= set(kinds)
        sector_organisations[sector] = kinds
    wctx = ctx.at("owners")
    raw_owners = config_reader.mapping(wctx, data["owners"], OWNERS, OWNERS)
    owners = {owner: Titled(owner, **_titled(wctx.at(owner), raw_owners[owner])) for owner in OWNERS}
    sections, seen = [], set()
    sctx = ctx.at("plan_sections")
    for i, raw in enumerate(_ids(sctx, data["plan_sections"], "plan sections")):
        at = sctx.at(i)
        raw = _titled(at, raw, extra=("id", "owner"))
        section_id = config_reader.ident(at.at("id"), raw["id"], "id")
        if section_id in seen:
            raise at.at("id").error(f"{section_id!r} is used twice", "give each section its own id")
        seen.add(section_id)
        owner = config_reader.choice(at.at("owner"), raw["owner"], OWNERS, "owner")
        sections.append(Section(section_id, raw["title_da"], raw["title_en"], owner))
    return Config(version, file, professions, tuple(items), tuple(sections), sector_organisations, owners)


def load(path: Path | str = FILE) -> Config:
    data, _ = config_reader.read_yaml(Path(path), CareplanConfigError)
    return parse(data, str(path))


_reread = config_reader.reread_when_changed(load)


def config() -> Config:
    """The file in force: ``OPSPOR_CAREPLAN_FILE`` or the shipped one, read again when it changes."""
    return _reread(Path(os.environ.get("OPSPOR_CAREPLAN_FILE") or FILE))
