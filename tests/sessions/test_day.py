"""The day: scans through HTTP, undo, replays, late uploads, shooting numbers, closing."""

import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import selectors, services
from sessions.models import Campaign, Capture, CaptureLog, CaptureSession, Station
from sessions.tokens import pass_token
from tests.conftest import analyze_after_bulk, device_actor, device_client
from tests.factories import CampaignFactory, CaptureFactory, StudentFactory
from units.models import TrainingUnit

S = Capture.Status


@pytest.fixture
def north(notice):
    return Station.objects.get(name="北门-1")


@pytest.fixture
def south(notice):
    return Station.objects.get(name="南门-1")


@pytest.fixture
def station(notice):
    """A paired device at 北门-1 of the notice's campaign."""
    return device_actor(notice)


@pytest.fixture
def devices(notice):
    """A paired device client per station, by station: scan(devices, north, …)."""
    made = {}

    def client_for(station):
        if station.pk not in made:
            made[station.pk] = device_client(station)
        return made[station.pk]

    return client_for


def scan(devices, station, code="", **extra):
    body = {"code": code, **extra}
    response = devices(station).post(
        reverse("station:scan"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_green_then_yellow_at_the_photographed_door(devices, student, north):
    first = scan(devices, north, "202201010001", key="key-0001")
    assert first["outcome"] == "green"
    assert first["message"] == "已采集 — 张三 · 法学院"
    again = scan(devices, north, "202201010001", key="key-0002")
    assert again["outcome"] == "yellow"
    at = timezone.localtime(Capture.objects.get().status_at).strftime("%H:%M")
    assert again["message"] == f"已采集：张三 · 法学院，{at} 于 北门-1"
    assert CaptureLog.objects.count() == 1


def test_arrival_by_pass_token_then_photographed(devices, student, north, south):
    token = pass_token(student.student_id, student.campaign_id)
    assert scan(devices, south, token)["outcome"] == "green"
    assert Capture.objects.get().status == S.ARRIVED
    assert scan(devices, south, token)["outcome"] == "yellow"
    assert scan(devices, north, token)["outcome"] == "green"
    late_arrival = scan(devices, south, token)
    assert late_arrival["outcome"] == "yellow" and "已采集" in late_arrival["message"]


def test_name_search_and_several_matches(devices, student, north, law, notice):
    assert scan(devices, north, "张三")["outcome"] == "green"
    twins = [
        Capture.objects.create(student=StudentFactory(name="李四", unit=law), campaign=notice)
        for _ in range(2)
    ]
    answer = scan(devices, north, "李 四")
    assert answer["outcome"] == "choose"
    assert {c["capture_id"] for c in answer["candidates"]} == {c.pk for c in twins}
    assert CaptureLog.objects.count() == 1  # choosing wrote nothing
    picked = scan(devices, north, capture_id=twins[1].pk, key="key-pick")
    assert picked["outcome"] == "green"
    assert Capture.objects.get(pk=twins[1].pk).status == S.PHOTOGRAPHED


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown", "209999999999"),
        ("unknown", "某某某"),
        ("unknown", "garbage:token"),
        ("empty", "   "),
    ],
)
def test_red_for_unknown(devices, student, north, case, code):
    answer = scan(devices, north, code)
    assert (answer["outcome"], answer["code"]) == ("red", case)
    assert not CaptureLog.objects.exists()


def test_red_for_another_campaign(devices, student, north):
    other = CaptureFactory(
        campaign=CampaignFactory(title="2024届"), student=StudentFactory(student_no="202101010001")
    )
    for code in (pass_token(other.student_id, other.campaign_id), "202101010001"):
        answer = scan(devices, north, code)
        assert (answer["outcome"], answer["code"]) == ("red", "other_campaign")
    assert not CaptureLog.objects.exists()


def test_red_when_not_allowed_from_status(devices, student, north):
    Capture.objects.update(status=S.OFFSITE)
    answer = scan(devices, north, "202201010001")
    assert (answer["outcome"], answer["code"]) == ("red", "not_allowed")
    assert "分散采集" in answer["message"]
    assert Capture.objects.get().status == S.OFFSITE


def test_red_when_campaign_closed(devices, student, north):
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    assert scan(devices, north, "202201010001")["code"] == "campaign_closed"


