"""CPU per page in process (Django's test client), the benchmark's pages on its data, for
profiling before changing a page (docs/benchmarks.md, "Web app under load").

    OPSPOR_HOME=benchmarks/out/web-100000-sqlite OPSPOR_SECRET_KEY=... \\
        .venv/bin/python benchmarks/web/profile_pages.py [N] [URL-PART]

Prints, per page, status, size, CPU ms per request (mean of N, process time) and the number of
queries; with URL-PART, a cProfile listing of the pages whose URL holds it. The home must have
been prepared by ``bench_web.py`` (users.json). PROF_USER=i takes the i-th account of each kind.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import re
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.web.settings")
import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402

from opspor.web.accounts.models import User  # noqa: E402

PAGES = [("specialists", "/lister/"), ("specialists", "/lister/?view=table&filter=new"),
         ("nurses", "/aps/min-dag/"), ("nurses", "/aps/min-uge/"), ("nurses", "/aps/forloeb/?q=a&sort=-name"),
         ("municipal", "/meddelelser/indbakke/"), ("leads", "/aps/program/")]


def client(users: dict, kind: str) -> Client:
    c = Client(HTTP_HOST="127.0.0.1")
    c.force_login(User.objects.get(username=users[kind][min(int(os.environ.get("PROF_USER", "0")), len(users[kind]) - 1)]))
    c.cookies["django_language"] = "da"
    return c


def main(n: int, only: str | None) -> None:
    users = json.load(open(os.path.join(os.environ["OPSPOR_HOME"], "users.json")))
    clients = {kind: client(users, kind) for kind in ("specialists", "nurses", "municipal", "leads")}
    case = re.findall(r'href="/aps/forloeb/(\d+)/"', clients["nurses"].get("/aps/forloeb/").content.decode())[0]
    pages = [*PAGES[:5], ("nurses", f"/aps/forloeb/{case}/"), *PAGES[5:]]
    for kind, url in pages:
        if only and only not in url:
            continue
        c = clients[kind]
        c.get(url)
        settings.DEBUG = True  # counts the queries
        reset_queries()
        response = c.get(url)
        queries = len(connection.queries)
        settings.DEBUG = False
        t = time.process_time()
        for _ in range(n):
            c.get(url)
        cpu = (time.process_time() - t) / n * 1000
        print(f"{url:40} {response.status_code} {len(response.content) / 1024:6.0f} KB  cpu {cpu:6.1f} ms  queries {queries:3}")
        if only:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(n):
                c.get(url)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(60)
            print(out.getvalue())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, sys.argv[2] if len(sys.argv) > 2 else None)
