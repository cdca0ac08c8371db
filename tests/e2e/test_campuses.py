"""A campaign on two campuses and two days, in Chromium: each waiting-area board shows its
own session only, and a student finds their own session's day, place and window."""

import datetime as dt
import os

import pytest
from django.core.management import call_command

from capture_portal.actors import Actor
from sessions import services
from sessions.models import Campaign, Capture, CaptureSession, SlotUnit, Station, TimeSlot
from sessions.services.assignment import captures_assign_sessions
from tests.conftest import device_actor
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}
EAST_UNITS = ("法学院", "经济学院")


@pytest.fixture
def campuses():
    """The notice's afternoon on the main campus (day 1) and a morning on the east campus
    (day 2) that takes 法学院 and 经济学院; one student in each session."""
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    main = CaptureSession.objects.get()
    main.campus = "本部"
    main.save()
    east = CaptureSession.objects.create(
        campaign=campaign,
        date=main.date + dt.timedelta(days=1),
        start=dt.time(9, 0),
        end=dt.time(12, 0),
        campus="东校区",
        place="东区体育馆",
        entry_door="西门",
        exit_door="东门",
        schedule_published=True,
    )
    slot = TimeSlot.objects.create(session=east, start=dt.time(9, 0), end=dt.time(10, 0))
    for order, name in enumerate(EAST_UNITS, start=1):
        unit = TrainingUnit.objects.get(name=name)
        SlotUnit.objects.filter(unit=unit).delete()
        SlotUnit.objects.create(session=east, slot=slot, unit=unit, order=order)
    zhang = StudentFactory(
        student_no="202201010001", name="张三", unit=TrainingUnit.objects.get(name="法学院")
    )
    li = StudentFactory(
        student_no="202201030001", name="李四", unit=TrainingUnit.objects.get(name="会计学院")
    )
    for student in (zhang, li):
        Capture.objects.create(student=student, campaign=campaign)
    captures_assign_sessions(actor=Actor.system(), campaign_id=campaign.pk)
    Station.objects.create(session=east, name="东门-1", kind="photographed")
    return campaign, main, east


def _units(board):
    board.wait_for_selector("#progress li")
    return board.eval_on_selector_all("#progress li", "els => els.map(e => e.dataset.unit)")


def test_two_boards_each_show_their_own_session_and_a_student_finds_theirs(
    live_server, browser, campuses, artifacts_dir
):
    campaign, main, east = campuses
    chooser = browser.new_page(locale="zh-CN")
    chooser.goto(f"{live_server.url}/board/")
    links = chooser.get_by_role("link", name="东区体育馆")
    assert links.count() == 1
    chooser.screenshot(path=os.path.join(artifacts_dir, "board-choose.png"), full_page=True)
    links.click()
    chooser.wait_for_load_state()
    east_board = chooser
    assert sorted(_units(east_board)) == sorted(EAST_UNITS)
    assert "东校区" in east_board.inner_text("h1")

    main_board = browser.new_page(locale="zh-CN")
    main_board.goto(f"{live_server.url}/board/{main.pk}/")
    main_units = _units(main_board)
    assert "会计学院" in main_units and not set(EAST_UNITS) & set(main_units)

    # 张三 is photographed at the east campus: only the east board moves.
    services.scan_record(actor=device_actor(campaign, "东门-1"), code="202201010001")
    east_board.wait_for_function(
        "() => document.querySelector(\"#progress li[data-unit='法学院']\")"
        ".innerText.includes('1/1')",
        timeout=10_000,
    )
    assert "1/" not in main_board.inner_text("#overall")
    east_board.screenshot(path=os.path.join(artifacts_dir, "board-east.png"), full_page=True)
    main_board.screenshot(path=os.path.join(artifacts_dir, "board-main.png"), full_page=True)

    student = browser.new_page(locale="zh-CN", viewport=PHONE)
    student.goto(f"{live_server.url}/lookup/")
    student.fill("#id_student_no", "202201030001")
    student.fill("#id_name", "李四")
    student.get_by_role("button", name="查询").click()
    student.wait_for_load_state()
    slot = student.inner_text("dl.slot")
    assert "本部" in slot and "第一教学楼一楼" in slot and "东区体育馆" not in slot
    student.goto(f"{live_server.url}/lookup/")
    student.fill("#id_student_no", "202201010001")
    student.fill("#id_name", "张三")
    student.get_by_role("button", name="查询").click()
    student.wait_for_load_state()
    slot = student.inner_text("dl.slot")
    assert "东校区 · 东区体育馆" in slot and "2024年3月12日" in slot
    assert student.inner_text("#window") == "09:00–10:00"
    assert student.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    student.screenshot(path=os.path.join(artifacts_dir, "student-east.png"), full_page=True)

    home = browser.new_page(locale="zh-CN")
    home.goto(f"{live_server.url}/")
    assert home.locator("table.annex1").count() == 2
    home.screenshot(path=os.path.join(artifacts_dir, "home-two-sessions.png"), full_page=True)


def test_a_door_names_the_students_own_session_and_records_them_once_allowed(
    live_server, browser, campuses, artifacts_dir
):
    from tests.e2e.test_day import _type, open_station, paired

    campaign, main, east = campuses
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    paired(context, Station.objects.get(session=main, name="北门-1"))
    page = context.new_page()
    open_station(page, live_server)
    _type(page, "202201010001")
    page.wait_for_selector("#answer.answer-yellow")
    assert "另一场次" in page.inner_text("#answer") and "东区体育馆" in page.inner_text("#answer")
    assert not Capture.objects.filter(status="photographed").exists()
    page.screenshot(path=os.path.join(artifacts_dir, "station-other-session.png"))

    CaptureSession.objects.filter(pk=main.pk).update(allow_cross_session=True)
    _type(page, "202201010001")
    page.wait_for_selector("#answer.answer-green .answer-hint")
    assert "其他场次的学生：03-12 东校区 东区体育馆" == page.inner_text("#answer .answer-hint")
    assert Capture.objects.get(student__student_no="202201010001").status == "photographed"
    page.screenshot(path=os.path.join(artifacts_dir, "station-cross-session.png"))
    context.close()
