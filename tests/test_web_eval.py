"""The /eval pages: saved reports listed and shown, unknown names a 404, reports' own CSP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.evaluation.reports.files import write_report
from assistant.web.app import create_app
from tests.test_eval_reports import XSS, make_report
from tests.test_evaluation import hand_made_results


def test_eval_pages_list_and_show_saved_reports(small_settings, small_assistant, tmp_path):
    reports = tmp_path / "reports"
    write_report(make_report(tmp_path, hand_made_results(3), name="run-a"), reports / "run-a")
    settings = small_settings.replace(
        database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"}, web={"reports_dir": reports}
    )
    with TestClient(create_app(settings, small_assistant)) as client:
        listing = client.get("/eval")
        assert listing.status_code == 200
        assert 'href="/eval/run-a"' in listing.text and "hand" in listing.text
        page = client.get("/eval/run-a")
        assert page.status_code == 200
        assert "script-src" not in page.headers["content-security-policy"]
        assert "<svg" in page.text or "data:image" in page.text
        assert XSS not in page.text
        for bad in ("nothing-here", ".hidden", "run-a%2F..%2F"):
            assert client.get(f"/eval/{bad}").status_code == 404
