"""Model governance: who proposed, approved and put each risk model in use, and going back.

A trained model (opspor.risk.registry) is put in use only after an approval recorded by a role
that may approve (``config/governance.yaml``): the programme lead proposes, a doctor of the
region approves (not the proposer), the lead selects; rollback returns to the model that was in
use before the current one was selected. Every step is a line in the decision log
``$OPSPOR_HOME/risk/governance/decisions.jsonl`` (append-only, mode 0600, no person data),
written under a file lock together with the ``SELECTED`` file, so the log and the model in use
agree. The web app (opspor.web.riskmodels) records the audit entry of each step in the same
transaction; the command line's ``opspor risk select-model`` refuses an unapproved model.

Nothing here imports Django: the steps take an :class:`Actor` (user name, role, organisation
kind), which the web app builds from the signed-in user.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opspor import config_reader
from opspor.risk import registry
from opspor.risk.config import CONFIG_DIR, Ctx, RiskConfigError
from opspor.risk.settings import config_dir

GOVERNANCE_FILE = "governance.yaml"
STEPS = ("propose", "approve", "select", "rollback")
LANGS = ("da", "en")
COMMAND_LINE_ROLE = "operator"  # the server's operator running `opspor risk select-model`


class GovernanceError(registry.RegistryError):
    """A governance step refused: says why and what to do instead; ``code`` names the reason
    for the web app's own (translated) text."""

    def __init__(self, message: str, code: str = "other"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Actor:
    username: str
    name: str
    role: str
    organisation_kind: str = ""
    organisation: str = ""


def command_line_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return Actor(username=f"opspor risk select-model ({user})", name=user, role=COMMAND_LINE_ROLE)


@dataclass(frozen=True)
class Policy:
    file: str
    version: str
    steps: dict[str, tuple[tuple[str, str], ...]]  # step -> ((role, organisation kind), ...)
    approver_not_proposer: bool
    command_line_select: bool
    intended_use: dict[str, str]
    limits: tuple[dict[str, str], ...]
    fairness: dict  # min_admissions, oe_low, oe_high, ppv_ratio_min (opspor.risk.fairness)

    def allows(self, actor: Actor, step: str) -> bool:
        return any(actor.role == role and (not kind or actor.organisation_kind == kind)
                   for role, kind in self.steps[step])

    def roles(self, step: str) -> tuple[str, ...]:
        return tuple(role for role, _ in self.steps[step])


def _texts(ctx: Ctx, value: Any) -> dict[str, str]:
    value = config_reader.mapping(ctx, value, LANGS, LANGS, docs="write `da: ...` and `en: ...`")
    return {lang: config_reader.text(ctx.at(lang), value[lang]) for lang in LANGS}


def _fairness(ctx: Ctx, value: Any) -> dict:
    keys = ("min_admissions", "oe_low", "oe_high", "ppv_ratio_min")
    value = config_reader.mapping(ctx, value, keys, keys, docs="see the shipped governance.yaml")
    out = {"min_admissions": config_reader.integer(ctx.at("min_admissions"), value["min_admissions"], 1, "min_admissions: 20")}
    for key in keys[1:]:
        v = value[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
            raise ctx.at(key).error(f"expected a positive number, got {v!r}", f"write e.g. `{key}: 0.8`")
        out[key] = float(v)
    if out["oe_low"] >= out["oe_high"]:
        raise ctx.at("oe_low").error("must be below oe_high", "e.g. `oe_low: 0.8` and `oe_high: 1.25`")
    return out


def load_policy(path: Path | None = None) -> Policy:
    """Read and check ``governance.yaml`` (a region's from ``OPSPOR_RISK_CONFIG``, else the shipped)."""
    if path is None:
        own = config_dir() / GOVERNANCE_FILE
        path = own if own.is_file() else CONFIG_DIR / GOVERNANCE_FILE
    data, _ = config_reader.read_yaml(path, RiskConfigError)
    ctx = Ctx(str(path))
    top = config_reader.mapping(ctx, data, ("version", "steps", "approver_not_proposer", "command_line_select",
                                            "card", "fairness"), ("version", "steps", "card", "fairness"),
                                docs="see the shipped governance.yaml")
    steps_in = config_reader.mapping(ctx.at("steps"), top["steps"], STEPS, STEPS,
                                     docs="e.g. `[{role: programme_lead, organisation: region}]`")
    steps: dict[str, tuple[tuple[str, str], ...]] = {}
    for step in STEPS:
        sctx = ctx.at("steps").at(step)
        entries = steps_in[step]
        if not isinstance(entries, list) or not entries:
            raise sctx.error("expected a non-empty list of roles",
                             "write e.g. `[{role: programme_lead, organisation: region}]`")
        out = []
        for i, entry in enumerate(entries):
            ectx = sctx.at(i)
            entry = config_reader.mapping(ectx, entry, ("role", "organisation"), ("role",),
                                          docs="e.g. `role: doctor`")
            out.append((config_reader.ident(ectx.at("role"), entry["role"], "role"),
                        config_reader.ident(ectx.at("organisation"), entry["organisation"], "organisation kind")
                        if "organisation" in entry else ""))
        steps[step] = tuple(out)
    card = config_reader.mapping(ctx.at("card"), top["card"], ("intended_use", "limits"), ("intended_use", "limits"),
                                 docs="see the shipped governance.yaml")
    if not isinstance(card["limits"], list):
        raise ctx.at("card").at("limits").error("expected a list of `{da: ..., en: ...}`", "see the shipped file")
    return Policy(
        file=str(path),
        fairness=_fairness(ctx.at("fairness"), top["fairness"]),
        version=config_reader.version(ctx.at("version"), top["version"]),
        steps=steps,
        approver_not_proposer=config_reader.boolean(ctx.at("approver_not_proposer"),
                                                    top.get("approver_not_proposer", True)),
        command_line_select=config_reader.boolean(ctx.at("command_line_select"), top.get("command_line_select", True)),
        intended_use=_texts(ctx.at("card").at("intended_use"), card["intended_use"]),
        limits=tuple(_texts(ctx.at("card").at("limits").at(i), v) for i, v in enumerate(card["limits"])),
    )


# --------------------------------------------------------------------------- the decision log


def log_file() -> Path:
    return registry.risk_dir() / "governance" / "decisions.jsonl"


def decisions() -> list[dict]:
    """Every decision, oldest first."""
    try:
        text = log_file().read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                raise GovernanceError(f"{log_file()} line {number} is not valid JSON: the decision log was "
                                      "edited by hand. Fix: restore it from the backup") from None
    return out


@contextmanager
def _locked() -> Iterator[None]:
    folder = log_file().parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _append(entry: dict) -> int:
    """Append one decision; returns the log's size before, to undo it."""
    path = log_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        before = os.fstat(fd).st_size
        os.write(fd, (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return before


def _undo(size: int) -> None:
    with open(log_file(), "r+b") as f:
        f.truncate(size)
        os.fsync(f.fileno())


@dataclass(frozen=True)
class ModelState:
    model_id: str
    proposed: dict | None
    approved: dict | None
    in_use: bool
    used_before: bool


def _stack(entries: list[dict]) -> list[str]:
    """The models put in use, replayed: select pushes, rollback pops; the last is in use."""
    stack: list[str] = []
    for e in entries:
        if e["step"] == "select":
            stack.append(e["model_id"])
        elif e["step"] == "rollback" and stack:
            stack.pop()
    return stack


def state(model_id: str, entries: list[dict] | None = None) -> ModelState:
    entries = decisions() if entries is None else entries
    mine = [e for e in entries if e["model_id"] == model_id]
    last = {step: next((e for e in reversed(mine) if e["step"] == step), None) for step in STEPS}
    return ModelState(model_id, last["propose"], last["approve"], registry.selected() == model_id,
                      bool(last["select"]))


def rollback_target(entries: list[dict] | None = None) -> str | None:
    """The model that was in use before the current one was selected, or None."""
    stack = _stack(decisions() if entries is None else entries)
    current = registry.selected()
    if len(stack) < 2 or stack[-1] != current:
        return None
    return stack[-2]


def _entry(step: str, model_id: str, actor: Actor, note: str, policy: Policy, **extra) -> dict:
    return {"at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "step": step, "model_id": model_id,
            "username": actor.username, "name": actor.name, "role": actor.role,
            "organisation": actor.organisation, "note": note.strip()[:500], "policy_version": policy.version,
            **extra}


def _refuse_role(policy: Policy, actor: Actor, step: str) -> None:
    if not policy.allows(actor, step):
        wanted = ", ".join(f"{r}" + (f" ({k})" if k else "") for r, k in policy.steps[step])
        raise GovernanceError(f"{actor.username} ({actor.role or 'no role'}) may not {step} a risk model: "
                              f"{policy.file} gives that step to {wanted}", "role")


def propose(model_id: str, actor: Actor, note: str = "", policy: Policy | None = None) -> dict:
    """Record that ``actor`` proposes the stored model for use (a note says why)."""
    policy = policy or load_policy()
    _refuse_role(policy, actor, "propose")
    registry.model_record(model_id)
    with _locked():
        entry = _entry("propose", model_id, actor, note, policy)
        _append(entry)
    return entry


def approve(model_id: str, actor: Actor, note: str = "", policy: Policy | None = None) -> dict:
    """Record the approval of a proposed model by a role that may approve (not the proposer)."""
    policy = policy or load_policy()
    _refuse_role(policy, actor, "approve")
    registry.model_record(model_id)
    with _locked():
        now = state(model_id)
        if now.proposed is None:
            raise GovernanceError(f"model {model_id} has not been proposed for use. Fix: the programme lead "
                                  "proposes it first (web page Risikomodeller)", "not_proposed")
        if now.approved is not None:
            raise GovernanceError(f"model {model_id} is already approved (by {now.approved['username']} on "
                                  f"{now.approved['at']})", "already_approved")
        if policy.approver_not_proposer and now.proposed["username"] == actor.username:
            raise GovernanceError(f"{actor.username} proposed model {model_id} and may not also approve it "
                                  "(four eyes: another person with the approving role approves)", "four_eyes")
        entry = _entry("approve", model_id, actor, note, policy)
        _append(entry)
    return entry


def _put_in_use(step: str, model_id: str, actor: Actor, note: str, policy: Policy, previous: str | None) -> dict:
    entry = _entry(step, model_id, actor, note, policy, previous=previous)
    size = _append(entry)
    try:
        registry.select(model_id)  # checks the model loads (hash, versions) and replaces SELECTED
    except BaseException:
        _undo(size)
        raise
    return entry


def select(model_id: str, actor: Actor, note: str = "", policy: Policy | None = None) -> dict:
    """Put an approved model in use; an unapproved one is refused, naming the fix."""
    policy = policy or load_policy()
    if actor.role == COMMAND_LINE_ROLE:
        if not policy.command_line_select:
            raise GovernanceError(f"{policy.file} (command_line_select: false) lets only the web page select a "
                                  "model. Fix: the programme lead selects it on the page Risikomodeller", "command_line")
    else:
        _refuse_role(policy, actor, "select")
    registry.model_record(model_id)
    with _locked():
        now = state(model_id)
        if now.approved is None:
            raise GovernanceError(
                f"model {model_id} has no recorded approval and cannot be put in use. Fix: the programme lead "
                f"proposes it and a {' or '.join(policy.roles('approve'))} of the region approves it on the web "
                "page Risikomodeller (/risikomodeller/); then select it there or run `opspor risk select-model` "
                "again", "not_approved")
        if now.in_use:
            raise GovernanceError(f"model {model_id} is already in use", "in_use")
        return _put_in_use("select", model_id, actor, note, policy, registry.selected())


def rollback(actor: Actor, note: str = "", policy: Policy | None = None) -> dict:
    """Go back to the model in use before the current one was selected."""
    policy = policy or load_policy()
    _refuse_role(policy, actor, "rollback")
    with _locked():
        entries = decisions()
        target = rollback_target(entries)
        if target is None:
            raise GovernanceError("there is no earlier model to go back to: the model in use is the first one "
                                  "selected through the decision log", "no_previous")
        if state(target, entries).approved is None:  # cannot happen through this module; a guard
            raise GovernanceError(f"the earlier model {target} has no recorded approval")
        return _put_in_use("rollback", target, actor, note, policy, registry.selected())
