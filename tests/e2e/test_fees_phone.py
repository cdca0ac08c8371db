"""The coordinator's fee sheet on a 390 px phone, in both languages: every row's tick is
on the screen without sideways scrolling, and a student number never breaks across
lines. English labels are wider than Chinese; the table once measured 546 px in a 358 px
box, with the Paid button off-screen in every row."""

import os

import pytest

from capture_portal.actors import Actor
from payments.models import FeeEntry
from sessions import services
from sessions.models import Capture
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
S = Capture.Status


@pytest.fixture
def sheet(notice, office_user):
    law = TrainingUnit.objects.get(name="法学院")
    statuses = [S.EXPECTED, S.ARRIVED, S.PHOTOGRAPHED, S.ABSENT, S.OFFSITE, S.EXPECTED]
    captures = [
        Capture.objects.create(
            student=StudentFactory(
                unit=law, name=f"欧阳学生{i:02d}", student_no=f"20220100{i:04d}"
            ),
            campaign=notice,
            status=status,
        )
        for i, status in enumerate(statuses, start=1)
    ]
    token = services.coordinator_link_rotate(
        actor=Actor.of(office_user), campaign_id=notice.pk, unit_id=law.pk
    )
    return token, captures


# A student number (inline span) that wraps has one client rect per line.
WRAPPED = """() => Array.from(document.querySelectorAll('#fees .student-no'))
  .filter((el) => el.getClientRects().length !== 1).map((el) => el.textContent)"""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_tick_is_on_a_390px_screen(live_server, page, sheet, language, artifacts_dir):
    token, captures = sheet
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/c/{token}/")
    if language == "en":
        with page.expect_navigation():
            page.click("button[name=language][value=en]")
    assert page.locator("html").get_attribute("lang") == language

    buttons = page.locator("#fees .pay-form button[type=submit]")
    assert buttons.count() == 4  # expected, arrived, photographed, expected; not off-site/absent
    first = page.locator(f"#s{captures[0].student_id} .pay-form button[type=submit]")
    box = first.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    for i in range(buttons.count()):
        right = buttons.nth(i).evaluate("el => el.getBoundingClientRect().right")
        assert right <= PHONE["width"], (i, right)
    # No sideways scrolling, neither of the table's box nor of the page.
    assert page.locator("#fees").evaluate(
        "el => el.closest('.table-wrap').scrollWidth <= el.closest('.table-wrap').clientWidth"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    numbers = page.locator("#fees .student-no")
    assert numbers.count() == len(captures)
    assert page.evaluate(WRAPPED) == []

    page.screenshot(path=os.path.join(artifacts_dir, f"fees-390-{language}.png"), full_page=True)
    # The search box still hides the other cards (a grid row must honour `hidden`).
    page.fill("#roster-filter", "0002")
    assert page.locator("#fees tbody tr:visible").count() == 1
    page.fill("#roster-filter", "")
    # The tick works where it stands.
    first.click()
    page.locator(f"#s{captures[0].student_id} .badge.ok").wait_for()
    assert page.inner_text("#paid-count") == "1"
    assert FeeEntry.objects.count() == 1


def test_counsellor_refund_row_fits_a_390px_screen_in_english(
    live_server, page, notice, unit, counsellor_user, office_user, artifacts_dir
):
    # A student who paid in advance and then went off-site: the row carries the paid
    # badge, the reversal and the refund form (a reason box and a button).
    from payments import services as fee_services
    from tests.e2e.test_before_the_day import login

    capture = Capture.objects.create(
        student=StudentFactory(unit=unit, name="欧阳退费", student_no="202201009999"),
        campaign=notice,
    )
    office = Actor.of(office_user)
    fee_services.fee_record(
        actor=office, campaign_id=notice.pk, student_id=capture.student_id, method="wechat"
    )
    services.capture_send_offsite(actor=office, capture_id=capture.pk, note="实习")

    page.set_viewport_size(PHONE)
    login(page, live_server, counsellor_user.username)
    page.goto(f"{live_server.url}/unit/{unit.pk}/fees/")
    with page.expect_navigation():
        page.click("button[name=language][value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    row = page.locator(f"#s{capture.student_id}")
    for control in (
        row.locator(".reverse-form button"),
        row.locator("input[name=reason]"),
        row.locator("form:not(.reverse-form) button[type=submit]"),
    ):
        right = control.evaluate("el => el.getBoundingClientRect().right")
        assert 0 < right <= PHONE["width"], right
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(WRAPPED) == []
    page.screenshot(path=os.path.join(artifacts_dir, "fees-390-en-unit.png"), full_page=True)

    row.locator("input[name=reason]").fill("改为分散采集")
    row.locator("form:not(.reverse-form) button[type=submit]").click()
    # Refunded and off-site: the row now says why there is nothing to collect.
    page.locator(f"#s{capture.student_id} .no-fee").wait_for()
    assert list(FeeEntry.objects.order_by("id").values_list("kind", flat=True)) == [
        "payment",
        "refund",
    ]
