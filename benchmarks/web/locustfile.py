"""Locust users of the web load benchmark: specialists open today's list, nurses their day.

Each simulated user logs in once with its own account (users.json from prepare.py) and then
opens its page again and again with 1-2 s between requests, like a clinician going through
a list. The log-ins (PBKDF2 with 10^6 rounds: CPU-heavy by design) all happen first: no page is
requested until every user has logged in, and then the statistics are reset, so the figures
are those of 50 logged-in users at work. Only the two measured pages are named.
"""

from __future__ import annotations

import json
import os
import re
import threading

import gevent
from locust import HttpUser, between, events, task

USERS = json.load(open(os.environ["OPSPOR_BENCH_USERS"]))
_lock = threading.Lock()
_next = {"specialists": 0, "nurses": 0}
_logged_in = {"n": 0, "all": False}
TOTAL = int(os.environ.get("OPSPOR_BENCH_TOTAL_USERS", "50"))


def _take(kind: str) -> str:
    with _lock:
        name = USERS[kind][_next[kind] % len(USERS[kind])]
        _next[kind] += 1
    return name


class _Clinician(HttpUser):
    abstract = True
    wait_time = between(1, 2)
    kind = ""

    def on_start(self):
        page = self.client.get("/konto/log-ind/", name="login")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.client.post("/konto/log-ind/", name="login", data={
            "username": _take(self.kind), "password": USERS["password"], "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/konto/log-ind/"})
        with _lock:
            _logged_in["n"] += 1
            if _logged_in["n"] == TOTAL:
                self.environment.runner.stats.reset_all()
                _logged_in["all"] = True
                events.request.fire(request_type="MARK", name="all logged in", response_time=0,
                                    response_length=0, exception=None, context={})
        while not _logged_in["all"]:
            gevent.sleep(0.2)


class Specialist(_Clinician):
    kind = "specialists"

    @task
    def worklist(self):
        with self.client.get("/lister/", name="worklist", catch_response=True) as r:
            if r.status_code != 200 or "patient" not in r.text:
                r.failure(f"not the worklist: HTTP {r.status_code} at {r.url.split('/', 3)[-1]}")


class Nurse(_Clinician):
    kind = "nurses"

    @task
    def day(self):
        with self.client.get("/aps/min-dag/", name="nurse day", catch_response=True) as r:
            if r.status_code != 200 or "/konto/log-ind/" in r.url:
                r.failure(f"not the day view: HTTP {r.status_code} at {r.url.split('/', 3)[-1]}")
