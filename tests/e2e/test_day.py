"""The door on the day, as operators use it: a paired device's page in Chromium.

Each test is a fault found at the doors: a stale sign-in in another tab, a scan the server
cannot take, an attention note while offline, a reload with no network, a shooting number
typed after a yellow answer, a device revoked while scans wait.
"""

import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from capture_portal.actors import Actor
from sessions.models import Campaign, Capture, CaptureLog, CaptureSession, Station
from sessions.services import device_create, device_revoke
from sessions.tokens import pass_token
from tests.e2e.test_before_the_day import login
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def day():
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    CaptureSession.objects.update(date=timezone.localdate())
    campaign = Campaign.objects.get()
    law = TrainingUnit.objects.get(name="法学院")
    captures = [
        Capture.objects.create(student=StudentFactory(unit=law, name=f"学生{i}"), campaign=campaign)
        for i in range(5)
    ]
    return captures, Station.objects.get(name="北门-1")


def paired(context, station):
    """This browser context as a device paired to `station` (the office's one click, done
    in Python here; test_office_pairs_this_browser clicks it)."""
    device, token = device_create(actor=Actor.system(), station_id=station.pk)
    context.add_init_script(
        f"if (!localStorage.getItem('capture-device-token'))"
        f" localStorage.setItem('capture-device-token', '{token}');"
    )
    return device


def open_station(page, live_server):
    page.goto(f"{live_server.url}/station/")
    page.wait_for_function("() => document.getElementById('station-name').innerText !== '采集站'")


def _type(page, text):
    page.fill("#scan-input", text)
    page.press("#scan-input", "Enter")


def _queued(page, n):
    page.wait_for_function(
        f"() => document.getElementById('net').dataset.queued === '{n}'", timeout=15_000
    )


def test_office_pairs_this_browser_and_scans(live_server, page, office_user, day, artifacts_dir):
    captures, north = day
    login(page, live_server, office_user.username)
    page.goto(f"{live_server.url}/staff/stations/")
    page.locator(f"#station-{north.pk} button", has_text="在本浏览器配对").click()
    page.wait_for_url(f"{live_server.url}/station/")
    page.wait_for_function("() => document.getElementById('station-name').innerText === '北门-1'")
    _type(page, captures[0].student.student_no)
    page.wait_for_selector("#answer.answer-green")
    assert "已采集 — 学生0 · 法学院" in page.inner_text("#answer")
    page.screenshot(path=os.path.join(artifacts_dir, "station-green.png"), full_page=True)
    assert CaptureLog.objects.get().actor_device.station == north


def test_offline_scans_survive_a_stale_sign_in_elsewhere(
    live_server, context, office_user, day, artifacts_dir
):
    """Scans queued offline; meanwhile somebody signs in and out in another tab of the same
    browser (which once made every queued upload fail on a stale CSRF token and be
    dropped). All are recorded, with their own times."""
    captures, north = day
    paired(context, north)
    page = context.new_page()
    open_station(page, live_server)
    context.set_offline(True)
    before = timezone.now()
    for c in captures[:3]:
        _type(page, c.student.student_no)
    _queued(page, 3)
    assert "离线" in page.inner_text("#net")
    page.screenshot(path=os.path.join(artifacts_dir, "station-offline.png"), full_page=True)
    context.set_offline(False)
    other = context.new_page()
    login(other, live_server, office_user.username)
    other.goto(f"{live_server.url}/staff/")
    other.close()
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    _queued(page, 0)
    logs = list(CaptureLog.objects.order_by("occurred_at"))
    assert [log.capture_id for log in logs] == [c.pk for c in captures[:3]]
    assert all(before <= log.occurred_at for log in logs)
    assert "离线补传" in page.inner_text("#recent")
    page.reload()
    open_station(page, live_server)
    page.wait_for_timeout(300)
    assert CaptureLog.objects.count() == 3


def test_a_scan_the_server_cannot_take_does_not_block_the_others(live_server, context, day):
    """The server answers 500 to one scan (a fault): it is retried, then moved to the
    visible "needs attention" list; the scans typed after it are recorded meanwhile."""
    captures, north = day
    paired(context, north)
    page = context.new_page()
    failing = captures[0].student.student_no

    def fail_one(route):
        if failing in (route.request.post_data or ""):
            route.fulfill(status=500, body="boom")
        else:
            route.continue_()

    page.route("**/station/api/scan/", fail_one)
    open_station(page, live_server)
    for c in captures[:3]:
        _type(page, c.student.student_no)
    page.wait_for_function(
        "() => document.getElementById('net').dataset.problems === '1'", timeout=20_000
    )
    _queued(page, 0)
    assert set(CaptureLog.objects.values_list("capture_id", flat=True)) == {
        captures[1].pk,
        captures[2].pk,
    }
    assert failing in page.inner_text("#problems")
    # The fault is over: the operator uploads it again from the list.
    page.unroute("**/station/api/scan/")
    page.locator("#problems button", has_text="重新上传").click()
    page.wait_for_function("() => document.getElementById('net').dataset.problems === '0'")
    _queued(page, 0)
    assert CaptureLog.objects.count() == 3


