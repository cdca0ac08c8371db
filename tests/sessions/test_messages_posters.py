"""Ready-to-send group messages on the unit and coordinator pages, and the door poster."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from sessions import services
from sessions.messages import unit_messages
from sessions.models import Campaign, Capture, CaptureSession, Coordinator, SlotUnit, TimeSlot
from tests.factories import MembershipFactory, UserFactory
from units.models import Student, TrainingUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def law(notice):
    unit = TrainingUnit.objects.get(name="法学院")
    for position, (name, phone) in enumerate(
        [("张负责", "13800000001"), ("李负责", "13800000002")], start=1
    ):
        Coordinator.objects.create(
            campaign=notice,
            unit=unit,
            position=position,
            name=name,
            phone=phone,
            registered_at=timezone.now(),
        )
    return unit


@pytest.fixture
def counsellor_client(client, law):
    user = MembershipFactory(user=UserFactory(username="couns-law"), unit=law).user
    client.force_login(user)
    return client


def _window(unit):
    su = SlotUnit.objects.select_related("slot").get(unit=unit)
    return f"{su.slot.start:%H:%M}–{su.slot.end:%H:%M}"


def _other_window(unit):
    """A window of the session that is not the unit's."""
    own = SlotUnit.objects.get(unit=unit).slot_id
    slot = TimeSlot.objects.exclude(pk=own).order_by("start").first()
    return f"{slot.start:%H:%M}–{slot.end:%H:%M}"


def _texts(response):
    return {m.key: m for m in response.context["group_messages"]}


def _assert_group_message(message, unit):
    zh, en = message.zh, message.en
    assert _window(unit) in zh and _window(unit) in en
    assert "2024年3月11日（星期一）" in zh and "Monday, 11 March 2024" in en
    assert "第一教学楼一楼" in zh
    assert "南门进" in zh and "北门出" in zh and "Enter by the south door" in en
    assert "20 元" in zh and "20 yuan" in en
    assert "学信网图像采集码" in zh and "8张小二寸" in zh
    assert "张负责 13800000001" in zh and "李负责 13800000002" in zh
    assert "http://testserver/lookup/" in zh and "http://testserver/lookup/" in en
    assert _other_window(unit) not in zh + en


def test_group_message_says_the_fee_goes_to_the_coordinators_in_advance(notice, law):
    # It said "拍摄时当场缴纳" / "paid on the spot": per the notice (三.3.(4)) the
    # coordinators collect the fee beforehand and hand it to the Xinhua staff on the day.
    [group] = unit_messages(law, notice, "http://x")
    assert "当场缴纳" not in group.zh and "on the spot" not in group.en
    assert "提前交本单位负责人" in group.zh and "新华社河北图像采集中心" in group.zh
    assert "in advance" in group.en and "unit coordinators" in group.en
    assert notice.capture_centre_en in group.en


def test_group_message_says_the_window_is_an_estimate(notice, law):
    # Annex 1 is "预估时间表（以实际时间为准）": the message gave the window as a promise.
    [group] = unit_messages(law, notice, "http://x")
    assert "预估" in group.zh and "以实际时间为准" in group.zh
    assert "estimated" in group.en and "actual time" in group.en


def test_english_dates_have_the_comma_after_the_weekday(notice, law):
    Campaign.objects.update(confirmation_deadline=dt.date(2024, 5, 20))
    notice.refresh_from_db()
    group, chsi = unit_messages(law, notice, "http://x")
    assert "Monday, 11 March 2024" in group.en and "Monday 11" not in group.en
    assert "by Monday, 20 May 2024" in chsi.en


def test_unit_page_message_has_the_units_own_window(counsellor_client, law):
    response = counsellor_client.get(reverse("unit:detail", args=[law.pk]))
    assert response.status_code == 200
    messages = _texts(response)
    assert list(messages) == ["group"]
    _assert_group_message(messages["group"], law)
    body = response.content.decode()
    assert 'id="message-group-zh"' in body and "<textarea" in body and "js/copy.js" in body


