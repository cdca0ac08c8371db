"""The CHSI confirmation loop in a browser, on a phone-sized screen: the office imports a
confirmation file with two problems, schedules a re-capture of one into a make-up session
and resolves the other; the first student's page then shows the make-up session."""

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from capture_portal.actors import Actor
from sessions import services
from sessions.models import Campaign, Capture, CaptureSession
from sessions.tokens import pass_token
from tests.factories import StudentFactory
from tests.rosterfiles import xlsx
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def login(page, live_server, username):
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def world():
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    Campaign.objects.filter(pk=campaign.pk).update(
        confirmation_opens=timezone.localdate() - dt.timedelta(days=3),
        confirmation_deadline=timezone.localdate() + dt.timedelta(days=20),
    )
    law = TrainingUnit.objects.get(name="法学院")
    yesterday = timezone.now() - dt.timedelta(days=1)
    captures = {
        name: Capture.objects.create(
            student=StudentFactory(student_no=number, name=name, unit=law),
            campaign=campaign,
            status=Capture.Status.PHOTOGRAPHED,
            status_at=yesterday,
        )
        for number, name in (
            ("202201010001", "张三"),
            ("202201010002", "李四"),
            ("202201010003", "王五"),
        )
    }
    makeup = services.makeup_session_create(
        actor=Actor.system(),
        campaign_id=campaign.pk,
        date=timezone.localdate() + dt.timedelta(days=7),
        start=dt.time(14, 0),
        end=dt.time(16, 0),
        place="图书馆报告厅",
        campus="西校区",
        entry_door="东门",
        exit_door="西门",
        cameras=1,
    )
    return {"campaign": campaign, "captures": captures, "makeup": makeup}


def test_office_imports_schedules_a_recapture_and_resolves_the_other(
    live_server, page, world, office_user, tmp_path, artifacts_dir
):
    page.set_viewport_size(PHONE)
    zhang, li = world["captures"]["张三"], world["captures"]["李四"]
    file = tmp_path / "图像校对结果.xlsx"
    file.write_bytes(
        xlsx(
            [
                ["202201010001", "张三", "有异议", "照片不是本人"],
                ["202201010002", "李四", "无图像", None],
                ["202201010003", "王五", "已确认", None],
            ],
            header=["学号", "姓名", "校对状态", "原因"],
            title="学信档案图像校对结果",
        )
    )
    login(page, live_server, office_user.username)
    page.goto(live_server.url + "/staff/")
    page.locator("#confirmation-links").get_by_role("link", name="导入学信网图像校对结果").click()
    page.set_input_files("input[type=file]", str(file))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state()
    assert page.locator("#count-students").inner_text() == "3"
    assert page.locator("#count-disputed").inner_text() == "1"
    assert page.locator("#count-no-image").inner_text() == "1"
    assert "照片不是本人" in page.inner_text("#problems")
    assert fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, "confirmation-preview.png"), full_page=True)
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_load_state()
    assert "3 名学生的校对状态已更新" in page.inner_text(".messages")

    page.get_by_role("link", name="查看图像校对异常名单").click()
    page.wait_for_load_state()
    assert page.locator("#count-total").inner_text() == "2"
    assert page.locator("section.exception").count() == 2
    assert "有异议：照片不是本人" in page.inner_text(f"#c{zhang.pk}")
    assert fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, "confirmation-exceptions.png"), full_page=True)

    first = page.locator(f"#c{zhang.pk}")
    first.locator("select[name=session_id]").select_option(str(world["makeup"].pk))
    first.get_by_role("button", name="安排补拍").click()
    page.wait_for_load_state()
    assert "已安排补拍" in page.inner_text(".messages")
    assert page.locator(f"#c{zhang.pk}").count() == 0

    second = page.locator(f"#c{li.pk}")
    second.get_by_placeholder("说明（必填）").fill("学信网已补传照片")
    second.get_by_role("button", name="标记为已处理").click()
    page.wait_for_load_state()
    assert "已标记为已处理" in page.inner_text(".messages")
    assert page.locator("#count-total").inner_text() == "0"

    zhang.refresh_from_db()
    li.refresh_from_db()
    assert (zhang.status, zhang.session_id) == ("expected", world["makeup"].pk)
    assert (li.status, li.issue_note) == ("photographed", "学信网已补传照片")

    # The first student's own page now names the make-up session.
    token = pass_token(zhang.student_id, zhang.campaign_id)
    page.goto(f"{live_server.url}/s/{token}/")
    slot = page.inner_text("dl.slot")
    assert "补拍" in slot and "图书馆报告厅" in slot and "西校区" in slot
    makeup_date = world["makeup"].date
    assert f"{makeup_date.year}年{makeup_date.month}月{makeup_date.day}日" in slot
    assert page.locator("#chsi-next").count() == 0  # expected again: nothing to check yet
    assert fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, "confirmation-student.png"), full_page=True)
    assert CaptureSession.objects.get(pk=world["makeup"].pk).captures.count() == 1


def test_the_student_page_says_what_to_do_next_on_a_phone(live_server, page, world, artifacts_dir):
    page.set_viewport_size(PHONE)
    wang = world["captures"]["王五"]
    Capture.objects.filter(pk=wang.pk).update(chsi_state="disputed", chsi_reason="眼镜反光")
    page.goto(f"{live_server.url}/s/{pass_token(wang.student_id, wang.campaign_id)}/")
    section = page.inner_text("#chsi-next")
    assert "学信网 → 学信档案 → 图像校对" in section
    assert "至" in page.inner_text("#chsi-when")
    assert "眼镜反光" in page.inner_text("#chsi-state")
    assert fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, "confirmation-next-step.png"), full_page=True)


def test_the_counsellor_records_a_students_state_on_a_phone(
    live_server, page, world, artifacts_dir
):
    from tests.factories import MembershipFactory, UserFactory

    page.set_viewport_size(PHONE)
    law = TrainingUnit.objects.get(name="法学院")
    user = MembershipFactory(user=UserFactory(username="couns-chsi"), unit=law).user
    wang = world["captures"]["王五"]
    login(page, live_server, user.username)
    page.goto(f"{live_server.url}/unit/{law.pk}/confirmation/")
    row = page.locator(f"#c{wang.pk}")
    row.locator("select[name=state]").select_option("disputed")
    row.locator("input[name=reason]").fill("眼镜反光")
    row.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "已登记 王五：有异议" in page.inner_text(".messages")
    assert "眼镜反光" in page.inner_text(f"#c{wang.pk} .chsi-state")
    assert page.locator("#count-disputed").inner_text() == "1"
    assert fits(page)
    page.screenshot(path=os.path.join(artifacts_dir, "confirmation-unit.png"), full_page=True)
    wang.refresh_from_db()
    assert (wang.chsi_state, wang.chsi_reason) == ("disputed", "眼镜反光")
