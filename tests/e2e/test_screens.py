"""Screenshots for review (issue 17): each main page at 390 px (a phone) and 1280 px, in
Chinese and in English, saved under test-artifacts/screens/. Each page is also checked not
to scroll sideways at either width."""

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from capture_portal.actors import Actor
from sessions import selectors, services
from sessions.models import Campaign, Capture, CaptureLog, CaptureSession, Station
from sessions.services import device_create
from sessions.services.assignment import captures_assign_sessions
from sessions.tokens import pass_token
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 800}}
LOCALES = {"zh": "zh-CN", "en": "en-GB"}


@pytest.fixture
def day(office_user):
    """The notice's session on 11 March 2024, over: 法学院 and 生物科学与工程学院 with
    students photographed through the afternoon, for a chart with ahead and behind."""
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    units = list(TrainingUnit.objects.order_by("display_order")[:3])
    captures = [
        Capture.objects.create(
            student=StudentFactory(unit=units[i % 3], name=f"学生{i:02d}", phone="13800000000"),
            campaign=campaign,
        )
        for i in range(30)
    ]
    captures_assign_sessions(actor=Actor.system(), campaign_id=campaign.pk)
    start = timezone.make_aware(dt.datetime(2024, 3, 11, 13, 22))
    for n, capture in enumerate(captures[:22]):
        capture.status = "photographed"
        capture.save()
        CaptureLog.objects.create(
            capture=capture,
            action="photograph",
            from_status="expected",
            to_status="photographed",
            occurred_at=start + dt.timedelta(minutes=n if n < 12 else 20 + n * 3),
        )
    token = services.coordinator_link_rotate(
        actor=Actor.of(office_user), campaign_id=campaign.pk, unit_id=units[0].pk
    )
    return {
        "student": pass_token(captures[-1].student_id, campaign.pk),
        "coordinator": token,
        "session": CaptureSession.objects.get().pk,
        "station": Station.objects.get(name="北门-1"),
    }


def test_screenshots_of_the_main_pages(
    live_server, browser, day, office_user, artifacts_dir, monkeypatch
):
    # The dashboard as seen at 16:30 on the day (the live server shares this process): on
    # another day the chart claims no ahead or behind.
    progress = selectors.session_progress
    evening = timezone.make_aware(dt.datetime(2024, 3, 11, 16, 30))
    monkeypatch.setattr(
        selectors,
        "session_progress",
        lambda session, now=None, **kw: progress(session, evening, **kw),
    )
    folder = os.path.join(artifacts_dir, "screens")
    os.makedirs(folder, exist_ok=True)
    _device, device_token = device_create(actor=Actor.system(), station_id=day["station"].pk)
    pages = {
        "home": "/",
        "student": f"/s/{day['student']}/",
        "pass": f"/pass/{day['student']}/",
        "coordinator": f"/c/{day['coordinator']}/",
        "live": f"/staff/sessions/{day['session']}/live/",
        "station": "/station/",
    }
    too_wide = []
    for lang, locale in LOCALES.items():
        for width, viewport in WIDTHS.items():
            context = browser.new_context(
                locale=locale, viewport=viewport, timezone_id="Asia/Shanghai"
            )
            context.add_init_script(
                f"localStorage.setItem('capture-device-token', '{device_token}');"
            )
            page = context.new_page()
            page.goto(live_server.url + "/login/")
            page.fill("#id_username", office_user.username)
            page.fill("#id_password", "pw-for-tests")
            page.click("main button[type=submit]")
            page.wait_for_load_state()
            for name, path in pages.items():
                page.goto(live_server.url + path)
                page.wait_for_load_state("networkidle")
                if name == "live":
                    assert page.locator("#chart polyline.actual").count() == 1
                    assert page.locator("#chart polygon.band").count() > 0
                if page.evaluate("document.documentElement.scrollWidth") > viewport["width"]:
                    too_wide.append(f"{name} {lang} {width}")
                page.screenshot(
                    path=os.path.join(folder, f"{name}-{lang}-{width}.png"), full_page=True
                )
            context.close()
    assert len(os.listdir(folder)) >= len(pages) * 4
    assert too_wide == []
