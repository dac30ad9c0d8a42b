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
