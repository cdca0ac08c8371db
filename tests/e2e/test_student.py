import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions.models import Campaign, Capture, Coordinator
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def zhang():
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    law = TrainingUnit.objects.get(name="法学院")
    for position, (name, phone) in enumerate(
        [("李负责", "13800000001"), ("王负责", "13900000002")], start=1
    ):
        Coordinator.objects.create(
            campaign=campaign,
            unit=law,
            position=position,
            name=name,
            phone=phone,
            registered_at=timezone.now(),
        )
    student = StudentFactory(student_no="202201010001", name="张三", unit=law)
    return Capture.objects.create(student=student, campaign=campaign)


def _no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_student_looks_up_opens_pass_and_downloads_calendar(
    live_server, page, zhang, artifacts_dir, tmp_path
):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="查询我的采集时间").first.click()
    page.wait_for_load_state()
    assert _no_horizontal_scroll(page)
    page.fill("#id_student_no", "202201010001")
    page.fill("#id_name", "张三")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    assert "/s/" in page.url and "202201010001" not in page.url
    assert page.inner_text("#window") == "13:20–14:00"
    coordinators = page.inner_text("#coordinators")
    assert "李负责" in coordinators and "13900000002" in coordinators
    assert _no_horizontal_scroll(page)
    page.screenshot(path=os.path.join(artifacts_dir, "student-page.png"), full_page=True)

    page.get_by_role("link", name="打开我的采集凭证").click()
    page.wait_for_load_state()
    assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    assert _no_horizontal_scroll(page)
    page.screenshot(path=os.path.join(artifacts_dir, "pass.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="加入日历（.ics）").click()
    path = tmp_path / "capture.ics"
    download_info.value.save_as(path)
    assert "DTSTART;TZID=Asia/Shanghai:20240311T132000" in path.read_text()


@pytest.mark.parametrize("path", ["/", "/lookup/", "/guide/capture-code/", "/offsite/"])
def test_public_pages_fit_360px(live_server, page, zhang, path):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + path)
    assert _no_horizontal_scroll(page)


def test_student_pages_fit_360px_in_english(live_server, page, zhang):
    from sessions.tokens import pass_token

    token = pass_token(zhang.student_id, zhang.campaign_id)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/lookup/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    for path in (f"/s/{token}/", f"/pass/{token}/"):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == "en"
        assert _no_horizontal_scroll(page), path
