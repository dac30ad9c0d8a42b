"""``opspor messages``: deliver the outbox, list it, validate a message file; receive messages (folder), sender tokens for the receiving endpoint."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from opspor.cli.web import django_setup

app = typer.Typer(help="Messages to and from GPs and municipalities (MedCom FHIR): delivery, outbox, validation, receiving.",
                  no_args_is_help=True)
err = Console(stderr=True)


def _settings():
    from opspor.web.messaging.delivery import DeliveryConfigError, settings_from_env

    try:
        return settings_from_env()
    except DeliveryConfigError as e:
        err.print(f"[red]Configuration error:[/red] {e}")
        raise typer.Exit(2) from None


@app.command()
def send(
    once: bool = typer.Option(False, "--once", help="Deliver at most one batch (--batch) and stop."),
    batch: int = typer.Option(100, "--batch", min=1, help="Messages per batch (with --once)."),
    loop: bool = typer.Option(False, "--loop", help="Keep running: deliver what is due, sleep, repeat (for a service)."),
    interval: float = typer.Option(30.0, "--interval", min=0.1, help="Seconds between rounds with --loop."),
) -> None:
    """Deliver due messages (queued, or sent without acknowledgement past the deadline) through
    the adapter of OPSPOR_MESSAGES_ADAPTER (folder | http). Without --once: until nothing is due now."""
    django_setup()
    from opspor.web.messaging import delivery

    settings = _settings()
    while True:
        summary = delivery.send(settings, batch=batch, drain=not once)
        for problem in summary.errors:
            err.print(f"[yellow]{problem}[/yellow]")
        if summary.attempted or summary.acks_read or not loop:
            Console().print(f"{summary.attempted} delivered ({summary.acknowledged} acknowledged, {summary.sent} sent "
                            f"awaiting acknowledgement, {summary.retrying} to retry, {summary.failed} failed); "
                            f"{summary.acks_read} acknowledgements read. Outbox: {delivery.counts()}")
        if not loop:
            break
        time.sleep(interval)


@app.command("list")
def list_(
    state: str = typer.Option("", help="Only messages in this state (queued, sent, acknowledged, failed, blocked)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
    limit: int = typer.Option(200, min=1, help="At most this many, newest first."),
) -> None:
    """The outbox, newest first. Persons by short key, never by CPR number."""
    django_setup()
    from opspor.web.messaging.models import OutboundMessage

    rows = OutboundMessage.objects.select_related("person").order_by("-created_at", "-id")
    if state:
        if state not in OutboundMessage.State.values:
            err.print(f"[red]Unknown state {state!r}:[/red] use {', '.join(OutboundMessage.State.values)}")
            raise typer.Exit(2)
        rows = rows.filter(state=state)
    rows = list(rows[:limit])
    if as_json:
        for m in rows:
            typer.echo(json.dumps({
                "message_id": str(m.message_id), "event": m.event, "kind": m.kind, "state": m.state,
                "recipient_kind": m.recipient_kind, "recipient_id": m.recipient_id,
                "person": m.person.short_key if m.person else None, "purpose": m.purpose,
                "attempts": m.attempts, "block_reason": m.block_reason, "last_error": m.last_error[:300],
            }, ensure_ascii=False))
        return
    table = Table(title=f"Outbox ({len(rows)})")
    for column in ("queued", "message", "event", "to", "person", "state", "attempts", "note"):
        table.add_column(column)
    for m in rows:
        table.add_row(f"{m.created_at:%Y-%m-%d %H:%M}", str(m.message_id), m.event,
                      f"{m.recipient_kind} {m.recipient_id}", m.person.short_key if m.person else "–", m.state,
                      str(m.attempts), (m.block_reason or m.last_error)[:80])
    Console().print(table)


@app.command()
def validate(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A FHIR message (JSON)."),
    profile: str = typer.Option("medcom-carecommunication", help="medcom-carecommunication, opspor-data-alert, medcom-hospitalnotification or "
                                 "medcom-carecommunication-inbound."),
) -> None:
    """Check a message file against the base FHIR rules and the profile's rules; exit 1 if it fails."""
    from opspor.fhir import profiles

    try:
        bundle = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        err.print(f"[red]{file}: not a JSON file:[/red] {e}")
        raise typer.Exit(1) from None
    try:
        found = profiles.findings(bundle, profile)
    except profiles.ProfileConfigError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    p = profiles.profile(profile)
    if found:
        for f in found:
            typer.echo(f"{file}: {f}")
        err.print(f"[red]{len(found)} problem(s):[/red] {file} does not conform to {p.title} (rules {p.version}).")
        raise typer.Exit(1)
    typer.echo(f"{file} conforms to {p.title} (rules {p.version}, {len(p.rules)} rules, and the base FHIR R4 model).")


@app.command()
def receive(folder: Path = typer.Argument(..., exists=True, file_okay=False,
                                          help="Folder of received MedCom messages (*.json, one FHIR message Bundle each).")) -> None:
    """Receive the messages in FOLDER: acknowledgements close opspor's messages in the outbox,
    replies land on the patient's case, HospitalNotifications update the day's lists, a new
    CareCommunication to a municipality is a referral to its acute function. Each file read goes to FOLDER/done/ (accepted, or a
    repeat of one accepted: nothing changed) or FOLDER/refused/ with NAME.reason.txt naming each
    element and its fix. Exit code 1 if any was refused."""
    django_setup()
    import os

    from opspor.web.acute import by_message
    from opspor.web.messaging import actions
    from opspor.web.messaging.models import InboundMessage

    counts = {"accepted": 0, "duplicate": 0, "refused": 0}
    for path in sorted(folder.glob("*.json")):
        receipt = actions.receive(path.read_bytes(), channel=InboundMessage.Channel.FOLDER, via=path.name,
                                  referrals=by_message.refer)
        counts[receipt.status] += 1
        target = folder / ("refused" if receipt.status == "refused" else "done")
        target.mkdir(mode=0o700, exist_ok=True)
        if receipt.status == "refused":
            reason = target / f"{path.name}.reason.txt"
            fd = os.open(reason, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("\n".join(map(str, receipt.problems)) + "\n")
            for problem in receipt.problems:
                err.print(f"{path.name}: {problem}", markup=False, highlight=False)
        os.replace(path, target / path.name)
    Console().print(f"{counts['accepted']} received, {counts['duplicate']} already received (nothing changed), "
                    f"{counts['refused']} refused.")
    if counts["refused"]:
        raise typer.Exit(1)


@app.command()
def token(name: str = typer.Argument(..., help="The sender, e.g. 'Lægehuset Vestergade' or 'Odense Kommune'."),
          organisation: str = typer.Option(..., help="Code of the sending organisation (provider number, municipality code)."),
          kind: str = typer.Option("gp_practice", help="Kind of that organisation: gp_practice, municipality, department.")) -> None:
    """Make a sender token for the receiving endpoint (POST /meddelelser/modtag/fhir/); printed
    once, only its SHA-256 is kept. Revoke with `opspor telemonitoring revoke NAME`."""
    from opspor.cli.telemonitoring import issue_token

    issue_token(name, organisation, kind, "medcom", "opspor messages token")
