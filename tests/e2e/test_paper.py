"""A paper sign-in sheet end to end in Chromium: printed to PDF, one row's code read back
from the rendered page, the filled .xlsx recorded through the upload, the unit's progress
on the live page moving; and a paired station reading a sheet's row codes in its "from
paper" mode."""

import datetime as dt
import io
import os
import re

import pytest
import zxingcpp
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from sessions.models import Campaign, Capture, CaptureLog, CaptureSession, SlotUnit, Station
from sessions.tokens import pass_token
from tests.e2e.test_before_the_day import login
from tests.e2e.test_day import open_station, paired
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
        Capture.objects.create(student=StudentFactory(unit=law), campaign=campaign)
        for _ in range(15)
    ]
    return CaptureSession.objects.get(), law, captures


def test_print_decode_upload_and_progress(live_server, browser, office_user, day, artifacts_dir):
    session, law, captures = day
    context = browser.new_context(device_scale_factor=3, locale="zh-CN")
    page = context.new_page()
    login(page, live_server, office_user.username)
    base = f"{live_server.url}/staff/sessions/{session.pk}/paper"

    page.goto(f"{base}/{law.pk}/")
    page.set_viewport_size({"width": 642, "height": 900})
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    # One A4 page per sheet page: no row overflows onto a page of its own.
    assert re.findall(rb"/Count (\d+)", pdf) == [b"2"]
    with open(os.path.join(artifacts_dir, "paper-sheet.pdf"), "wb") as f:
        f.write(pdf)
    assert "第 2 页 共 2 页" in page.inner_text("body")

    first = page.locator("table.paper-rows tbody tr").first
    student_no = first.get_attribute("data-student-no")
    png = first.locator("img.row-qr").screenshot()
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    capture = next(c for c in captures if c.student.student_no == student_no)
    assert decoded == [pass_token(capture.student_id, capture.campaign_id)]

    # The office fills the .xlsx: all photographed but the last two, who only arrived.
    response = page.request.get(f"{base}/{law.pk}.xlsx")
    wb = load_workbook(io.BytesIO(response.body()))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(min_row=2))
    for row in rows[:-2]:
        row[4].value = "✓"
    for row in rows[-2:]:
        row[3].value = "✓"
    path = os.path.join(artifacts_dir, "paper-sheet-filled.xlsx")
    wb.save(path)

    page.emulate_media(media="screen")
    page.goto(f"{base}/record/")
    page.set_input_files("#id_file", path)
    page.click("button[name=preview]")
    assert page.inner_text("#count-changes") == "15"
    page.click("button[name=confirm]")
    page.wait_for_load_state()
    assert CaptureLog.objects.filter(source="paper").count() == 15

    page.goto(f"{live_server.url}/staff/sessions/{session.pk}/live/")
    row = page.locator("tr[data-unit='法学院']")
    assert "13" in row.locator("td").nth(4).inner_text()
    context.close()


def test_a_station_in_from_paper_mode_records_the_window_time(
    live_server, context, day, artifacts_dir
):
    """A paired door device, switched to "from paper", reads a row's code (the pass token
    the sheet prints) whenever the office gets to it: the log says source "paper" and the
    time of the student's window, not the time of the reading. Switched back, the next scan is a
    live one."""
    session, law, captures = day
    north = Station.objects.get(name="北门-1")
    paired(context, north)
    page = context.new_page()
    open_station(page, live_server)
    page.check("#paper-mode")
    sheet_row, live = captures[0], captures[1]
    page.fill("#scan-input", pass_token(sheet_row.student_id, sheet_row.campaign_id))
    page.press("#scan-input", "Enter")
    page.wait_for_selector("#answer.answer-green")
    page.screenshot(path=os.path.join(artifacts_dir, "station-from-paper.png"), full_page=True)
    log = CaptureLog.objects.get(capture=sheet_row)
    slot = SlotUnit.objects.select_related("slot").get(session=session, unit=law).slot
    window_start = timezone.make_aware(dt.datetime.combine(session.date, slot.start))
    assert (log.source, log.action, log.occurred_at) == ("paper", "photograph", window_start)
    assert log.actor_device.station == north

    page.uncheck("#paper-mode")
    before = timezone.now()
    page.fill("#scan-input", live.student.student_no)
    page.press("#scan-input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('#recent li:not(.hint)').length === 2")
    page.wait_for_function("() => document.getElementById('net').dataset.queued === '0'")
    log = CaptureLog.objects.get(capture=live)
    assert log.source == "" and log.occurred_at >= before - dt.timedelta(minutes=1)
