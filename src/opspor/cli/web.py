"""``opspor manage``: Django's management commands with opspor's settings."""

from __future__ import annotations

import os

import typer


def manage(ctx: typer.Context) -> None:
    """Run a Django management command with opspor's settings, e.g. ``opspor manage migrate``,
    ``opspor manage check --deploy``, ``opspor manage runserver 127.0.0.1:8000``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opspor manage", *ctx.args])


MANAGE_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