def test_attention_note_needs_confirmation(devices, student, north):
    Capture.objects.update(attention_note="学籍异动，优先拍摄")
    answer = scan(devices, north, "202201010001", key="key-a001")
    assert answer["outcome"] == "orange" and "学籍异动" in answer["message"]
    assert not CaptureLog.objects.exists()
    confirmed = scan(devices, north, capture_id=answer["capture_id"], confirm=True, key="key-a001")
    assert confirmed["outcome"] == "green"


def test_replayed_key_returns_the_first_answer(devices, student, north):
    first = scan(devices, north, "202201010001", key="same-key")
    replay = scan(devices, north, "202201010001", key="same-key")
    assert replay == first
    assert CaptureLog.objects.count() == 1


def test_late_upload_keeps_the_original_scan_time(devices, student, north):
    scanned = timezone.now() - dt.timedelta(minutes=17)
    answer = scan(devices, north, "202201010001", key="offline-1", occurred_at=scanned.isoformat())
    log = CaptureLog.objects.get(pk=answer["log_id"])
    assert abs((log.occurred_at - scanned).total_seconds()) < 0.001
    assert log.recorded_at - log.occurred_at > dt.timedelta(minutes=16)
    assert Capture.objects.get().status_at == log.occurred_at


def test_station_page_lists_no_roster(devices, student, north):
    scan(devices, north, "202201010001")
    html = devices(north).get(reverse("station:app")).content.decode()
    assert "张三" not in html and "202201010001" not in html


# --- undo --------------------------------------------------------------------------------


def _undo(devices, station, log_id):
    return devices(station).post(
        reverse("station:undo"), json.dumps({"log_id": log_id}), content_type="application/json"
    )


def test_undo_the_last_scan_once(devices, student, north, south):
    scan(devices, south, "202201010001")
    answer = scan(devices, north, "202201010001")
    first = _undo(devices, north, answer["log_id"])
    assert first.status_code == 200 and first.json()["status"] == S.ARRIVED
    second = _undo(devices, north, answer["log_id"])  # double click
    assert second.status_code == 200
    assert Capture.objects.get().status == S.ARRIVED
    assert CaptureLog.objects.filter(action="undo").count() == 1


def test_undo_refused_when_too_late_or_superseded(devices, student, north, south):
    answer = scan(devices, south, "202201010001")
    CaptureLog.objects.filter(pk=answer["log_id"]).update(
        recorded_at=timezone.now() - dt.timedelta(minutes=11)
    )
    late = _undo(devices, south, answer["log_id"])
    assert late.status_code == 409 and late.json()["code"] == "too_late"
    student2 = Capture.objects.create(
        student=StudentFactory(unit=student.student.unit), campaign=student.campaign
    )
    arrival = scan(devices, south, student2.student.student_no)
    scan(devices, north, student2.student.student_no)
    superseded = _undo(devices, south, arrival["log_id"])
    assert superseded.status_code == 409 and superseded.json()["code"] == "superseded"
    assert Capture.objects.get(pk=student2.pk).status == S.PHOTOGRAPHED


def test_undo_only_at_the_station_that_scanned(devices, student, north):
    answer = scan(devices, north, "202201010001")
    other = Station.objects.get(name="北门-2")
    assert _undo(devices, other, answer["log_id"]).status_code == 404
    assert Capture.objects.get().status == S.PHOTOGRAPHED


# --- shooting numbers -------------------------------------------------------------------------


def test_shooting_numbers_flag_gaps_repeats_and_order(devices, office_user, notice, law, north):
    numbers = ["101", "102", "102", "105", "104", "A7"]
    for i, number in enumerate(numbers):
        c = Capture.objects.create(student=StudentFactory(unit=law), campaign=notice)
        answer = scan(
            devices,
            north,
            c.student.student_no,
            occurred_at=(timezone.now() - dt.timedelta(minutes=30 - i)).isoformat(),
        )
        response = devices(north).post(
            reverse("station:shooting_no"),
            json.dumps({"log_id": answer["log_id"], "shooting_no": number}),
            content_type="application/json",
        )
        assert response.json()["ok"]
    check = selectors.shooting_numbers(CaptureSession.objects.get())
    assert [e["number"] for e in check.entries] == numbers
    assert [e["flags"] for e in check.entries] == [
        [],
        ["repeat"],
        ["repeat"],
        [],
        ["order"],
        ["text"],
    ]
    assert (check.gaps, check.missing) == ([(103, 103)], 1)
    client = devices(north)
    client.force_login(office_user)
    session = CaptureSession.objects.get()
    html = client.get(reverse("staff:shooting_numbers", args=[session.pk])).content
    assert "缺 1 个号：\n  103" in html.decode()
    from openpyxl import load_workbook

    response = client.get(reverse("staff:shooting_numbers_xlsx", args=[session.pk]))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [ws.cell(r, 1).value for r in range(2, 8)] == numbers
    assert ws.cell(3, 7).value == "重复"


