"""The coordinator ticking fees on a phone: a tick far down the list is recorded without
the page jumping back to the top, a reversal asks first, and without JavaScript the same
forms still post."""

import pytest

from capture_portal.actors import Actor
from payments.models import FeeEntry
from sessions import services
from sessions.models import Capture
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sheet(notice, office_user):
    law = TrainingUnit.objects.get(name="法学院")
    captures = [
        Capture.objects.create(
            student=StudentFactory(unit=law, name=f"学生{i:02d}"),
            campaign=notice,
            status="photographed",
        )
        for i in range(40)
    ]
    Capture.objects.create(student=StudentFactory(unit=law, name="未拍"), campaign=notice)
    token = services.coordinator_link_rotate(
        actor=Actor.of(office_user), campaign_id=notice.pk, unit_id=law.pk
    )
    return token, captures


def test_tick_far_down_keeps_the_scroll_position_and_updates_the_counts(live_server, page, sheet):
    token, captures = sheet
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/c/{token}/")
    # The list of who is still to be photographed starts folded.
    assert page.locator("#missing").get_attribute("open") is None
    assert not page.get_by_text("未拍", exact=True).is_visible()
    last = captures[-1].student_id
    row = page.locator(f"#s{last}")
    row.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    assert before > 1000
    row.get_by_role("button", name="已缴").click()
    page.locator(f"#s{last} .badge.ok").wait_for()
    assert page.inner_text("#paid-count") == "1"
    assert page.evaluate("window.scrollY") == before
    assert FeeEntry.objects.count() == 1

    # A reversal asks first: dismissed, nothing changes.
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator(f"#s{last}").get_by_role("button", name="冲正").click()
    page.wait_for_function("() => true")
    assert asked and captures[-1].student.name in asked[0]
    assert page.inner_text("#paid-count") == "1"
    assert FeeEntry.objects.count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#s{last}").get_by_role("button", name="冲正").click()
    page.locator(f"#s{last}").get_by_role("button", name="已缴").wait_for()
    assert page.inner_text("#paid-count") == "0"
    assert page.evaluate("window.scrollY") == before
    assert FeeEntry.objects.count() == 2  # the payment and its reversal


def test_without_javascript_the_tick_still_posts(live_server, browser, sheet):
    token, captures = sheet
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}/")
    page.locator(f"#s{captures[0].student_id}").get_by_role("button", name="已缴").click()
    page.wait_for_load_state()
    assert page.inner_text("#paid-count") == "1"
    assert FeeEntry.objects.count() == 1
    context.close()