def test_coordinator_page_message_has_the_units_own_window(client, notice, law):
    token = services.coordinator_link_rotate(
        actor=Actor.system(), campaign_id=notice.pk, unit_id=law.pk
    )
    response = client.get(reverse("payments:coordinator", args=[token]))
    assert response.status_code == 200
    _assert_group_message(_texts(response)["group"], law)
    assert "js/copy.js" in response.content.decode()


def test_a_split_unit_gets_both_windows(notice, law):
    first = CaptureSession.objects.get(campaign=notice)
    second = CaptureSession.objects.create(
        campaign=notice,
        date=first.date + dt.timedelta(days=1),
        start=dt.time(9, 0),
        end=dt.time(11, 0),
        campus="东校区",
        place="体育馆",
        entry_door="东门",
        exit_door="西门",
        schedule_published=True,
    )
    slot = TimeSlot.objects.create(session=second, start=dt.time(9, 10), end=dt.time(9, 50))
    SlotUnit.objects.filter(unit=law).update(split_by="level", split_values=["master"])
    SlotUnit.objects.create(
        session=second, slot=slot, unit=law, split_by="level", split_values=["doctor"]
    )
    [group] = unit_messages(law, notice, "https://photo.example.edu")
    assert "09:10–09:50" in group.zh and "09:10–09:50" in group.en
    assert "2024年3月12日" in group.zh and "东校区 体育馆" in group.zh and "东门进" in group.zh
    assert "https://photo.example.edu/lookup/" in group.zh
    first_window = SlotUnit.objects.select_related("slot").get(unit=law, session=first).slot
    assert f"{first_window.start:%H:%M}–{first_window.end:%H:%M}" in group.zh


def test_after_the_session_closed_the_absentee_message(counsellor_client, notice, law):
    CaptureSession.objects.filter(campaign=notice).update(closed_at=timezone.now())
    response = counsellor_client.get(reverse("unit:detail", args=[law.pk]))
    messages = _texts(response)
    assert "group" not in messages
    absentees = messages["absentees"]
    assert "45 元" in absentees.zh and "45 yuan" in absentees.en
    assert "富强大街怀特商业街东91号" in absentees.zh
    assert notice.offsite_studio_address_en in absentees.en
    assert "chsi" not in messages


def test_with_confirmation_dates_the_chsi_message(counsellor_client, notice, law):
    Campaign.objects.update(
        confirmation_opens=dt.date(2024, 5, 6), confirmation_deadline=dt.date(2024, 5, 20)
    )
    messages = _texts(counsellor_client.get(reverse("unit:detail", args=[law.pk])))
    chsi = messages["chsi"]
    assert "2024年5月6日" in chsi.zh and "2024年5月20日" in chsi.zh
    assert "20 May 2024" in chsi.en and "二办106" in chsi.zh


def test_the_chinese_message_stays_chinese_on_an_english_page(notice, law):
    from django.utils.translation import override

    with override("en"):
        [group] = unit_messages(law, notice, "http://x")
    assert "采集码" in group.zh and "Bring" in group.en


def test_the_english_message_uses_the_english_notice_texts(notice, law):
    # The English group message carried the Chinese unit, place and doors, said "In this
    # province" for the Hebei studio and gave the school code without the school's name.
    CaptureSession.objects.filter(campaign=notice).update(closed_at=None)
    [group] = unit_messages(law, notice, "http://x")
    session = CaptureSession.objects.get(campaign=notice)
    assert law.name_en and law.name_en in group.en and law.name not in group.en
    assert session.place_en in group.en and session.place not in group.en
    assert f"Enter by the {session.entry_door_en}" in group.en
    CaptureSession.objects.filter(campaign=notice).update(closed_at=timezone.now())
    absentees = {m.key: m for m in _messages_after(notice, law)}["absentees"]
    assert "本省" not in absentees.zh and "河北" in absentees.zh
    assert "province" not in absentees.en and "Hebei" in absentees.en
    assert "河北经贸大学" in absentees.zh and notice.school_name_en in absentees.en


def _messages_after(notice, law):
    from sessions.messages import unit_messages as all_messages

    return all_messages(law, notice, "http://x")


