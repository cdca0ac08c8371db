"""The Content-Security-Policy breaks nothing: no violation on the pages people use."""

import pytest

from tests.e2e.test_before_the_day import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_csp_violation_on_any_main_page(live_server, page, notice, office_user):
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    login(page, live_server, office_user.username)
    for path in (
        "/",
        "/lookup/",
        "/guide/capture-code/",
        "/board/",
        "/station/",
        "/staff/",
        "/staff/stations/",
        "/staff/sessions/1/shooting-numbers/",
        "/staff/sessions/1/schedule/",
        "/staff/sessions/1/live/",
        "/unit/1/",
        "/staff/fees/",
        "/admin/",
        "/admin/units/student/",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    assert violations == []
