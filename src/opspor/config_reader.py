"""Reading versioned YAML configuration, checked on the way in: one reader for every area's
configuration (rules, risk, monitoring, alerts, messages, ...).

:func:`read_yaml` refuses duplicate keys and returns the sha256 beside the data; :class:`Ctx`
says where in a file we are, so that every problem raises a :class:`ConfigError` naming the file,
the key (a path such as ``routes[1].any_of[0].window_days``), what is wrong and how to fix it; the
small checkers (:func:`mapping`, :func:`integer`, :func:`text`, ...) refuse unknown keys with a
"did you mean" (a misspelt key must not silently change a rule) and wrong types with an example.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from opspor.dates import DateError, parse_date

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


class ConfigError(ValueError):
    """A configuration file cannot be used. Says where (file, key), what, and the fix."""

    def __init__(self, file: str, key: str, problem: str, fix: str) -> None:
        super().__init__(f"{file}: at {key}: {problem}. Fix: {fix}")
        self.file = file
        self.key = key
        self.problem = problem
        self.fix = fix


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, error: type[ValueError] = ConfigError) -> tuple[Any, str]:
    """The file's data (duplicate keys refused) and its sha256; problems raise ``error(file,
    key, problem, fix)``."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(
            file, "(file)", f"cannot be read ({exc.strerror})", "check the path"
        ) from exc
    return parse_yaml(text, file, error), hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_yaml(text: str, file: str, error: type[ValueError] = ConfigError) -> Any:
    """The data of YAML ``text`` read from ``file`` (duplicate keys refused); for files that
    ship inside the package and are read as resources."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(
            file, where, f"not valid YAML: {problem}", "correct the YAML at that place"
        ) from exc


def reread_when_changed(load: Callable[[str], Any]) -> Callable[[Path], Any]:
    """``load(path)`` for a file that an environment variable may name: read again only when the
    file's modification time changes (a file that cannot be read goes to ``load``, which names it)."""

    @lru_cache(maxsize=4)
    def cached(path: str, mtime: float) -> Any:
        return load(path)

    def get(path: Path) -> Any:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = 0.0
        return cached(str(path), mtime)

    return get


class Ctx:
    """Where we are in a file, for error messages; an area with its own error class subclasses
    this and sets ``error_class``."""

    error_class: type[ConfigError] = ConfigError

    def __init__(self, file: str, key: str = "") -> None:
        self.file = file
        self.key = key

    def at(self, sub: str | int) -> Ctx:
        if isinstance(sub, int):
            return type(self)(self.file, f"{self.key}[{sub}]")
        return type(self)(self.file, f"{self.key}.{sub}" if self.key else sub)

    def error(self, problem: str, fix: str) -> ConfigError:
        return self.error_class(self.file, self.key or "(top level)", problem, fix)


def mapping(
    ctx: Ctx, value: Any, allowed: tuple[str, ...], required: tuple[str, ...] = (),
    examples: Mapping[str, str] | None = None, docs: str = "see the file's documentation",
) -> dict:
    """``value`` as a mapping with only ``allowed`` keys and every ``required`` one (the fix for a
    missing key is its entry in ``examples``, else ``docs``)."""
    if not isinstance(value, dict):
        raise ctx.error(
            f"expected a mapping of keys ({', '.join(allowed)}), got {show(value)}",
            f"write it as `key: value` lines; allowed keys: {', '.join(allowed)}",
        )
    for key in value:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise ctx.at(str(key)).error(
                "unknown key", f"{hint}allowed keys here: {', '.join(allowed)}"
            )
    for key in required:
        if key not in value:
            raise ctx.at(key).error(
                "missing", f"add `{key}:` ({(examples or {}).get(key, docs)})"
            )
    return value


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def integer(ctx: Ctx, value: Any, minimum: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error(f"expected a whole number, got {show(value)}", f"write e.g. `{example}`")
    if value < minimum:
        raise ctx.error(f"must be at least {minimum}, got {value}", f"write e.g. `{example}`")
    return value


def boolean(ctx: Ctx, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(f"expected true or false, got {show(value)}", "write `true` or `false`")
    return value


def text(ctx: Ctx, value: Any, what: str = "text") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ctx.error(
            f"expected non-empty {what}, got {show(value)}", f"write the {what} as a string"
        )
    return value.strip()


def version(ctx: Ctx, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip():
        raise ctx.error(
            f"expected a version number or string, got {show(value)}", "write e.g. `version: 1`"
        )
    return str(value).strip()


def ident(ctx: Ctx, value: Any, what: str) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise ctx.error(
            f"{what} must be lower-case letters, digits and '_', starting with a letter; "
            f"got {show(value)}",
            f"write e.g. `{what}: my_{what}`",
        )
    return value


def _hint(value: Any, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(value), allowed, n=1)
    return f"did you mean `{close[0]}`? " if close else ""


def choice(ctx: Ctx, value: Any, allowed: tuple[str, ...], what: str = "value") -> str:
    """``value`` if it is one of ``allowed``; else an error with a "did you mean"."""
    if value not in allowed:
        raise ctx.error(
            f"unknown {what} {show(value)}",
            f"{_hint(value, allowed)}write one of the allowed values: {', '.join(allowed)}",
        )
    return value


def choices(
    ctx: Ctx, value: Any, allowed: tuple[str, ...], example: str | None = None
) -> tuple[str, ...]:
    """A non-empty list of distinct values out of ``allowed``."""
    if not isinstance(value, list) or not value:
        raise ctx.error(
            f"expected a non-empty list, got {show(value)}",
            f"write e.g. `{example or f'[{allowed[0]}]'}`; allowed values: {', '.join(allowed)}",
        )
    out: list[str] = []
    for i, item in enumerate(value):
        if item not in allowed:
            raise ctx.at(i).error(
                f"unknown value {show(item)}",
                f"{_hint(item, allowed)}allowed values: {', '.join(allowed)}",
            )
        if item in out:
            raise ctx.at(i).error(f"{item!r} is listed twice", "list each value once")
        out.append(item)
    return tuple(out)


def number(
    ctx: Ctx, value: Any, example: str, low: float | None = None, high: float | None = None,
    low_open: bool = False, high_open: bool = False,
) -> float:
    """A number (not a boolean) within the bounds given; ``*_open`` leaves the bound out."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.error(f"expected a number, got {show(value)}", f"write e.g. `{example}`")
    value = float(value)
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if below or above:
        span = []
        if low is not None:
            span.append(f"{'above' if low_open else 'at least'} {low:g}")
        if high is not None:
            span.append(f"{'below' if high_open else 'at most'} {high:g}")
        raise ctx.error(f"must be {' and '.join(span)}, got {value:g}", f"write e.g. `{example}`")
    return value


def date(ctx: Ctx, value: Any, example: str = "2025-03-31") -> dt.date:
    """A date: YAML's own (``2025-03-31`` unquoted) or a quoted ISO date."""
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(str(value))
    except DateError:
        raise ctx.error(f"expected a date, got {show(value)}", f"write it as {example}") from None