def test_poster_has_the_schedule_and_a_qr(client, office_user, notice):
    session = CaptureSession.objects.get(campaign=notice)
    client.force_login(office_user)
    response = client.get(reverse("staff:poster", args=[session.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="lookup-qr"' in body and 'src="data:image/png;base64,' in body
    assert "http://testserver/lookup/" in body
    assert "南门进" in body and "第一教学楼一楼" in body and "学信网图像采集码" in body
    for su in SlotUnit.objects.filter(session=session).select_related("unit", "slot"):
        assert su.unit.name in body
        assert f"{su.slot.start:%H:%M}–{su.slot.end:%H:%M}" in body  # its card
    assert body.count('class="poster-card"') == SlotUnit.objects.filter(session=session).count()
    assert "js/print.js" in body
    # The fee goes to the unit's coordinators beforehand (notice 三.3.(4)), not "on the spot".
    assert "提前交本单位负责人" in body and "当场缴纳" not in body


def test_poster_is_office_only(client, notice, law):
    session = CaptureSession.objects.get(campaign=notice)
    client.force_login(MembershipFactory(user=UserFactory(), unit=law).user)
    assert client.get(reverse("staff:poster", args=[session.pk])).status_code == 403


def _add_students(campaign, start, n):
    units = list(TrainingUnit.objects.order_by("pk"))
    students = Student.objects.bulk_create(
        Student(student_no=f"2022{i:08d}", name=f"学生{i}", unit=units[i % len(units)], cohort=2025)
        for i in range(start, start + n)
    )
    Capture.objects.bulk_create(Capture(student=s, campaign=campaign) for s in students)


def _poster_queries(client, session):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("staff:poster", args=[session.pk])).status_code == 200
    return len(queries)


def test_poster_query_count_does_not_grow_with_the_roster(client, office_user, notice):
    session = CaptureSession.objects.get(campaign=notice)
    client.force_login(office_user)
    _add_students(notice, 0, 100)
    small = _poster_queries(client, session)
    _add_students(notice, 100, 1900)
    assert _poster_queries(client, session) == small


def _visible_text(body):
    import re

    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r'src="data:[^"]*"', "", body)
    return re.sub(r"<[^>]+>", " ", body)


def test_poster_and_cards_render_in_english_when_the_language_is_english(
    client, office_user, notice
):
    """The language switch's cookie makes the poster English: every text through the
    translation, the data texts' English twins where the office typed them."""
    import re

    session = CaptureSession.objects.get(campaign=notice)
    CaptureSession.objects.filter(pk=session.pk).update(
        campus="主校区",
        campus_en="Main campus",
        place_en="Hall A",
        entry_door_en="East gate",
        exit_door_en="West gate",
    )
    Campaign.objects.filter(pk=notice.pk).update(print_spec_en="8 small prints")
    for unit in TrainingUnit.objects.all():
        unit.name_en = f"Unit {unit.pk}"
        unit.save(update_fields=["name_en"])
    client.force_login(office_user)
    url = reverse("staff:poster", args=[session.pk])
    zh = client.get(url).content.decode()
    assert 'class="lang-switch' in zh  # the switch is on the poster's screen view
    client.post(reverse("set_language"), {"language": "en", "next": url})
    body = client.get(url).content.decode()
    assert '<html lang="en">' in body
    text = _visible_text(body).replace("简体中文", "")  # the switch names Chinese in Chinese
    assert not re.findall(r"[\u3000-\u9fff\uff00-\uffef]", text), re.findall(
        r"\S*[\u3000-\u9fff\uff00-\uffef]\S*", text
    )
    assert "Graduate photo capture" in text and "Please bring" in text
    assert "Main campus · Hall A" in text and "East gate" in text and "West gate" in text
    assert "8 small prints" in text
    placements = SlotUnit.objects.filter(session=session).select_related("unit", "slot")
    for su in placements:
        # The schedule and its card.
        assert len(re.findall(rf"\bUnit {su.unit.pk}\b", text)) == 2
    assert body.count('class="poster-card"') == placements.count()


def test_poster_data_texts_without_english_stay_as_typed(client, office_user, notice):
    session = CaptureSession.objects.get(campaign=notice)
    CaptureSession.objects.filter(pk=session.pk).update(place_en="", entry_door_en="")
    client.force_login(office_user)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("staff:poster", args=[session.pk])).content.decode()
    assert "Please bring" in body
    assert session.place in body and session.entry_door in body
