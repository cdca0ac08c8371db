"""The live dashboard on the day: a scan at the door shows up on the next update without a
reload, and a "未到学生" list the office opened stays open across it."""

import os

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from capture_portal.actors import Actor
from sessions import services
from sessions.models import Campaign, Capture, CaptureSession
from sessions.services.assignment import captures_assign_sessions
from tests.conftest import device_actor
from tests.e2e.test_before_the_day import login
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)


def test_update_keeps_an_open_list_open_and_shows_a_new_scan(live_server, page, office_user):
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    CaptureSession.objects.update(date=timezone.localdate())
    campaign = Campaign.objects.get()
    law = TrainingUnit.objects.get(name="法学院")
    captures = [
        Capture.objects.create(student=StudentFactory(unit=law, name=f"学生{i}"), campaign=campaign)
        for i in range(3)
    ]
    captures_assign_sessions(actor=Actor.system(), campaign_id=campaign.pk)
    session = CaptureSession.objects.get()

    login(page, live_server, office_user.username)
    page.goto(f"{live_server.url}/staff/sessions/{session.pk}/live/")
    assert page.locator("#chart svg polyline.plan").count() == 1
    assert page.inner_text("#photographed") == "0"
    cell = page.locator(f"[data-live='u{law.pk}-missing']")
    cell.locator("summary").click()
    details = cell.locator("details")
    assert details.get_attribute("open") is not None
    assert cell.locator("li").count() == 3

    door = device_actor(campaign, "北门-1", "photographed")
    answer = services.scan_record(actor=door, code=captures[0].student.student_no)
    assert answer.outcome in ("green", "yellow")

    # The refresh the page's timer runs, triggered now rather than waited for.
    page.click("#live-refresh")
    expect(page.locator("#photographed")).to_have_text("1")
    assert page.locator("#live").get_attribute("data-refreshed") == "1"
    assert details.get_attribute("open") is not None
    assert details.is_visible() and cell.locator("li").count() == 2
    assert (
        page.locator(f"tr[data-unit='法学院'] [data-live='u{law.pk}-photographed']")
        .inner_text()
        .strip()
        == "1"
    )
    assert page.locator("#chart svg polyline.plan").count() == 1


def test_live_table_fits_1280px_in_english(live_server, page, office_user, artifacts_dir):
    # English headers and unit names are wider than Chinese: the page takes the screen's
    # width, so the "Not arrived" column (with a list open) needs no sideways scrolling.
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    CaptureSession.objects.update(date=timezone.localdate())
    campaign = Campaign.objects.get()
    for unit in TrainingUnit.objects.all():
        for i in range(4):
            Capture.objects.create(
                student=StudentFactory(unit=unit, phone=f"1380000{unit.pk:02d}{i:02d}"),
                campaign=campaign,
            )
    captures_assign_sessions(actor=Actor.system(), campaign_id=campaign.pk)
    session = CaptureSession.objects.get()

    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, office_user.username)
    page.goto(f"{live_server.url}/staff/sessions/{session.pk}/live/")
    with page.expect_navigation():
        page.click("button[name=language][value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    missing = page.locator("td[data-live$='-missing']")
    assert missing.count() == 14
    missing.first.locator("summary").click()
    wrap = page.locator("#live .table-wrap")
    # No sideways scrolling inside the table's box, and the box on the screen.
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    box_right = wrap.evaluate("el => el.getBoundingClientRect().right")
    assert box_right <= 1280
    for i in range(missing.count()):
        right = missing.nth(i).evaluate("el => el.getBoundingClientRect().right")
        assert right <= box_right + 0.5, (i, right, box_right)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=os.path.join(artifacts_dir, "live-1280-en.png"), full_page=True)
