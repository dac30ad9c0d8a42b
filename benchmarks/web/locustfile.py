"""Locust users of the web load benchmark: a region's clinicians, nurses, programme leads and
municipal/GP users at work.

Each simulated user takes one prepared, logged-in session (sessions.json, written by
``prepare.py sessions`` just before the run: log-ins are CPU-heavy by design and are not what is
measured) and opens its pages again and again with 1-2 s between requests:

- specialists (45 %): today's department list as cards, or (one time in four) as the compact
  table with the "new today" filter;
- support nurses (40 %): the day view, the week view, "Mine forløb" searched and sorted, one of
  their cases;
- municipality and GP users (13 %): the inbox with what each message asks of them;
- programme leads (2 %: a region has a handful): the ranking with its explained scores.

Users are FastHttpUser (geventhttpclient): several times lighter than the requests-based
HttpUser, so the load generator takes less of the 2 cores it shares with the server. The run ends
``OPSPOR_BENCH_DURATION`` seconds after the last user started; statistics are reset then
(``--reset-stats``), so the figures are those of all users at work.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from pathlib import Path

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

SESSIONS = json.loads(Path(os.environ["OPSPOR_BENCH_SESSIONS"]).read_text())
_lock = threading.Lock()
_next = {kind: itertools.cycle(values) for kind, values in SESSIONS.items()}
CASE = re.compile(r'href="/aps/forloeb/(\d+)/"')


def _check(response, must: str) -> None:
    if response.status_code != 200 or must not in response.text:
        response.failure(f"HTTP {response.status_code}, expected text {must!r} missing")


class _User(FastHttpUser):
    abstract = True
    wait_time = between(1, 2)
    kind = ""

    def on_start(self):
        with _lock:
            session = next(_next[self.kind])
        self.client.cookiejar.set_cookie(_cookie("sessionid", session, self.host))
        self.client.cookiejar.set_cookie(_cookie("django_language", "da", self.host))

    def page(self, url: str, name: str, must: str) -> str:
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as r:
            _check(r, must)
            return r.text or ""


def _cookie(name: str, value: str, host: str):
    from http.cookiejar import Cookie

    domain = re.sub(r"^https?://([^:/]+).*$", r"\1", host)
    return Cookie(0, name, value, None, False, domain, False, False, "/", True, False, None, False, None, None, {})


class Specialist(_User):
    weight = 45
    kind = "specialists"

    @task(3)
    def worklist(self):
        self.page("/lister/", "worklist", "patient")

    @task(1)
    def worklist_table(self):
        self.page("/lister/?view=table&filter=new", "worklist table", "<main")


class Nurse(_User):
    weight = 40
    kind = "nurses"
    cases: tuple[str, ...] | list[str] = ()  # the case ids seen on the caseload page

    @task(3)
    def day(self):
        self.page("/aps/min-dag/", "nurse day", "<main")

    @task(1)
    def week(self):
        self.page("/aps/min-uge/", "nurse week", "<main")

    @task(1)
    def caseload(self):
        text = self.page("/aps/forloeb/?q=a&sort=-name", "caseload search", "<table")
        self.cases = CASE.findall(text) or self.cases

    @task(2)
    def case(self):
        if not self.cases:
            self.cases = CASE.findall(self.page("/aps/forloeb/", "caseload search", "<table"))
        if self.cases:
            self.page(f"/aps/forloeb/{random.choice(self.cases)}/", "case", "<main")


class Municipal(_User):
    weight = 13
    kind = "municipal"

    @task
    def inbox(self):
        self.page("/meddelelser/indbakke/", "inbox", "<main")


class Lead(_User):
    weight = 2
    kind = "leads"

    @task
    def ranking(self):
        self.page("/aps/program/", "ranking", "<main")