def test_shooting_number_needs_a_photographed_student(station, student, north):
    with pytest.raises(DomainError) as err:
        services.capture_set_shooting_no(
            actor=station, capture_id=student.pk, shooting_no="1", station=north.name
        )
    assert err.value.code == "not_allowed"


# --- closing ------------------------------------------------------------------------------------


def _after_end():
    return timezone.make_aware(dt.datetime(2024, 3, 11, 16, 5))


def test_close_session_marks_everyone_left_absent(office, notice, law, north, station):
    caps = [
        Capture.objects.create(student=StudentFactory(unit=law), campaign=notice) for _ in range(4)
    ]
    services.capture_photograph(actor=station, capture_id=caps[0].pk)
    services.capture_arrive(actor=station, capture_id=caps[1].pk)
    session = CaptureSession.objects.get()
    with pytest.raises(DomainError) as err:
        services.session_close(
            actor=office,
            session_id=session.pk,
            now=timezone.make_aware(dt.datetime(2024, 3, 11, 15, 0)),
        )
    assert err.value.code == "not_ended"
    assert services.session_close(actor=office, session_id=session.pk, now=_after_end()) == 3
    assert list(Capture.objects.order_by("pk").values_list("status", flat=True)) == [
        S.PHOTOGRAPHED,
        S.ABSENT,
        S.ABSENT,
        S.ABSENT,
    ]
    assert CaptureLog.objects.filter(action="mark_absent").count() == 3
    assert services.session_close(actor=office, session_id=session.pk, now=_after_end()) == 0


def test_close_session_is_office_only(station, counsellor, notice):
    session = CaptureSession.objects.get()
    for actor in (station, counsellor):
        with pytest.raises(DomainError) as err:
            services.session_close(actor=actor, session_id=session.pk, now=_after_end())
        assert err.value.code == "forbidden"


def test_close_page_confirms_counts_then_absentees_go_offsite(
    client, office_user, notice, law, monkeypatch
):
    for _ in range(3):
        Capture.objects.create(student=StudentFactory(unit=law), campaign=notice)
    client.force_login(office_user)
    session = CaptureSession.objects.get()
    html = client.get(reverse("staff:close_session", args=[session.pk])).content.decode()
    assert '<strong id="to-absent">3</strong>' in html
    monkeypatch.setattr(timezone, "now", _after_end)
    response = client.post(reverse("staff:close_session", args=[session.pk]), follow=True)
    assert "3 名学生记为缺席" in response.content.decode()
    response = client.post(
        reverse("staff:absentees"), {"unit_id": law.pk, "reason": "缺席"}, follow=True
    )
    assert "已将 3 名缺席学生转为分散采集" in response.content.decode()
    assert Capture.objects.filter(status=S.OFFSITE).count() == 3


# --- board and dashboard ------------------------------------------------------------------------


def test_board_json_shows_counts_and_no_personal_data(client, student, station, north):
    services.capture_photograph(actor=station, capture_id=student.pk)
    response = client.get(reverse("board_json"))
    assert response.status_code == 200
    data = response.json()
    body = response.content.decode()
    assert "张三" not in body and "202201010001" not in body
    law = next(u for u in data["units"] if u["name"] == "法学院")
    assert (law["done"], law["total"]) == (1, 1)
    assert data["overall"] == {"done": 1, "total": 1}
    # Not the day of the session: the current window is the first with students left, and
    # here everyone is done.
    assert data["current"] is None