def test_a_refused_scan_shows_what_was_scanned_and_the_next_goes_through(live_server, context, day):
    captures, north = day
    paired(context, north)
    page = context.new_page()
    open_station(page, live_server)
    _type(page, "2022010999")
    page.wait_for_selector("#answer.answer-red")
    assert "2022010999" in page.inner_text("#answer")
    _type(page, captures[1].student.student_no)
    page.wait_for_selector("#answer.answer-green")
    assert CaptureLog.objects.get().capture_id == captures[1].pk


def test_an_offline_attention_scan_waits_until_confirmed(live_server, context, day):
    captures, north = day
    Capture.objects.filter(pk=captures[0].pk).update(attention_note="学籍异动，请核对姓名")
    paired(context, north)
    page = context.new_page()
    open_station(page, live_server)
    context.set_offline(True)
    _type(page, captures[0].student.student_no)
    _type(page, captures[1].student.student_no)
    _queued(page, 2)
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    _queued(page, 0)
    page.wait_for_function("() => document.getElementById('net').dataset.attention === '1'")
    assert "学籍异动" in page.inner_text("#attention")
    assert Capture.objects.get(pk=captures[0].pk).status == Capture.Status.EXPECTED
    _type(page, captures[2].student.student_no)  # later scans do not push it away
    page.wait_for_selector("#answer.answer-green")
    assert "学籍异动" in page.inner_text("#attention")
    page.locator("#attention button", has_text="确认并登记").click()
    page.wait_for_function("() => document.getElementById('net').dataset.attention === '0'")
    _queued(page, 0)
    page.wait_for_timeout(200)
    assert Capture.objects.get(pk=captures[0].pk).status == Capture.Status.PHOTOGRAPHED
    log = CaptureLog.objects.get(capture_id=captures[0].pk)
    assert log.occurred_at < CaptureLog.objects.get(capture_id=captures[2].pk).occurred_at


def test_reloading_while_offline_shows_the_station_and_keeps_the_queue(
    live_server, context, day, artifacts_dir
):
    captures, north = day
    paired(context, north)
    page = context.new_page()
    open_station(page, live_server)
    page.evaluate("() => navigator.serviceWorker.ready")
    page.reload()  # the service worker now controls the page and holds its shell
    open_station(page, live_server)
    context.set_offline(True)
    _type(page, captures[0].student.student_no)
    _queued(page, 1)
    page.reload()
    page.wait_for_selector("#scan-input")
    assert page.inner_text("#station-name") == "北门-1"
    _queued(page, 1)
    page.screenshot(path=os.path.join(artifacts_dir, "station-offline-reload.png"), full_page=True)
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    _queued(page, 0)
    assert CaptureLog.objects.get().capture_id == captures[0].pk


def test_a_shooting_number_after_a_yellow_answer_goes_nowhere(live_server, context, day):
    captures, north = day
    paired(context, north)
    page = context.new_page()
    open_station(page, live_server)
    assert not page.is_visible("#shooting-form")
    _type(page, captures[0].student.student_no)
    page.wait_for_selector("#answer.answer-green")
    assert page.is_visible("#shooting-form") and "学生0" in page.inner_text("#shooting-who")
    page.fill("#shooting-input", "0001")
    page.press("#shooting-input", "Enter")
    page.wait_for_function("() => document.querySelector('#answer').innerText.includes('0001')")
    _type(page, captures[0].student.student_no)  # yellow: already photographed
    page.wait_for_selector("#answer.answer-yellow")
    assert not page.is_visible("#shooting-form")
    _type(page, captures[1].student.student_no)
    page.wait_for_selector("#answer.answer-green")
    _type(page, "2022010999")  # red
    page.wait_for_selector("#answer.answer-red")
    assert not page.is_visible("#shooting-form")
    assert Capture.objects.get(pk=captures[0].pk).shooting_no == "0001"
    assert Capture.objects.get(pk=captures[1].pk).shooting_no == ""


