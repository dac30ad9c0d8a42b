"""``opspor manage``: Django's management commands with opspor's settings."""

from __future__ import annotations

import os

import typer


def manage(ctx: typer.Context) -> None:
    """Run a Django management command with opspor's settings (migrate, check --deploy, runserver ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opspor manage", *ctx.args])


MANAGE_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
