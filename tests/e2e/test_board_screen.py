"""The waiting-area board on a 1920 × 1080 television: every unit name on one line, the
whole demo session on one screen (no scrolling), readable from the back of the room."""

import os

import pytest
from django.core.management import call_command

from capture_portal.actors import Actor
from sessions.models import Campaign, Capture, CaptureSession
from sessions.services.assignment import captures_assign_sessions
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)


def test_board_fills_a_full_hd_screen_without_wrapping_unit_names(live_server, page, artifacts_dir):
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    for unit in TrainingUnit.objects.all():
        for i in range(3):
            Capture.objects.create(
                student=StudentFactory(unit=unit),
                campaign=campaign,
                status="photographed" if i == 0 else "expected",
            )
    captures_assign_sessions(actor=Actor.system(), campaign_id=campaign.pk)
    session = CaptureSession.objects.get()

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server.url}/board/{session.pk}/")
    page.wait_for_selector("#progress li")
    names = page.locator("#progress .unit-name")
    assert names.count() == 14
    for i in range(names.count()):
        name = names.nth(i)
        one_line = name.evaluate(
            "el => { const r = document.createRange(); r.selectNodeContents(el);"
            " return r.getClientRects().length === 1"
            " && el.scrollWidth <= el.clientWidth; }"
        )
        assert one_line, name.inner_text()
    # Readable from the back of the room: unit names at least 28 px, the current window's
    # units larger still.
    assert names.first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 28
    assert (
        page.locator("#current-units").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        >= 56
    )
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    page.screenshot(path=os.path.join(artifacts_dir, "board-1920x1080.png"))
