import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions.models import Campaign, Capture, CaptureLog, Station
from sessions.tokens import pass_token
from tests.e2e.test_before_the_day import login
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def day():
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    law = TrainingUnit.objects.get(name="法学院")
    captures = [
        Capture.objects.create(student=StudentFactory(unit=law, name=f"学生{i}"), campaign=campaign)
        for i in range(4)
    ]
    return captures, Station.objects.get(name="北门-1")


def _type(page, text):
    page.fill("#scan-input", text)
    page.press("#scan-input", "Enter")


def test_offline_scans_queue_and_upload_once_with_their_times(
    live_server, page, context, station_user, day, artifacts_dir
):
    captures, north = day
    login(page, live_server, station_user.username)
    page.goto(f"{live_server.url}/station/{north.pk}/")
    context.set_offline(True)
    before = timezone.now()
    for c in captures[:3]:
        _type(page, c.student.student_no)
        page.wait_for_timeout(50)
    page.wait_for_function("() => document.getElementById('net').dataset.queued === '3'")
    assert "离线" in page.inner_text("#net") and "3" in page.inner_text("#net")
    assert not CaptureLog.objects.exists()
    page.screenshot(path=os.path.join(artifacts_dir, "station-offline.png"), full_page=True)
    page.wait_for_timeout(1500)  # the scans keep their own times, not the upload's
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('net').dataset.queued === '0'", timeout=15_000
    )
    reconnected = timezone.now()
    logs = list(CaptureLog.objects.order_by("occurred_at"))
    assert [log.capture_id for log in logs] == [c.pk for c in captures[:3]]
    assert all(before <= log.occurred_at < reconnected for log in logs)
    assert all(log.recorded_at - log.occurred_at > timezone.timedelta(seconds=1) for log in logs)
    assert "离线补传" in page.inner_text("#recent")
    page.reload()  # a reload uploads nothing twice
    page.wait_for_timeout(500)
    assert CaptureLog.objects.count() == 3


def test_operator_scans_passes_undoes_one_and_board_follows(
    live_server, browser, station_user, day, artifacts_dir
):
    captures, north = day
    board = browser.new_page(locale="zh-CN")
    board.goto(f"{live_server.url}/board/")
    board.wait_for_selector("#progress li[data-unit='法学院']")
    assert "0/4" in board.inner_text("#progress li[data-unit='法学院']")

    page = browser.new_page(locale="zh-CN")
    page.set_default_timeout(10_000)
    login(page, live_server, station_user.username)
    page.goto(f"{live_server.url}/station/{north.pk}/")
    tokens = [pass_token(c.student_id, c.campaign_id) for c in captures[:3]]
    for i, token in enumerate(tokens):
        _type(page, token)
        page.wait_for_function(
            f"() => document.querySelector('#answer').innerText.includes('学生{i} ')"
        )
        assert page.locator("#answer").get_attribute("class") == "answer answer-green"
    assert "已采集 — 学生2 · 法学院" in page.inner_text("#answer")
    _type(page, tokens[0])
    page.wait_for_selector("#answer.answer-yellow")
    assert "已采集：学生0 · 法学院" in page.inner_text("#answer")
    page.screenshot(path=os.path.join(artifacts_dir, "station-yellow.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#recent button.undo").first.click()
    page.wait_for_function("() => document.querySelector('#answer').innerText.includes('已撤销')")
    assert Capture.objects.filter(status="photographed").count() == 2

    board.wait_for_function(
        "() => document.querySelector(\"#progress li[data-unit='法学院']\")"
        ".innerText.includes('2/4')",
        timeout=10_000,
    )
    board.screenshot(path=os.path.join(artifacts_dir, "board.png"), full_page=True)
    assert "学生" not in board.inner_text("body")
    # Stop the board's polling before the live server goes away.
    board.close()
    page.close()
