"""Helpers of the messaging tests: a loopback FHIR message receiver that follows MedCom's
reliable-messaging rule (a repeated Bundle.id/MessageHeader.id is a duplicate: not processed
again, the original acknowledgement is sent again)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opspor.fhir import medcom


class Receiver:
    """``Receiver()`` serves on 127.0.0.1 in a thread. ``posts`` lists the message id of every
    POST, ``accepted`` the ids processed (each once). ``script`` is a list of answers for the
    next POSTs: an HTTP status (e.g. 503, 400), "slow" (answer after ``slow_seconds``), "noack"
    (200 without acknowledgement) or "transient" (200 with a transient-error acknowledgement).
    ``on_post(message_id)``, when set, runs in the receiver's thread before it answers: what
    happens elsewhere while a message is in flight."""

    def __init__(self, slow_seconds: float = 3.0) -> None:
        self.posts: list[str] = []
        self.accepted: dict[str, dict] = {}
        self.acks: dict[str, bytes] = {}
        self.content_types: list[str] = []
        self.script: list = []
        self.on_post = None
        self.slow_seconds = slow_seconds
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.content_types.append(self.headers.get("Content-Type", ""))
                status, answer = receiver.handle(body)
                if status == "slow":
                    time.sleep(receiver.slow_seconds)
                    status = 200
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                try:
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fhir/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, body: bytes):
        try:
            bundle = json.loads(body)
            key = bundle["id"]
            assert bundle["entry"][0]["resource"]["id"] == key
        except (ValueError, KeyError, AssertionError):
            return 400, b'{"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}'
        if self.on_post is not None:
            self.on_post(key)
        with self.lock:
            self.posts.append(key)
            step = self.script.pop(0) if self.script else 200
            if isinstance(step, int) and step != 200:
                return step, f"error {step} for {key}".encode()
            if step == "noack":
                self.accepted.setdefault(key, bundle)
                return 200, b""
            code = "transient-error" if step == "transient" else "ok"
            if key in self.acks and code == "ok":  # a repeat: not processed again, same ack again
                return ("slow" if step == "slow" else 200), self.acks[key]
            ack = json.dumps(medcom.acknowledgement(of=bundle, ack_id=str(uuid.uuid4()), code=code,
                                                    at=dt.datetime.now(dt.UTC),
                                                    fhir_base="https://receiver.invalid/fhir")).encode()
            if code == "ok":
                self.accepted.setdefault(key, bundle)
                self.acks[key] = ack
            return ("slow" if step == "slow" else 200), ack

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(self.posts).values())

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
