import os

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_in_chinese_shows_schedule_then_english(live_server, page, artifacts_dir):
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    page.goto(live_server.url + "/")
    table = page.locator("table.annex1")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert table.locator("td").first.inner_text() == "法学院"
    assert table.locator("td.window").count() == 5
    assert table.locator("td.window").first.get_attribute("rowspan") == "3"
    assert "第一教学楼一楼" in page.inner_text("main")
    page.screenshot(path=os.path.join(artifacts_dir, "home-zh.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Schedule of the on-campus capture" in page.inner_text("main")
    page.screenshot(path=os.path.join(artifacts_dir, "home-en.png"), full_page=True)


def test_home_fits_a_phone(live_server, page):
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360
