import os

import pytest
from django.core.management import call_command

from capture_portal.actors import Actor
from payments.models import FeeEntry
from sessions import services
from sessions.models import Campaign, Capture
from tests.e2e.test_before_the_day import login
from tests.factories import StudentFactory
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db(transaction=True)


def test_coordinator_ticks_three_paid_and_office_sees_them(
    live_server, page, browser, office_user, artifacts_dir
):
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    law = TrainingUnit.objects.get(name="法学院")
    captures = [
        Capture.objects.create(
            student=StudentFactory(unit=law, name=f"学生{i}"),
            campaign=campaign,
            status="photographed",
        )
        for i in range(5)
    ]
    token = services.coordinator_link_rotate(
        actor=Actor.of(office_user), campaign_id=campaign.pk, unit_id=law.pk
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/c/{token}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for c in captures[:3]:
        row = page.locator(f"#s{c.student_id}")
        row.locator("select[name=method]").select_option("wechat")
        row.get_by_role("button", name="已缴").click()
        # The tick is recorded in place (static/js/fees.js): wait for the row, not a load.
        page.locator(f"#s{c.student_id} .badge.ok").wait_for()
    assert page.inner_text("#paid-count") == "3"
    assert page.inner_text("#collected") == "60"  # 60 元, not 60.00 (capture_portal.money)
    page.screenshot(path=os.path.join(artifacts_dir, "coordinator-fees.png"), full_page=True)
    assert FeeEntry.objects.count() == 3

    office = browser.new_page(locale="zh-CN")
    login(office, live_server, office_user.username)
    office.goto(f"{live_server.url}/staff/fees/")
    row = office.locator("tr[data-unit='法学院']").inner_text().split("\t")
    assert row[1:4] == ["5", "3", "60"]
    office.screenshot(path=os.path.join(artifacts_dir, "reconciliation.png"), full_page=True)
    office.close()
