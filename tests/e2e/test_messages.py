"""The ready-to-send group message on a counsellor's unit page, in Chromium: the copy
button puts the message on the clipboard; without JavaScript the message is still there,
in a readonly text box to select by hand, and no dead button is shown."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions.models import Campaign, Capture, CaptureSession, SlotUnit
from tests.e2e.test_before_the_day import login
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def law_counsellor():
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    CaptureSession.objects.update(date=timezone.localdate())
    law = TrainingUnit.objects.get(name="法学院")
    Capture.objects.create(student=StudentFactory(unit=law), campaign=Campaign.objects.get())
    user = MembershipFactory(user=UserFactory(username="couns-law-e2e"), unit=law).user
    slot = SlotUnit.objects.select_related("slot").get(unit=law).slot
    return user, law, f"{slot.start:%H:%M}–{slot.end:%H:%M}"


def test_the_copy_button_puts_the_message_on_the_clipboard(
    live_server, browser, law_counsellor, artifacts_dir
):
    user, law, window = law_counsellor
    context = browser.new_context(locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, user.username)
    page.goto(f"{live_server.url}/unit/{law.pk}/")
    area = page.locator("#message-group-zh")
    message = area.input_value()
    assert window in message
    button = page.locator("button[data-copy='message-group-zh']")
    assert button.is_visible()
    page.evaluate("() => navigator.clipboard.writeText('something else')")
    button.click()
    page.wait_for_function(
        "(label) => document.querySelector(\"button[data-copy='message-group-zh']\")"
        ".textContent === label",
        arg="已复制",
    )
    assert page.evaluate("() => navigator.clipboard.readText()") == message
    page.screenshot(path=f"{artifacts_dir}/unit-message-copied.png", full_page=True)
    context.close()


def test_without_javascript_the_message_is_a_readonly_text_box(
    live_server, browser, law_counsellor
):
    user, law, window = law_counsellor
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, live_server, user.username)
    page.goto(f"{live_server.url}/unit/{law.pk}/")
    area = page.locator("#message-group-zh")
    assert area.is_visible() and area.is_editable() is False
    assert window in area.input_value()
    assert page.locator("#message-group-en").is_visible()  # the first message is open
    assert page.locator("button[data-copy]").count() == 2
    assert not page.locator("button[data-copy]").first.is_visible()  # no dead button
    assert "点进文本框全选后复制" in page.inner_text("#messages")
    context.close()
