"""A drop folder: which contract files it holds, and their content hash.

A drop is one folder with ``persons`` and ``contacts``, each ``.csv`` or ``.parquet`` and each a
regular file (a symbolic link or another kind of file is refused unread), and optionally a
``manifest.json`` (``manifest.py``). Anything else in the folder (other files, subfolders such as
the generator's ``truth/``) is ignored and named in one note.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from opspor.contract import DROP_FILES, FORMATS, DropFile
from opspor.ingest import manifest
from opspor.ingest.lines import CHUNK, LineMap, LineScanner
from opspor.ingest.progress import Progress
from opspor.ingest.report import Note, Problem


@dataclass(frozen=True)
class DropFileRef:
    spec: DropFile
    path: Path
    format: str  # "csv" | "parquet"
    delimiter: str = ","  # CSV only

    @property
    def label(self) -> str:
        return self.path.name

    @property
    def unit(self) -> str:
        """What a position in the file is called: CSV lines (header = line 1), Parquet rows."""
        return "line" if self.format == "csv" else "row"

    def place(self, line: int) -> str:
        return f"{self.label}:{line}" if self.format == "csv" else f"{self.label} row {line}"


@dataclass
class Drop:
    folder: Path
    files: dict[str, DropFileRef] = field(default_factory=dict)
    manifest: Path | None = None  # manifest.json, when the drop has one (``manifest.py``)
    notes: list[Note] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def foreign(path: Path) -> Problem | None:
    """A problem if ``path`` is not a regular file of its own (a symbolic link, a folder, a
    pipe, a device): opspor reads no byte from outside the drop folder. Nothing of the link's
    target is read or named."""
    mode = path.lstat().st_mode
    if stat.S_ISREG(mode):
        return None
    what = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file (a folder, a pipe or a device)"
    return Problem(
        str(path), f"is {what}; opspor reads only regular files inside the drop folder",
        f"put the file itself into the drop folder (e.g. cp -L {path.name} ...), not a link to it",
    )


def find_drop(folder: Path, delimiter: str = ",") -> Drop:
    drop = Drop(folder.resolve())
    entries = {p.name: p for p in folder.iterdir()}
    used: set[str] = set()
    for spec in DROP_FILES:
        names = [f"{spec.name}.{fmt}" for fmt in FORMATS]
        refused = [problem for name in names if name in entries and (problem := foreign(entries[name]))]
        if refused:
            drop.problems.extend(refused)
            used.update(name for name in names if name in entries)
            continue
        present = [fmt for fmt in FORMATS if f"{spec.name}.{fmt}" in entries]
        used.update(f"{spec.name}.{fmt}" for fmt in present)
        if len(present) == 1:
            drop.files[spec.name] = DropFileRef(spec, folder / f"{spec.name}.{present[0]}", present[0], delimiter)
        elif present:
            drop.problems.append(Problem(
                str(folder),
                f"both {spec.name}.csv and {spec.name}.parquet are present, so it is ambiguous which to load",
                f"remove one of them (they must hold the same {spec.name})",
            ))
        else:
            near = [n for n in entries if n.lower().startswith(spec.name) and n not in used]
            hint = f" (found {', '.join(sorted(near))}: names are lower case)" if near else ""
            drop.problems.append(Problem(
                str(folder),
                f"{spec.name}.csv or {spec.name}.parquet is missing{hint}",
                f"put the {spec.name} file in the folder, named {spec.name}.csv or {spec.name}.parquet",
            ))
    if manifest.FILE_NAME in entries:
        used.add(manifest.FILE_NAME)
        problem = foreign(entries[manifest.FILE_NAME])
        if problem:
            drop.problems.append(problem)
        else:
            drop.manifest = entries[manifest.FILE_NAME]
    ignored = sorted(n + ("/" if entries[n].is_dir() else "") for n in entries if n not in used)
    if ignored:
        drop.notes.append(Note("info", f"ignored (not part of the data contract): {', '.join(ignored)}"))
    return drop


def _no_follow(path: str, flags: int) -> int:
    """Open without following a symbolic link put in place since ``find_drop`` looked."""
    return os.open(path, flags | os.O_NOFOLLOW)


def hash_files(
    files: list[DropFileRef], progress: Progress
) -> tuple[str, dict[str, str], dict[str, LineMap]]:
    """Content hash of the drop, each file's sha256, and each CSV file's line map (one read)."""
    digests: dict[str, str] = {}
    line_maps: dict[str, LineMap] = {}
    total = sum(ref.path.stat().st_size for ref in files)
    with progress.step("Reading and hashing the files", total=total) as advance:
        for ref in files:
            digest = hashlib.sha256()
            scanner = LineScanner() if ref.format == "csv" else None
            with open(ref.path, "rb", opener=_no_follow) as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
                    if scanner:
                        scanner.feed(chunk)
                    advance(len(chunk))
            digests[ref.label] = digest.hexdigest()
            if scanner:
                line_maps[ref.spec.name] = scanner.finish()
    combined = hashlib.sha256("".join(f"{label}\t{h}\n" for label, h in digests.items()).encode())
    return combined.hexdigest(), digests, line_maps
