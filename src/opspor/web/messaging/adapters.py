"""Delivery adapters: where a message goes and what the answer means.

* **folder**: the message is written to a temporary file in the folder, flushed to disk
  (fsync), then renamed atomically to ``<message_id>.json`` and the folder entry flushed too. A
  receiver never sees a partial file; writing the same message again replaces the file with
  the same bytes (same name, same content), so a repeat leaves one file.
* **http**: FHIR JSON POSTed to the configured endpoint (``Content-Type: application/fhir+json``).
  2xx: delivered (*sent*), and *acknowledged* at once if the response is a MedCom
  Acknowledgement of this message with code ``ok``; ``transient-error`` is retried,
  ``fatal-error`` fails. 4xx: failed for good, with the response body as the error. 5xx,
  time-outs and connection errors: retried with back-off.

Acknowledgements that come later (either adapter) are read from the ack folder
(``delivery.collect_acknowledgements``).
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from opspor.fhir import medcom

SENT, ACKNOWLEDGED, RETRY, FAILED = "sent", "acknowledged", "retry", "failed"


@dataclass(frozen=True)
class Outcome:
    result: str  # sent | acknowledged | retry | failed
    detail: str = ""


def ack_outcome(body: bytes, message_id: str) -> Outcome | None:
    """The outcome an acknowledgement in ``body`` gives for ``message_id`` (None: no ack of it)."""
    try:
        bundle = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    found = medcom.acknowledged_id(bundle) if isinstance(bundle, dict) else None
    if not found or found[0] != message_id:
        return None
    return outcome_of_ack(found[1])


def outcome_of_ack(code: str) -> Outcome:
    """What an acknowledgement's response code means for the message acknowledged."""
    if code == "ok":
        return Outcome(ACKNOWLEDGED, "acknowledgement ok")
    if code == "transient-error":
        return Outcome(RETRY, "acknowledgement: transient-error")
    return Outcome(FAILED, f"acknowledgement: {code}")


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` so that the file appears whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        target = folder / name
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target


class FolderAdapter:
    name = "folder"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._remove_stale_temporaries()

    def _remove_stale_temporaries(self, older_than: float = 3600) -> None:
        """A worker killed while writing leaves ``.tmp-*.part`` (never a ``*.json``); remove
        those older than an hour (younger ones may belong to a worker still writing)."""
        import time

        if not self.folder.is_dir():
            return
        for path in self.folder.glob(".tmp-*.part"):
            try:
                if time.time() - path.stat().st_mtime > older_than:
                    path.unlink()
            except OSError:
                pass

    def deliver(self, message_id: str, payload: dict) -> Outcome:
        try:
            write_atomically(self.folder, f"{message_id}.json", json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        except OSError as e:
            return Outcome(RETRY, f"cannot write to {self.folder}: {e.strerror}")
        return Outcome(SENT, f"written to {self.folder}")


class HttpAdapter:
    name = "http"

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout

    def deliver(self, message_id: str, payload: dict) -> Outcome:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/fhir+json; charset=utf-8", "Accept": "application/fhir+json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read()
                status = response.status
        except urllib.error.HTTPError as e:
            text = e.read()[:2000].decode("utf-8", "replace")
            if 400 <= e.code < 500:
                return Outcome(FAILED, f"HTTP {e.code}: {text}")
            return Outcome(RETRY, f"HTTP {e.code}: {text[:500]}")
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
            reason = getattr(e, "reason", e)
            return Outcome(RETRY, f"no answer from {self.url}: {reason}")
        return ack_outcome(answer, message_id) or Outcome(SENT, f"HTTP {status}")
