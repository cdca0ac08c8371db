"""English staff pages: units, places and doors by their English names (capture_portal.
localised), and no Chinese punctuation glued in by code, which a translator cannot reach."""

import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from sessions.models import CaptureSession, Coordinator, Station
from tests.conftest import device_client
from units.importing import level_synonyms
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db

# Full-width punctuation of Chinese text; English text built by code must have none. (The
# curly quotes are English too: the translation quotes the Chinese words with them.)
CHINESE_PUNCTUATION = re.compile(r"[：（）、；，。]")
# Rows keep the Chinese name as a stable hook for scripts and browser tests (data-unit), never
# shown.
DATA_UNIT = re.compile(r'data-unit="[^"]*"')
# The Chinese half of the unit's ready-to-send group message is Chinese on purpose.
CHINESE_MESSAGE = re.compile(r'<textarea id="message-[a-z-]*-zh".*?</textarea>', re.S)


@pytest.fixture
def english_office(client, office_user):
    client.force_login(office_user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def session(notice):
    # Today, so that the station and the live page have a running session.
    CaptureSession.objects.update(date=timezone.localdate())
    return CaptureSession.objects.get()


def _text(response):
    assert response.status_code == 200
    return response.content.decode()


def _no_chinese_unit_names(text):
    text = CHINESE_MESSAGE.sub("", DATA_UNIT.sub("", text))
    found = [u.name for u in TrainingUnit.objects.all() if u.name in text]
    assert not found, found


def test_unit_detail_and_coordinators_pages_name_the_unit_in_english(english_office, notice, law):
    for position, name, phone in ((1, "尹曦洋", "15800000001"), (2, "沈立", "15600000002")):
        Coordinator.objects.create(
            campaign=notice,
            unit=law,
            position=position,
            name=name,
            phone=phone,
            registered_at=timezone.now(),
        )
    html = _text(english_office.get(reverse("unit:detail", args=[law.pk])))
    assert "<h1>School of Law</h1>" in html
    _no_chinese_unit_names(html)
    # The coordinators after a label, joined by the page's own separators.
    assert re.search(r"Coordinators?</a>: 尹曦洋 15800000001, 沈立 15600000002", html), html
    assert not CHINESE_PUNCTUATION.search(html.split("</h1>")[1].split("<section")[0])
    html = _text(english_office.get(reverse("unit:coordinators", args=[law.pk])))
    assert "<h1>School of Law · " in html
    _no_chinese_unit_names(html)
    # "Coordinator 1: … registered …", the label's colon English too.
    assert "：" not in html


def test_office_coordinators_page_names_every_unit_in_english(english_office, notice):
    html = _text(english_office.get(reverse("staff:coordinators")))
    assert "School of Law" in html and "School of Marxism" in html
    _no_chinese_unit_names(html)


def test_live_page_names_the_place_and_units_in_english(english_office, session):
    html = _text(english_office.get(reverse("staff:live", args=[session.pk])))
    assert "Ground floor, Teaching Building No. 1" in html
    assert "第一教学楼" not in html
    assert "School of Law" in html
    _no_chinese_unit_names(html)


def test_board_data_sends_english_unit_names_and_place(session):
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get(reverse("board_session_json", args=[session.pk]))
    data = json.loads(response.content)
    assert data["place"] == "Ground floor, Teaching Building No. 1"
    names = [u["name"] for u in data["units"]]
    assert "School of Law" in names
    _no_chinese_unit_names(response.content.decode("unicode_escape"))
    html = _text(client.get(reverse("board_session", args=[session.pk])))
    assert "Ground floor, Teaching Building No. 1" in html and "第一教学楼" not in html
    # board.js joins the units of a window with the page's own list separator.
    assert 'data-text-list-separator=", "' in html


def test_station_header_names_the_place_in_english(session):
    client = device_client(Station.objects.get(name="北门-1"))
    client.cookies["django_language"] = "en"
    data = json.loads(client.get(reverse("station:status")).content)
    assert data["session"]["place"] == "Ground floor, Teaching Building No. 1"
    client.cookies["django_language"] = "zh-hans"
    data = json.loads(client.get(reverse("station:status")).content)
    assert data["session"]["place"] == "第一教学楼一楼"


def test_english_annex1_workbook_has_english_units_place_and_header(english_office, session):
    response = english_office.get(reverse("staff:schedule_xlsx", args=[session.pk]))
    assert response.status_code == 200
    sheet = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    text = "\n".join(cells)
    assert "School of Law" in text
    assert "培养单位名称" not in text and "预估时间" not in text
    _no_chinese_unit_names(text)
    assert "第一教学楼" not in text


def test_the_english_level_error_has_no_chinese_punctuation():
    with translation.override("en"):
        message = level_synonyms()
    assert "Academic master" in message
    assert not CHINESE_PUNCTUATION.findall(message), message
    with translation.override("zh-hans"):
        message = level_synonyms()
    assert "（" in message and "、" in message


def test_roster_import_help_says_a_plain_master_is_accepted(client, office_user, notice):
    client.force_login(office_user)
    html = _text(client.get(reverse("staff:roster_import")))
    assert "只写“硕士”时须有学位类型列" not in html
    assert "记为“硕士（未注明学位类型）”" in html
    assert "请写“学硕”“专硕”，或加学位类型列" in html


def test_english_import_preview_heading_uses_the_english_colon(english_office, notice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.rosterfiles import xlsx
    from tests.sessions.test_roster_import import GOOD

    response = english_office.post(
        reverse("staff:roster_import"), {"file": SimpleUploadedFile("good.xlsx", xlsx(GOOD))}
    )
    html = _text(english_office.get(response["Location"]))
    heading = re.search(r"<h1>(.*?)</h1>", html).group(1)
    assert heading.endswith(": good.xlsx") and "：" not in heading


def test_follow_up_exceptions_and_unassigned_counts_name_units_in_english(notice, law, student):
    # These read unit names with values(): they showed the Chinese name on English pages.
    from sessions.aftercare_selectors import offsite_followup
    from sessions.confirmation_selectors import exception_queue
    from sessions.models import Capture, ChsiState
    from sessions.selectors import unassigned_students

    capture = student
    Capture.objects.filter(pk=capture.pk).update(
        status=Capture.Status.OFFSITE, chsi_state=ChsiState.DISPUTED
    )
    with translation.override("en"):
        followup = offsite_followup(notice, timezone.localdate())
        queue = exception_queue(notice)
    assert [u.name for u in followup.units] == ["School of Law"]
    assert [u.name for u in queue.units] == ["School of Law"]
    Capture.objects.filter(pk=capture.pk).update(session=None)
    with translation.override("en"):
        assert unassigned_students(notice.pk) == {"School of Law": 1}
    assert unassigned_students(notice.pk) == {"法学院": 1}


def test_fee_pages_name_the_unit_in_english(english_office, notice, law):
    # The coordinator's and counsellor's fee page said "法学院 · Fees" in English.
    html = _text(english_office.get(reverse("payments:unit_fees", args=[law.pk])))
    assert "<h1>School of Law · " in html
    _no_chinese_unit_names(html)
    html = _text(english_office.get(reverse("payments:reconciliation")))
    assert "School of Law</a>" in html
    _no_chinese_unit_names(html)