def test_a_revoked_device_keeps_its_queue_and_says_why(live_server, context, day, artifacts_dir):
    captures, north = day
    device = paired(context, north)
    page = context.new_page()
    open_station(page, live_server)
    context.set_offline(True)
    _type(page, captures[0].student.student_no)
    _type(page, captures[1].student.student_no)
    _queued(page, 2)
    device_revoke(actor=Actor.system(), device_id=device.pk)
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#device-problem:not([hidden])")
    assert "停用" in page.inner_text("#device-problem")
    assert "2 条等待上传" in page.inner_text("#net") and "未授权" in page.inner_text("#net")
    _queued(page, 2)
    page.screenshot(path=os.path.join(artifacts_dir, "station-revoked.png"), full_page=True)
    assert not CaptureLog.objects.exists()


def test_undo_on_a_freshly_opened_page_asks_and_names_the_student(live_server, context, day):
    captures, north = day
    paired(context, north)
    page = context.new_page()
    open_station(page, live_server)
    _type(page, captures[0].student.student_no)
    page.wait_for_selector("#answer.answer-green")
    page.reload()
    open_station(page, live_server)
    page.wait_for_selector("#recent button.undo")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    page.locator("#recent button.undo").click()
    page.wait_for_function("() => document.querySelector('#answer').innerText.includes('已撤销')")
    assert "学生0" in dialogs[0]
    # Photographed straight from "expected": the undo goes back there.
    assert Capture.objects.get(pk=captures[0].pk).status == Capture.Status.EXPECTED


def test_operator_scans_passes_undoes_one_and_board_follows(
    live_server, browser, day, artifacts_dir
):
    captures, north = day
    board = browser.new_page(locale="zh-CN")
    board.goto(f"{live_server.url}/board/")
    board.wait_for_selector("#progress li[data-unit='法学院']")
    assert "0/5" in board.inner_text("#progress li[data-unit='法学院']")

    context = browser.new_context(locale="zh-CN")
    paired(context, north)
    page = context.new_page()
    page.set_default_timeout(10_000)
    open_station(page, live_server)
    tokens = [pass_token(c.student_id, c.campaign_id) for c in captures[:3]]
    for i, token in enumerate(tokens):
        _type(page, token)
        page.wait_for_function(
            f"() => document.querySelector('#answer').innerText.includes('学生{i} ')"
        )
        assert page.locator("#answer").get_attribute("class") == "answer answer-green"
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
        ".innerText.includes('2/5')",
        timeout=10_000,
    )
    board.screenshot(path=os.path.join(artifacts_dir, "board.png"), full_page=True)
    assert "学生" not in board.inner_text("body")
    board.close()
    context.close()


def test_a_tablet_pairs_with_the_link_the_office_shows(
    live_server, browser, page, office_user, day, artifacts_dir
):
    captures, north = day
    login(page, live_server, office_user.username)
    page.goto(f"{live_server.url}/staff/stations/")
    row = page.locator(f"#station-{north.pk}")
    row.locator("input[name=name]").fill("北门平板")
    row.locator("button", has_text="生成配对链接").click()
    link = page.inner_text("#pairing-url")
    assert "#" in link  # the code travels in the fragment, never to a server log
    page.screenshot(path=os.path.join(artifacts_dir, "stations-pairing-link.png"), full_page=True)
    tablet = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    screen = tablet.new_page()
    screen.goto(link)
    screen.click("#pair-form button")
    screen.wait_for_url(f"{live_server.url}/station/")
    screen.wait_for_function("() => document.getElementById('station-name').innerText === '北门-1'")
    _type(screen, captures[0].student.student_no)
    screen.wait_for_selector("#answer.answer-green")
    screen.screenshot(path=os.path.join(artifacts_dir, "station-390.png"), full_page=True)
    assert CaptureLog.objects.get().actor_device.name == "北门平板"
    tablet.close()


def test_answers_come_in_the_language_of_the_page(live_server, browser, day, artifacts_dir):
    """The API gets no cookie: the page says its language (once the browser's own won)."""
    captures, north = day
    context = browser.new_context(locale="zh-CN")
    paired(context, north)
    page = context.new_page()
    open_station(page, live_server)
    with page.expect_navigation():
        page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.wait_for_function("() => document.getElementById('station-name').innerText === '北门-1'")
    _type(page, captures[0].student.student_no)
    page.wait_for_selector("#answer.answer-green")
    assert "Photographed" in page.inner_text("#answer")
    assert "Photographed" in page.inner_text("#station-kind")
    page.screenshot(path=os.path.join(artifacts_dir, "station-en.png"), full_page=True)
    context.close()
