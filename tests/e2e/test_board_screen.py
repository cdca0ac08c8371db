"""The waiting-area board on a 1920 × 1080 television: every unit name on one line, the
whole demo session on one screen (no scrolling), readable from the back of the room."""

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from capture_portal.actors import Actor
from sessions import selectors
from sessions.models import Campaign, Capture, CaptureSession
from sessions.services.assignment import captures_assign_sessions
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)


def test_board_fills_a_full_hd_screen_without_wrapping_unit_names(
    live_server, page, artifacts_dir, monkeypatch
):
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
    # The server's clock at 14:10 on the day: a window of three units being photographed
    # and three getting ready, the longest the board shows (the live server shares this
    # process, so the patch reaches its views).
    board_data = selectors.board_data
    on_the_day = timezone.make_aware(dt.datetime.combine(session.date, dt.time(14, 10)))
    monkeypatch.setattr(
        selectors, "board_data", lambda session, now=None: board_data(session, now=on_the_day)
    )

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
    current = page.locator("#current-units")
    assert current.inner_text().count("、") == 2  # three units, as at 14:10 on the day
    assert page.locator("#next-units").inner_text().count("、") == 2
    # Readable from the back of the room: unit rows at least 36 px, the current window's
    # units larger still.
    for i in range(names.count()):
        font = names.nth(i).evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert font >= 36, (names.nth(i).inner_text(), font)
    assert current.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 72
    # The session fills the screen: from the top of the page to the last unit's row.
    bottom = page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('#board > *:not([hidden])'),"
        " el => el.getBoundingClientRect().bottom))"
    )
    assert bottom >= 0.85 * 1080
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    page.screenshot(path=os.path.join(artifacts_dir, "board-1920x1080.png"))
