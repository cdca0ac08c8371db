"""The student's own pages say what the notice says: estimated windows, the two codes
(the portal's pass at the door, the CHSI capture code at the camera) and, for a student who
missed the day or went off-site, one coherent off-site page (issue 17, section 1)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions import tokens
from sessions.models import Capture, Coordinator
from tests.factories import StudentFactory
from tests.sessions.test_notice_fixture import SCHOOL_CODE, STUDIO, _squeeze, page_text
from units.models import TrainingUnit


@pytest.fixture
def zhang(notice):
    law = TrainingUnit.objects.get(name="法学院")
    student = StudentFactory(student_no="202201010001", name="张三", unit=law)
    Coordinator.objects.create(
        campaign=notice,
        unit=law,
        position=1,
        name="李负责",
        phone="13800000001",
        registered_at=timezone.now(),
    )
    return Capture.objects.create(student=student, campaign=notice)


def _urls(capture):
    token = tokens.pass_token(capture.student_id, capture.campaign_id)
    return {
        name: reverse(name, args=[token])
        for name in ("student", "pass", "pass_qr", "pass_calendar")
    }


def _text(client, url):
    return _squeeze(page_text(client.get(url).content.decode()))


@pytest.mark.parametrize("name", ["student", "pass"])
def test_the_window_is_an_estimate(client, zhang, name):
    text = _text(client, _urls(zhang)[name])
    assert "预估时段" in text and "13:20–14:00" in text
    assert "以实际时间为准" in text


def test_the_calendar_entry_says_the_window_is_an_estimate(client, zhang):
    from icalendar import Calendar

    response = client.get(_urls(zhang)["pass_calendar"])
    event = next(c for c in Calendar.from_ical(response.content).walk("VEVENT"))
    description = str(event["description"])
    assert "预估" in description and "以实际时间为准" in description
    # The CHSI code is for the photographer: the entry says so, not "show it at the door".
    assert "拍摄时" in description


@pytest.mark.parametrize("name", ["student", "pass"])
def test_two_labelled_panels_pass_at_the_door_chsi_code_at_the_camera(client, zhang, name):
    urls = _urls(zhang)
    html = client.get(urls[name]).content.decode()
    door = html.split('id="door-pass"', 1)[1].split("</section>", 1)[0]
    camera = html.split('id="chsi-code"', 1)[1].split("</section>", 1)[0]
    door_text, camera_text = _squeeze(page_text(door)), _squeeze(page_text(camera))
    assert "采集凭证" in door_text and "入口" in door_text
    assert "学信网图像采集码" in camera_text and "摄影师" in camera_text
    assert "保存" in camera_text and reverse("guide") in camera
    # The portal's QR is the door's; the CHSI code is never asked for at the door.
    if name == "pass":
        assert urls["pass_qr"] in door and urls["pass_qr"] not in camera
    assert "入场时请同时出示学信网图像采集码" not in html


@pytest.mark.parametrize("status", ["absent", "offsite"])
def test_a_student_off_site_sees_one_coherent_page(client, zhang, status):
    Capture.objects.filter(pk=zhang.pk).update(status=status)
    urls = _urls(zhang)
    html = client.get(urls["student"]).content.decode()
    text = _squeeze(page_text(html))
    for sentence in (STUDIO, SCHOOL_CODE, "45元/人"):
        assert _squeeze(sentence) in text, sentence
    # Nothing of the on-site day: no pass, no calendar entry, no 20-yuan fee, no window.
    assert urls["pass"] not in html and urls["pass_calendar"] not in html
    assert "20元" not in text and "20 元" not in text
    assert 'id="door-pass"' not in html and "预估时段" not in text
    # The pass page itself says there is no on-site pass, and shows no QR code.
    pass_html = client.get(urls["pass"]).content.decode()
    assert urls["pass_qr"] not in pass_html
    assert "无需集中采集凭证" in _squeeze(page_text(pass_html))
    assert client.get(urls["pass_calendar"]).status_code == 404


def test_an_expected_student_sees_the_on_site_fee_and_no_offsite_fee(client, zhang):
    text = _text(client, _urls(zhang)["student"])
    assert "20元" in text and "45元" not in text


@pytest.mark.parametrize("status", ["absent", "offsite"])
def test_the_off_site_steps_fit_a_student_who_missed_the_day_and_one_registered_off_site(
    client, zhang, status
):
    # Both read "未能参加集中采集的同学…补拍" / "If you missed the on-campus session": wrong
    # for a student the counsellor registered off-site in advance, and the notice calls it
    # 分散采集, not 补拍 (补拍 is only the Hebei studio's own name in 四.1).
    Capture.objects.filter(pk=zhang.pk).update(status=status)
    for name in ("student", "pass"):
        text = _text(client, _urls(zhang)[name])
        assert "未能参加集中采集的同学" not in text, name
        assert "补拍" not in text.replace(_squeeze(STUDIO), ""), name
        assert "新华社图像采集中心" in text and "分散采集" in text, name
    client.cookies["django_language"] = "en"
    english = page_text(client.get(_urls(zhang)["student"]).content.decode())
    assert "If you missed" not in english


def test_the_public_off_site_page_is_not_called_a_retake(client, notice):
    text = _squeeze(page_text(client.get(reverse("offsite")).content.decode()))
    assert "补拍" not in text.replace(_squeeze(STUDIO), "")
    assert "未能参加集中采集的同学" not in text


@pytest.mark.parametrize("status", ["absent", "offsite", "exempt", "verified"])
def test_no_qr_code_for_a_student_with_no_pass(client, zhang, status):
    # The pass page shows no QR code to these students; its image URL gave one anyway.
    Capture.objects.filter(pk=zhang.pk).update(status=status)
    assert client.get(_urls(zhang)["pass_qr"]).status_code == 404


@pytest.mark.parametrize("status", ["expected", "arrived", "photographed"])
def test_the_qr_code_for_a_student_with_a_pass(client, zhang, status):
    Capture.objects.filter(pk=zhang.pk).update(status=status)
    response = client.get(_urls(zhang)["pass_qr"])
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
