"""Real receivers on loopback for what opspor sends the citizen: an SMTP server (aiosmtpd) and an
HTTP SMS gateway, each on 127.0.0.1 with an ephemeral port, keeping what they received."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

# aiosmtpd's server thread logs each connection at INFO; after a test ends pytest has closed the
# stream that logging would write to, and every late line printed a "--- Logging error ---".
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _Handler:
    def __init__(self, box: SmtpServer) -> None:
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.box.lock:
            self.box.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class _EphemeralController(Controller):
    """aiosmtpd's controller bound to port 0: the port the system chose is read back before the
    controller's own readiness check connects to it."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        return super()._trigger_server()


class SmtpServer:
    """``messages``: (recipients, the parsed e-mail) of every e-mail received, in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()
        self.controller = _EphemeralController(_Handler(self), hostname="127.0.0.1", port=0)

    @property
    def port(self) -> int:
        return self.controller.port

    def env(self) -> dict[str, str]:
        return {"OPSPOR_SMTP_HOST": "127.0.0.1", "OPSPOR_SMTP_PORT": str(self.port),
                "OPSPOR_SMTP_SECURITY": "none", "OPSPOR_MAIL_FROM": "Aktiv Patientstøtte <no-reply@opspor.test>"}

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15) -> list[email.message.EmailMessage]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} e-mail(s) to {address} expected, got {len(self.to(address))}")


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


class SmsGateway:
    """An HTTP SMS gateway: ``received`` holds (headers, JSON body) of every POST; ``status`` is
    the answer to give (200 by default)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict]] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.received.append((dict(self.headers), json.loads(body)))
                answer = b'{"status": "queued"}' if gateway.status < 300 else b'{"error": "refused"}'
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@contextlib.contextmanager
def sms_gateway() -> Iterator[SmsGateway]:
    gateway = SmsGateway()
    gateway.thread.start()
    try:
        yield gateway
    finally:
        gateway.server.shutdown()
        gateway.server.server_close()