def test_board_page_is_public_and_nameless(client, student):
    html = client.get(reverse("board")).content.decode()
    session = CaptureSession.objects.get()
    # The single session's board, polling that session's own data.
    assert "张三" not in html and f'data-url="/board/{session.pk}/data.json"' in html


def test_board_current_window_follows_the_clock_on_the_day(notice):
    session = CaptureSession.objects.get()
    at = timezone.make_aware(dt.datetime(2024, 3, 11, 14, 10))
    data = selectors.board_data(session, now=at)
    assert data["current"]["start"] == "14:00"
    assert data["current"]["units"] == ["公共管理学院", "新闻与文化传播学院", "经济学院"]
    assert data["next"]["units"] == ["会计学院", "统计与数学学院", "金融学院"]


def test_board_shows_no_current_window_on_another_day(notice, student):
    # "正在拍摄 13:20–14:00" on the day before (or after) would send people to the door.
    session = CaptureSession.objects.get()
    assert selectors.session_progress(session, now=timezone.now()).current is not None
    for day in (dt.datetime(2024, 3, 10, 13, 30), dt.datetime(2024, 3, 12, 13, 30)):
        data = selectors.board_data(session, now=timezone.make_aware(day))
        assert data["current"] is None
        assert data["next"] is None
        assert data["units"]  # the progress per unit is still shown


def test_dashboard_shows_counts_and_who_has_not_arrived(client, office_user, student, notice, law):
    Capture.objects.create(
        student=StudentFactory(unit=law, name="王五", phone="13700000000"),
        campaign=notice,
        status=S.PHOTOGRAPHED,
    )
    client.force_login(office_user)
    html = client.get(reverse("staff:live", args=[CaptureSession.objects.get().pk])).content
    html = html.decode()
    assert '<span class="n" id="photographed">1</span> / 2' in html
    assert "张三" in html  # not arrived yet: listed for the coordinators to phone
    assert "王五" not in html


def _roster(n, notice):
    from units.models import Student

    units = list(TrainingUnit.objects.all())
    students = Student.objects.bulk_create(
        Student(student_no=f"2022{i:08d}", name=f"学生{i}", unit=units[i % len(units)], cohort=2025)
        for i in range(n)
    )
    Capture.objects.bulk_create(Capture(student=s, campaign=notice) for s in students)
    analyze_after_bulk()


@pytest.mark.parametrize("size", [100, 10_000])
def test_query_counts_do_not_grow_with_the_roster(
    client, devices, office_user, notice, north, size, django_assert_num_queries
):
    _roster(size, notice)
    session = CaptureSession.objects.get()
    devices(north)  # paired before counting
    with django_assert_num_queries(QUERIES["scan"][connection.vendor]):
        assert scan(devices, north, "202200000007", key=f"q-{size:08d}")["outcome"] == "green"
    with django_assert_num_queries(QUERIES["board"]):
        client.get(reverse("board_json"))
    client.force_login(office_user)
    with django_assert_num_queries(QUERIES["live"]):
        client.get(reverse("staff:live", args=[session.pk]))


# Measured once and fixed here: the test above asserts them for 100 and for 10,000 students.
# A scan: the device with its station, session and campaign (authentication); the student's
# capture read under its lock; the status change; its log row. The test runs inside a
# transaction, so the scan's own is a savepoint (SAVEPOINT and RELEASE are counted here);
# test_station_api counts a scan as in production. The board's 6th query (was 5 before
# announcements): the live announcements (sessions.announcements.live_announcements).
# The dashboard's 14th: its chart's photographed-per-minute timeline (one aggregate).
QUERIES = {"scan": {"sqlite": 6, "postgresql": 6}, "board": 6, "live": 14}


def test_station_api_needs_a_paired_device(client, counsellor_user, office_user, north):
    for user in (None, counsellor_user, office_user):
        if user:
            client.force_login(user)
        assert client.post(reverse("station:scan"), {"code": "x"}).status_code == 401
        assert client.get(reverse("station:status")).status_code == 401


def test_scan_service_refuses_people_and_links(counsellor, office, student, north):
    for actor in (counsellor, office, Actor.coordinator_link(1)):
        with pytest.raises(DomainError) as err:
            services.scan_record(actor=actor, code="202201010001")
        assert err.value.code == "forbidden"
