"""The committee reports page: what the monthly job wrote under $OPSPOR_HOME/monitor/reports."""

from __future__ import annotations

import pytest

from tests.web.factories import *

pytestmark = pytest.mark.django_db


def test_reports_are_listed_and_downloaded_by_the_secretariat(users, as_user, tmp_path, monkeypatch):
    monkeypatch.setenv("OPSPOR_HOME", str(tmp_path))
    client = as_user(users["secretariat"])
    assert "No report has been made yet" in client.get("/overvaagning/rapporter/").content.decode()
    folder = tmp_path / "monitor" / "reports" / "2026-11-01-1083"
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<h1>Rapport</h1>", encoding="utf-8")
    (folder / "report.pdf").write_bytes(b"%PDF-1.4 test")
    (folder / "report.json").write_text("{}", encoding="utf-8")  # not offered
    html = client.get("/overvaagning/rapporter/").content.decode()
    assert "2026-11-01-1083" in html and "/rapporter/2026-11-01-1083/report.pdf" in html
    assert "report.json" not in html
    pdf = client.get("/overvaagning/rapporter/2026-11-01-1083/report.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith("attachment")
    page = client.get("/overvaagning/rapporter/2026-11-01-1083/report.html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    for bad in ("2026-11-01-1083/report.json", "..%2F..%2Fdjango-secret.key/report.pdf", "nope/report.pdf"):
        assert client.get(f"/overvaagning/rapporter/{bad}").status_code == 404, bad
    assert as_user(users["lead"]).get("/overvaagning/rapporter/").status_code == 403
    assert as_user(users["lead"]).get("/overvaagning/rapporter/2026-11-01-1083/report.pdf").status_code == 403


@pytest.fixture
def reports_dir(tmp_path, monkeypatch):
    """The reports beside the shared lists_home snapshot would be seen by other tests: here they go
    to the test's own folder (the snapshot stays the published one)."""
    from opspor.monitor import schedule

    folder = tmp_path / "reports"
    monkeypatch.setattr(schedule, "reports_dir", lambda: folder)
    return folder


def test_the_secretariat_makes_a_report_on_the_page_audited(users, login, reports_dir):
    import fcntl
    import html
    import re

    from opspor.web.audit.models import AuditEntry
    from opspor.web.monitoring.committee_reports import data_range

    client = login(users["secretariat"])  # Danish
    start, end = data_range()
    page = client.get("/overvaagning/rapporter/").content.decode()
    assert 'id="make-report"' in page and f'name="year" value="{end.year - 1 if end.year > start.year else end.year}"' in page
    # a year the data do not cover: refused in Danish, nothing written
    refused = client.post("/overvaagning/rapporter/", {"year": start.year - 3, "lang": "da"})
    assert refused.status_code == 400
    assert f"Data dækker {start.year} til {end.year}: vælg et af de år." in html.unescape(refused.content.decode())
    assert not reports_dir.exists() or not any(reports_dir.iterdir())
    # made: the files in place, the audit entry written by the action
    made = client.post("/overvaagning/rapporter/", {"year": end.year, "lang": "da"})
    assert made.status_code == 302
    [folder] = [d for d in reports_dir.iterdir() if d.is_dir()]  # no hidden half-written folder left
    assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d-1083-{end.year}-da-\d{{6}}", folder.name)
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF") and (folder / "report.html").is_file()
    entry = AuditEntry.objects.get(what="monitoring.report")
    assert (entry.username, entry.action, entry.person_key) == ("secretariat", "change", "")
    assert entry.detail["report"] == folder.name and entry.detail["year"] == end.year and entry.detail["lang"] == "da"
    listing = html.unescape(client.get("/overvaagning/rapporter/").content.decode())
    assert f"Udvalgsrapporten for {end.year} er lavet: hent den nedenfor." in listing
    assert f"/overvaagning/rapporter/{folder.name}/report.pdf" in listing
    pdf = client.get(f"/overvaagning/rapporter/{folder.name}/report.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    # one at a time: while another report is being made, a second is refused (nothing written)
    with open(reports_dir / ".making.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        busy = client.post("/overvaagning/rapporter/", {"year": end.year, "lang": "en"})
    assert busy.status_code == 400 and "Der laves en rapport lige nu" in html.unescape(busy.content.decode())
    assert len([d for d in reports_dir.iterdir() if d.is_dir()]) == 1
    assert AuditEntry.objects.filter(what="monitoring.report").count() == 1
    # only the secretariat makes reports
    assert login(users["lead"]).post("/overvaagning/rapporter/", {"year": end.year, "lang": "da"}).status_code == 403
