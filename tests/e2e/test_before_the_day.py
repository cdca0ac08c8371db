import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions.models import Campaign, Coordinator
from tests.factories import MembershipFactory, UserFactory
from tests.rosterfiles import xlsx
from tests.sessions.test_roster_import import GOOD
from units.models import Student, TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def notice():
    call_command("loaddata", "fixtures/notice.json", verbosity=0)


def login(page, live_server, username):
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_office_uploads_roster_fixes_error_and_confirms(
    live_server, page, notice, office_user, tmp_path, artifacts_dir
):
    bad = tmp_path / "名单.xlsx"
    bad.write_bytes(
        xlsx(
            [*GOOD, ["202201010009", "赵六", "法学", None, None, None, None]],
            title="2025届研究生名单",
        )
    )
    login(page, live_server, office_user.username)
    page.goto(live_server.url + "/staff/roster/import/")
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state()
    errors = page.locator("table.errors tbody tr")
    assert errors.count() == 1
    assert errors.first.inner_text().split("\t")[:2] == [
        "6",
        "培养单位",
    ]  # title row, header, 3 good rows
    assert "是否为“法学院”" in errors.first.inner_text()
    page.screenshot(path=os.path.join(artifacts_dir, "roster-errors.png"), full_page=True)
    assert Student.objects.count() == 0

    fixed = tmp_path / "名单-修正.xlsx"
    fixed.write_bytes(
        xlsx(
            [*GOOD, ["202201010009", "赵六", "法学院", None, None, None, None]],
            title="2025届研究生名单",
        )
    )
    page.set_input_files("input[type=file]", str(fixed))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_load_state()
    assert page.locator("#count-create").inner_text() == "4"
    page.screenshot(path=os.path.join(artifacts_dir, "roster-preview.png"), full_page=True)
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_load_state()
    assert "导入完成：新增 4 人" in page.inner_text(".messages")
    assert Student.objects.count() == 4


def test_counsellor_registers_coordinators_then_deadline_locks(
    live_server, page, notice, artifacts_dir
):
    Campaign.objects.update(coordinator_deadline=timezone.now() + dt.timedelta(hours=2))
    unit = TrainingUnit.objects.get(name="法学院")
    user = MembershipFactory(user=UserFactory(username="couns-e2e"), unit=unit).user
    login(page, live_server, user.username)
    page.goto(live_server.url + f"/unit/{unit.pk}/coordinators/")
    page.fill("#id_c1-name", "张负责")
    page.fill("#id_c1-phone", "1380000000")  # one digit short
    page.fill("#id_c2-name", "李负责")
    page.fill("#id_c2-phone", "0311-87657669")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "请输入 11 位手机号" in page.inner_text("main")
    assert page.input_value("#id_c1-name") == "张负责"  # what was typed is kept
    page.fill("#id_c1-phone", "13800000001")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "负责人已保存" in page.inner_text(".messages")
    assert Coordinator.objects.filter(unit=unit).count() == 2

    Campaign.objects.update(coordinator_deadline=timezone.now() - dt.timedelta(minutes=1))
    page.reload()
    assert page.locator("#locked").is_visible()
    assert "已过" in page.inner_text("#locked")
    assert page.locator("#id_c1-name").count() == 0
    assert "张负责" in page.inner_text("main")
    page.screenshot(path=os.path.join(artifacts_dir, "coordinators-locked.png"), full_page=True)
