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
from tests.factories import CampaignFactory, CaptureFactory, StudentFactory
from units.models import TrainingUnit

S = Capture.Status


@pytest.fixture
def law(notice):
    return TrainingUnit.objects.get(name="法学院")


@pytest.fixture
def student(notice, law):
    s = StudentFactory(student_no="202201010001", name="张三", unit=law)
    return Capture.objects.create(student=s, campaign=notice)


@pytest.fixture
def north(notice):
    return Station.objects.get(name="北门-1")


@pytest.fixture
def south(notice):
    return Station.objects.get(name="南门-1")


@pytest.fixture
def station_client(client, station_user):
    client.force_login(station_user)
    return client


def scan(client, station, code="", **extra):
    body = {"code": code, **extra}
    response = client.post(
        reverse("station:scan", args=[station.pk]),
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_green_then_yellow_at_the_photographed_door(station_client, student, north):
    first = scan(station_client, north, "202201010001", key="k1")
    assert first["outcome"] == "green"
    assert first["message"] == "已采集 — 张三 · 法学院"
    again = scan(station_client, north, "202201010001", key="k2")
    assert again["outcome"] == "yellow"
    at = timezone.localtime(Capture.objects.get().status_at).strftime("%H:%M")
    assert again["message"] == f"已采集：张三 · 法学院，{at} 于 北门-1"
    assert CaptureLog.objects.count() == 1


def test_arrival_by_pass_token_then_photographed(station_client, student, north, south):
    token = pass_token(student.student_id, student.campaign_id)
    assert scan(station_client, south, token)["outcome"] == "green"
    assert Capture.objects.get().status == S.ARRIVED
    assert scan(station_client, south, token)["outcome"] == "yellow"
    assert scan(station_client, north, token)["outcome"] == "green"
    late_arrival = scan(station_client, south, token)
    assert late_arrival["outcome"] == "yellow" and "已采集" in late_arrival["message"]


def test_name_search_and_several_matches(station_client, student, north, law, notice):
    assert scan(station_client, north, "张三")["outcome"] == "green"
    twins = [
        Capture.objects.create(student=StudentFactory(name="李四", unit=law), campaign=notice)
        for _ in range(2)
    ]
    answer = scan(station_client, north, "李 四")
    assert answer["outcome"] == "choose"
    assert {c["capture_id"] for c in answer["candidates"]} == {c.pk for c in twins}
    assert CaptureLog.objects.count() == 1  # choosing wrote nothing
    picked = scan(station_client, north, capture_id=twins[1].pk, key="pick")
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
def test_red_for_unknown(station_client, student, north, case, code):
    answer = scan(station_client, north, code)
    assert (answer["outcome"], answer["code"]) == ("red", case)
    assert not CaptureLog.objects.exists()


def test_red_for_another_campaign(station_client, student, north):
    other = CaptureFactory(
        campaign=CampaignFactory(title="2024届"), student=StudentFactory(student_no="202101010001")
    )
    for code in (pass_token(other.student_id, other.campaign_id), "202101010001"):
        answer = scan(station_client, north, code)
        assert (answer["outcome"], answer["code"]) == ("red", "other_campaign")
    assert not CaptureLog.objects.exists()


def test_red_when_not_allowed_from_status(station_client, student, north):
    Capture.objects.update(status=S.OFFSITE)
    answer = scan(station_client, north, "202201010001")
    assert (answer["outcome"], answer["code"]) == ("red", "not_allowed")
    assert "分散采集" in answer["message"]
    assert Capture.objects.get().status == S.OFFSITE


def test_red_when_campaign_closed(station_client, student, north):
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    assert scan(station_client, north, "202201010001")["code"] == "campaign_closed"


def test_attention_note_needs_confirmation(station_client, student, north):
    Capture.objects.update(attention_note="学籍异动，优先拍摄")
    answer = scan(station_client, north, "202201010001", key="a1")
    assert answer["outcome"] == "orange" and "学籍异动" in answer["message"]
    assert not CaptureLog.objects.exists()
    confirmed = scan(station_client, north, capture_id=answer["capture_id"], confirm=True, key="a1")
    assert confirmed["outcome"] == "green"


def test_replayed_key_returns_the_first_answer(station_client, student, north):
    first = scan(station_client, north, "202201010001", key="same-key")
    replay = scan(station_client, north, "202201010001", key="same-key")
    assert replay == first
    assert CaptureLog.objects.count() == 1


def test_late_upload_keeps_the_original_scan_time(station_client, student, north):
    scanned = timezone.now() - dt.timedelta(minutes=17)
    answer = scan(
        station_client, north, "202201010001", key="offline-1", occurred_at=scanned.isoformat()
    )
    log = CaptureLog.objects.get(pk=answer["log_id"])
    assert abs((log.occurred_at - scanned).total_seconds()) < 0.001
    assert log.recorded_at - log.occurred_at > dt.timedelta(minutes=16)
    assert Capture.objects.get().status_at == log.occurred_at


def test_future_scan_time_is_clamped(station_client, student, north):
    future = timezone.now() + dt.timedelta(hours=3)
    answer = scan(station_client, north, "202201010001", occurred_at=future.isoformat())
    assert CaptureLog.objects.get(pk=answer["log_id"]).occurred_at < future


def test_plain_form_without_javascript(station_client, student, north):
    response = station_client.post(
        reverse("station:scan", args=[north.pk]), {"code": "202201010001"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "answer-green" in html and "已采集 — 张三 · 法学院" in html


def test_station_page_lists_no_roster(station_client, student, north):
    html = station_client.get(reverse("station:screen", args=[north.pk])).content.decode()
    assert "张三" not in html and "202201010001" not in html


# --- undo --------------------------------------------------------------------------------


def _undo(client, station, log_id):
    return client.post(
        reverse("station:undo", args=[station.pk]),
        json.dumps({"log_id": log_id}),
        content_type="application/json",
    )


def test_undo_the_last_scan_once(station_client, student, north):
    answer = scan(station_client, north, "202201010001")
    first = _undo(station_client, north, answer["log_id"])
    assert first.status_code == 200 and first.json()["status"] == S.ARRIVED
    second = _undo(station_client, north, answer["log_id"])  # double click
    assert second.status_code == 200
    assert Capture.objects.get().status == S.ARRIVED
    assert CaptureLog.objects.filter(action="undo").count() == 1


def test_undo_refused_when_too_late_or_superseded(station_client, student, north, south):
    answer = scan(station_client, south, "202201010001")
    CaptureLog.objects.filter(pk=answer["log_id"]).update(
        recorded_at=timezone.now() - dt.timedelta(minutes=11)
    )
    late = _undo(station_client, south, answer["log_id"])
    assert late.status_code == 409 and late.json()["code"] == "too_late"
    student2 = Capture.objects.create(
        student=StudentFactory(unit=student.student.unit), campaign=student.campaign
    )
    arrival = scan(station_client, south, student2.student.student_no)
    scan(station_client, north, student2.student.student_no)
    superseded = _undo(station_client, south, arrival["log_id"])
    assert superseded.status_code == 409 and superseded.json()["code"] == "superseded"
    assert Capture.objects.get(pk=student2.pk).status == S.PHOTOGRAPHED


def test_undo_only_at_the_station_that_scanned(station_client, student, north):
    answer = scan(station_client, north, "202201010001")
    other = Station.objects.get(name="北门-2")
    assert _undo(station_client, other, answer["log_id"]).status_code == 409
    assert Capture.objects.get().status == S.PHOTOGRAPHED


# --- shooting numbers -------------------------------------------------------------------------


def test_shooting_numbers_flag_gaps_repeats_and_order(
    station_client, office_user, notice, law, north
):
    numbers = ["101", "102", "102", "105", "104", "A7"]
    captures = []
    for i, number in enumerate(numbers):
        c = Capture.objects.create(student=StudentFactory(unit=law), campaign=notice)
        scan(
            station_client,
            north,
            c.student.student_no,
            occurred_at=(timezone.now() - dt.timedelta(minutes=30 - i)).isoformat(),
        )
        response = station_client.post(
            reverse("station:shooting_no", args=[north.pk]),
            json.dumps({"capture_id": c.pk, "shooting_no": number}),
            content_type="application/json",
        )
        assert response.json()["ok"]
        captures.append(c)
    entries, gaps = selectors.shooting_numbers(CaptureSession.objects.get())
    assert [e["number"] for e in entries] == numbers
    assert [e["flags"] for e in entries] == [[], ["repeat"], ["repeat"], [], ["order"], ["text"]]
    assert gaps == [103]
    station_client.force_login(office_user)
    session = CaptureSession.objects.get()
    html = station_client.get(reverse("staff:shooting_numbers", args=[session.pk])).content
    assert "缺号：103" in html.decode()
    from openpyxl import load_workbook

    response = station_client.get(reverse("staff:shooting_numbers_xlsx", args=[session.pk]))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [ws.cell(r, 1).value for r in range(2, 8)] == numbers
    assert ws.cell(3, 7).value == "重复"


def test_shooting_number_needs_a_photographed_student(station, student, north):
    with pytest.raises(DomainError) as err:
        services.capture_set_shooting_no(
            actor=station, station_id=north.pk, capture_id=student.pk, shooting_no="1"
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
    assert "张三" not in html and 'data-url="/board.json"' in html


def test_board_current_window_follows_the_clock_on_the_day(notice):
    session = CaptureSession.objects.get()
    at = timezone.make_aware(dt.datetime(2024, 3, 11, 14, 10))
    data = selectors.board_data(session, now=at)
    assert data["current"]["start"] == "14:00"
    assert data["current"]["units"] == ["公共管理学院", "新闻与文化传播学院", "经济学院"]
    assert data["next"]["units"] == ["会计学院", "统计与数学学院", "金融学院"]


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


@pytest.mark.parametrize("size", [100, 10_000])
def test_query_counts_do_not_grow_with_the_roster(
    client, station_user, office_user, notice, north, size, django_assert_num_queries
):
    _roster(size, notice)
    session = CaptureSession.objects.get()
    client.force_login(station_user)
    with django_assert_num_queries(QUERIES["scan"][connection.vendor]):
        assert scan(client, north, "202200000007", key=f"q-{size}")["outcome"] == "green"
    with django_assert_num_queries(QUERIES["board"]):
        client.get(reverse("board_json"))
    client.force_login(office_user)
    with django_assert_num_queries(QUERIES["live"]):
        client.get(reverse("staff:live", args=[session.pk]))


# Measured once and fixed here: the test above asserts them for 100 and for 10,000 students.
# A scan: the session, the user with their roles, the station with the student, then the
# status change and its log row (one statement on PostgreSQL, two on SQLite), inside a
# savepoint here because the test runs in a transaction.
QUERIES = {"scan": {"sqlite": 7, "postgresql": 6}, "board": 6, "live": 9}


def test_station_needs_a_station_account(client, counsellor_user, north):
    assert client.get(reverse("station:list")).status_code == 302
    client.force_login(counsellor_user)
    assert client.get(reverse("station:screen", args=[north.pk])).status_code == 403
    assert client.post(reverse("station:scan", args=[north.pk]), {"code": "x"}).status_code == 403


def test_scan_service_refuses_non_station_actor(counsellor, student, north):
    with pytest.raises(DomainError) as err:
        services.scan_record(actor=counsellor, station_id=north.pk, code="202201010001")
    assert err.value.code == "forbidden"


def test_coordinator_link_actor_cannot_scan(student, north):
    with pytest.raises(DomainError):
        services.scan_record(actor=Actor.coordinator_link(1), station_id=north.pk, code="x")
