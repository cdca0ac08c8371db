"""Refusals that say what is wrong: the counsellor's off-site reason and the roster file.
Each used to get another case's message ("须填写原因" for a reason that was there, "只支持
Excel 和 CSV" for a CSV, "不能为空" for a formula)."""

import pytest
from django.urls import reverse

from capture_portal.exceptions import DomainError
from sessions import services
from sessions.models import Capture
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from tests.rosterfiles import csv_bytes, xlsx
from tests.sessions.test_roster_import import GOOD
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def offsite_post(client, notice):
    unit = TrainingUnit.objects.get(name="法学院")
    client.force_login(MembershipFactory(user=UserFactory(), unit=unit).user)
    capture = Capture.objects.create(student=StudentFactory(unit=unit), campaign=notice)
    url = reverse("unit:capture_action", args=[unit.pk, capture.pk, "offsite"])

    def post(reason):
        html = client.post(url, {"reason": reason}, follow=True).content.decode()
        capture.refresh_from_db()
        return html, capture.status

    return post


def test_an_empty_reason_is_asked_for(offsite_post):
    html, status = offsite_post("")
    assert "登记分散采集须填写原因" in html and status == Capture.Status.EXPECTED


def test_a_reason_over_200_characters_is_said_to_be_too_long(offsite_post):
    html, status = offsite_post("实" * 201)
    assert status == Capture.Status.EXPECTED
    assert "须填写原因" not in html
    assert "最多 200 个字" in html and "201" in html


def test_a_reason_with_a_nul_is_said_to_have_an_unprintable_character(offsite_post):
    html, status = offsite_post("实习\x00在外地")
    assert status == Capture.Status.EXPECTED
    assert "须填写原因" not in html
    assert "无法显示的字符" in html


def test_a_reason_of_200_characters_is_accepted(offsite_post):
    _html, status = offsite_post("实" * 200)
    assert status == Capture.Status.OFFSITE


# --- the roster file ----------------------------------------------------------------------


def _preview(office, campaign, data, name):
    return services.roster_import_preview(
        actor=office, campaign_id=campaign.pk, file_name=name, data=data
    )


def test_a_csv_with_a_nul_byte_is_said_to_contain_unreadable_characters(office, notice):
    rows = [list(GOOD[0]), list(GOOD[1])]
    rows[1][1] = "李\x00四"
    with pytest.raises(DomainError) as err:
        _preview(office, notice, csv_bytes(rows), "roster.csv")
    message = err.value.message
    assert "只支持" not in message
    assert "无法读取的字符" in message and "NUL" in message
    assert "第 3 行" in message  # the header is line 1


def test_a_binary_file_is_still_an_unsupported_format(office, notice):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
    with pytest.raises(DomainError) as err:
        _preview(office, notice, png, "roster.csv")
    assert err.value.code == "unsupported_format"


@pytest.mark.parametrize("column, index", [("学号", 0), ("姓名", 1), ("培养单位", 2), ("手机", 6)])
def test_a_formula_is_said_to_be_a_formula(office, notice, column, index):
    row = list(GOOD[0])
    row[index] = "=1+1"
    preview = _preview(office, notice, xlsx([row]), "roster.xlsx")
    messages = [e.message for e in preview.parsed.errors if e.column == column]
    assert messages, preview.parsed.errors
    assert "公式" in messages[0] and "=1+1" in messages[0]
    assert "不能为空" not in messages[0]
    assert preview.upload is None


def test_a_formula_in_a_csv_is_said_to_be_a_formula(office, notice):
    row = list(GOOD[0])
    row[0] = "=1+1"
    preview = _preview(office, notice, csv_bytes([row]), "roster.csv")
    [message] = [e.message for e in preview.parsed.errors if e.column == "学号"]
    assert "公式" in message
