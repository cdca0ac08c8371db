"""The station API under the faults found at the doors: bad times, malformed bodies, reused
keys, names typed another way, shooting numbers, and how many statements a scan costs.

Each test here failed on the code before the device API (commit 9a255c0), where the same
request was sent to /station/<id>/scan/ by a signed-in station account.
"""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sessions import selectors
from sessions.models import Capture, CaptureLog, CaptureSession, Station
from tests.conftest import device_client
from tests.factories import StudentFactory
from units.models import Student

S = Capture.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def today(notice):
    """The notice's session moved to today, so that "the session's day" is now."""
    CaptureSession.objects.update(date=timezone.localdate())
    return notice


@pytest.fixture
def north(notice):
    return device_client(Station.objects.get(name="北门-1"))


@pytest.fixture
def north2(notice):
    return device_client(Station.objects.get(name="北门-2"))


def post(client, name, body, raw=False):
    data = body if raw else json.dumps(body)
    return client.post(reverse(name), data, content_type="application/json")


# --- timestamps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp",
    [
        "0001-01-01T00:00:00+14:00",  # once stored as a BC date that PostgreSQL cannot return
        "year-ago",
        "future",
        "2026-11-30T10:00:00",  # no time zone
        "2026-13-45T99:99:99+08:00",
        "9999-12-31T23:59:59-14:00",
        12345,
        ["2026-11-30T10:00:00+08:00"],
    ],
)
def test_scan_times_outside_the_session_day_are_refused_and_store_nothing(
    today, student, north, stamp
):
    if stamp == "year-ago":
        stamp = (timezone.now() - dt.timedelta(days=365)).isoformat()
    elif stamp == "future":
        stamp = (timezone.now() + dt.timedelta(minutes=6)).isoformat()
    response = post(north, "station:scan", {"code": "202201010001", "occurred_at": stamp})
    assert response.status_code == 400, response.content
    assert response.json()["message"]
    assert not CaptureLog.objects.exists()
    assert Capture.objects.get().status == S.EXPECTED


def test_scan_times_within_the_day_and_a_little_clock_skew_are_kept(today, student, north):
    ahead = timezone.now() + dt.timedelta(minutes=4)
    response = post(
        north,
        "station:scan",
        {"code": "202201010001", "occurred_at": ahead.isoformat(), "key": "skew-0001"},
    )
    assert response.json()["outcome"] == "green"
    assert CaptureLog.objects.get().occurred_at == ahead


def test_a_scan_from_before_the_session_day_is_refused(today, student, north):
    yesterday = timezone.localtime() - dt.timedelta(days=1)
    response = post(
        north, "station:scan", {"code": "202201010001", "occurred_at": yesterday.isoformat()}
    )
    assert response.status_code == 400 and response.json()["code"] == "bad_time"


# --- no 5xx from bad input ------------------------------------------------------------------

BAD_BODIES = [
    b"",
    b"not json",
    b"{",
    b"[1, 2]",
    b'"a string"',
    b"null",
    b'{"code": "2022\\u00000001"}',  # NUL: PostgreSQL text cannot hold it
    b'{"code": "' + b"9" * 100_000 + b'"}',
    b'{"code": {"nested": 1}}',
    b'{"code": ["2022"]}',
    b'{"capture_id": 1000000000000000000000000000000}',
    b'{"capture_id": 1e400}',
    b'{"capture_id": -5}',
    b'{"capture_id": true}',
    b'{"capture_id": "12abc"}',
    b'{"log_id": 99999999999999999999999}',
    b'{"log_id": "x"}',
    b'{"key": "' + b"k" * 500 + b'"}',
    b'{"key": "srv:undo:1"}',
    b'{"key": 12345678}',
    b'{"station": "north"}',
    b'{"station": 1e999}',
    b'{"occurred_at": "2026-02-30T10:00:00+08:00"}',
    b'{"occurred_at": "\\u0000"}',
    b'{"shooting_no": "\\u0000"}',
    b'{"shooting_no": "' + b"1" * 1000 + b'"}',
    b'{"confirm": "yes", "code": "202201010001"}',
    '{"code": "\ud800"}'.encode("utf-8", "surrogatepass"),  # invalid UTF-8
    b"\xff\xfe\x00{",
]


@pytest.mark.parametrize("name", ["station:scan", "station:undo", "station:shooting_no"])
def test_malformed_bodies_get_a_4xx_never_a_5xx(today, student, north, name):
    north.raise_request_exception = False
    statuses = {}
    for body in BAD_BODIES:
        response = post(north, name, body, raw=True)
        statuses[body[:40]] = response.status_code
    server_errors = {body: status for body, status in statuses.items() if status >= 500}
    assert server_errors == {}
    assert Capture.objects.get().status in (S.EXPECTED, S.PHOTOGRAPHED)


def test_malformed_authorization_headers_get_401():
    for header in ["", "Device", "Device ", "Token abc", "Device " + "x" * 5000, "Device \x00"]:
        client = Client(HTTP_AUTHORIZATION=header)
        assert client.post(reverse("station:scan"), "{}", content_type="application/json")
        response = client.get(reverse("station:status"))
        assert response.status_code == 401, header


# --- idempotency keys -------------------------------------------------------------------------


def test_a_key_reused_for_another_student_is_a_conflict(today, student, north, law):
    other = Capture.objects.create(
        student=StudentFactory(student_no="202201010002", unit=law, name="李四"),
        campaign=today,
    )
    first = post(north, "station:scan", {"code": "202201010001", "key": "same-key-01"})
    assert first.json()["outcome"] == "green"
    again = post(north, "station:scan", {"code": "202201010002", "key": "same-key-01"})
    assert again.status_code == 409 and again.json()["code"] == "key_conflict"
    other.refresh_from_db()
    assert other.status == S.EXPECTED
    assert CaptureLog.objects.count() == 1


def test_a_key_reused_for_a_photographed_student_is_a_conflict(today, student, north, law):
    Capture.objects.create(
        student=StudentFactory(student_no="202201010002", unit=law),
        campaign=today,
        status=S.PHOTOGRAPHED,
    )
    post(north, "station:scan", {"code": "202201010001", "key": "same-key-02"})
    again = post(north, "station:scan", {"code": "202201010002", "key": "same-key-02"})
    assert again.status_code == 409


def test_keys_are_scoped_to_the_device(today, student, north, north2, law):
    Capture.objects.create(
        student=StudentFactory(student_no="202201010002", unit=law, name="李四"),
        campaign=today,
    )
    post(north, "station:scan", {"code": "202201010001", "key": "device-key-1"})
    other_door = post(north2, "station:scan", {"code": "202201010002", "key": "device-key-1"})
    assert other_door.json()["outcome"] == "green"
    assert "李四" in other_door.json()["message"]  # its own student, never the other's
    keys = set(CaptureLog.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == 2 and all(k.startswith("d") and k.endswith(":device-key-1") for k in keys)


def test_a_replayed_key_answers_as_the_first_time(today, student, north):
    first = post(north, "station:scan", {"code": "202201010001", "key": "replay-key-1"}).json()
    again = post(north, "station:scan", {"code": "202201010001", "key": "replay-key-1"}).json()
    assert again == first
    assert CaptureLog.objects.count() == 1


def test_a_scan_queued_for_another_station_is_refused(today, student, north):
    other = Station.objects.get(name="南门-1")
    response = post(north, "station:scan", {"code": "202201010001", "station": other.pk})
    assert response.status_code == 409 and response.json()["code"] == "station_mismatch"
    assert not CaptureLog.objects.exists()


# --- what was scanned stays visible -----------------------------------------------------------


@pytest.mark.parametrize("code", ["2022010999", "某某某", "garbage:token"])
def test_a_red_answer_names_what_was_scanned(today, student, north, code):
    answer = post(north, "station:scan", {"code": code}).json()
    assert answer["outcome"] == "red"
    assert code in answer["message"] and answer["scanned"] == code


# --- one name normaliser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("John Smith", "John Smith"),
        ("John Smith", "john  smith"),
        ("John Smith", "JohnSmith"),
        ("阿依古丽·买买提", "阿依古丽•买买提"),
        ("阿依古丽·买买提", "阿依古丽・买买提"),
        ("阿依古丽·买买提", "阿依古丽．买买提"),
        ("张 三", "张三"),
        ("Ｌｉ Ｍｉｎｇ", "Li Ming"),
    ],
)
def test_a_name_found_by_the_lookup_is_found_at_the_station(today, north, law, stored, typed):
    capture = Capture.objects.create(
        student=StudentFactory(student_no="202201019999", name=stored, unit=law), campaign=today
    )
    assert selectors.lookup_capture("202201019999", typed) == (capture.student_id, today.pk)
    answer = post(north, "station:scan", {"code": typed}).json()
    assert (answer["outcome"], answer["capture_id"]) == ("green", capture.pk)


def test_bulk_created_and_updated_students_carry_their_name_key(law):
    (created,) = Student.objects.bulk_create(
        [Student(student_no="1", name="阿依古丽・买买提", unit=law, cohort=2025)]
    )
    assert Student.objects.get(pk=created.pk).name_key == "阿依古丽·买买提"
    created.name = "John  Smith"
    Student.objects.bulk_update([created], ["name"])
    assert Student.objects.get(pk=created.pk).name_key == "johnsmith"


# --- shooting numbers ------------------------------------------------------------------------


def _photograph(client, student_no):
    return post(client, "station:scan", {"code": student_no}).json()


def _number(client, log_id, number):
    return post(client, "station:shooting_no", {"log_id": log_id, "shooting_no": number})


def test_a_shooting_number_is_tied_to_its_photograph(today, student, north, north2, law):
    green = _photograph(north, "202201010001")
    assert _number(north, green["log_id"], "0001").status_code == 200
    assert Capture.objects.get().shooting_no == "0001"
    # Another door cannot number this photograph…
    assert _number(north2, green["log_id"], "0002").status_code == 404
    # …and once it is undone, neither can this one: the number would land on nobody's photo.
    post(north, "station:undo", {"log_id": green["log_id"]})
    late = _number(north, green["log_id"], "0003")
    assert late.status_code == 409 and late.json()["code"] in ("not_allowed", "superseded")
    capture = Capture.objects.get()
    assert (capture.status, capture.shooting_no) == (S.EXPECTED, "")  # as the scan found it


def test_a_shooting_number_needs_a_photograph_log(today, student, notice):
    south = device_client(Station.objects.get(name="南门-1"))
    arrival = _photograph(south, "202201010001")
    response = _number(south, arrival["log_id"], "0001")
    assert response.status_code == 409 and response.json()["code"] == "not_allowed"


def test_one_typo_keeps_the_shooting_number_check_small(
    client, office_user, today, north, law, django_assert_max_num_queries
):
    for i, number in enumerate(["0001", "0002", "0003", "0004", "0005", "8888888"]):
        capture = Capture.objects.create(
            student=StudentFactory(student_no=f"20220101{i:04d}", unit=law), campaign=today
        )
        green = _photograph(north, capture.student.student_no)
        assert _number(north, green["log_id"], number).status_code == 200
    session = CaptureSession.objects.get()
    check = selectors.shooting_numbers(session)
    assert (check.gaps, check.missing, check.outliers) == ([], 0, 1)
    assert check.entries[-1]["flags"] == ["outlier"]
    client.force_login(office_user)
    page = client.get(reverse("staff:shooting_numbers", args=[session.pk]))
    assert len(page.content) < 30_000 and "疑似输错" in page.content.decode()
    export = client.get(reverse("staff:shooting_numbers_xlsx", args=[session.pk]))
    assert len(b"".join(export.streaming_content)) < 30_000


def test_gaps_are_ranges(today, notice, law):
    from sessions.services import capture_set_shooting_no
    from tests.conftest import device_actor

    actor = device_actor(today)
    for i, number in enumerate(["1", "2", "5", "6", "40", "41", "100"]):
        capture = Capture.objects.create(
            student=StudentFactory(unit=law), campaign=today, status=S.PHOTOGRAPHED
        )
        capture_set_shooting_no(actor=actor, capture_id=capture.pk, shooting_no=number)
        assert i >= 0
    check = selectors.shooting_numbers(CaptureSession.objects.get())
    assert check.gaps == [(3, 4), (7, 39), (42, 99)]
    assert check.missing == 2 + 33 + 58


def test_the_office_corrects_a_shooting_number_with_a_reason(
    client, office_user, today, student, north
):
    green = _photograph(north, "202201010001")
    _number(north, green["log_id"], "0009")
    client.force_login(office_user)
    url = reverse("staff:shooting_numbers", args=[CaptureSession.objects.get().pk])
    form = {"student_no": "202201010001", "shooting_no": "0001"}
    refused = client.post(url, {**form, "reason": ""})
    assert refused.status_code == 200 and Capture.objects.get().shooting_no == "0009"
    client.post(url, {**form, "reason": "读卡器显示 0001"})
    assert Capture.objects.get().shooting_no == "0001"
    log = CaptureLog.objects.filter(action="correct_shooting_no").get()
    assert log.actor_user == office_user and "读卡器显示 0001" in log.note and "0009" in log.note


# --- the scan's cost ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_scan_is_at_most_six_statements_with_authentication(notice, law):
    """Outside a test transaction, as in production: the device with its station, session
    and campaign (authentication); BEGIN; the student's capture read under its lock; the
    status change; its log row; COMMIT. Six on SQLite and on PostgreSQL alike."""
    capture = Capture.objects.create(
        student=StudentFactory(student_no="202201010001", unit=law), campaign=notice
    )
    north = device_client(Station.objects.get(name="北门-1"))
    with CaptureQueriesContext(connection) as queries:
        answer = post(north, "station:scan", {"code": "202201010001", "key": "count-key-1"})
    assert answer.json()["outcome"] == "green"
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) <= 6, "\n".join(statements)
    data = [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]
    assert [s.split()[0] for s in data] == ["SELECT", "SELECT", "UPDATE", "INSERT"], data
    capture.refresh_from_db()
    assert capture.status == S.PHOTOGRAPHED


# --- found by the walkthrough: door names repeat across sessions, and other edges ----------


@pytest.fixture
def second_session(today):
    """A second session of the same campaign, with doors of the same names (the default)."""
    from tests.factories import CaptureSessionFactory

    session = CaptureSessionFactory(campaign=today, date=timezone.localdate())
    return Station.objects.create(session=session, name="北门-1", kind="photographed")


def test_a_device_sees_and_changes_only_its_own_stations_scans(
    today, student, north, second_session
):
    green = _photograph(north, "202201010001")
    other = device_client(second_session)
    recent = other.get(reverse("station:status")).json()["recent"]
    assert recent == []
    assert _number(other, green["log_id"], "0666").status_code == 404
    assert post(other, "station:undo", {"log_id": green["log_id"]}).status_code == 404
    capture = Capture.objects.get()
    assert (capture.status, capture.shooting_no) == (S.PHOTOGRAPHED, "")


def test_undoing_a_photograph_without_arrival_goes_back_to_expected(today, student, north):
    green = _photograph(north, "202201010001")
    response = post(north, "station:undo", {"log_id": green["log_id"]})
    assert response.status_code == 200 and response.json()["status"] == S.EXPECTED
    assert Capture.objects.get().status == S.EXPECTED


def test_the_office_cannot_number_a_student_who_was_not_photographed(office, student):
    from capture_portal.exceptions import DomainError
    from sessions.services import shooting_no_correct

    with pytest.raises(DomainError) as err:
        shooting_no_correct(actor=office, capture_id=student.pk, shooting_no="4", reason="x")
    assert err.value.code == "not_allowed"
    assert Capture.objects.get().shooting_no == ""


def test_deeply_nested_json_is_a_400(today, north):
    north.raise_request_exception = False
    body = b"[" * 100_000 + b"]" * 100_000
    assert post(north, "station:scan", body, raw=True).status_code == 400


def test_the_recent_list_shows_scans_not_shooting_numbers(today, student, north):
    green = _photograph(north, "202201010001")
    _number(north, green["log_id"], "0001")
    recent = north.get(reverse("station:status")).json()["recent"]
    assert [r["log_id"] for r in recent] == [green["log_id"]]


def test_the_shooting_number_check_is_per_session(today, north, law, second_session):
    from tests.factories import TrainingUnitFactory

    elsewhere = TrainingUnitFactory(name="别处学院")
    from sessions.models import SlotUnit, TimeSlot

    slot = TimeSlot.objects.create(
        session=second_session.session,
        start=dt.time(9, 0),
        end=dt.time(10, 0),
        order=1,
    )
    SlotUnit.objects.create(session=second_session.session, slot=slot, unit=elsewhere)
    mine = Capture.objects.create(student=StudentFactory(unit=law), campaign=today)
    theirs = Capture.objects.create(student=StudentFactory(unit=elsewhere), campaign=today)
    from capture_portal.actors import Actor
    from sessions.services.assignment import captures_assign_sessions

    captures_assign_sessions(actor=Actor.system(), campaign_id=today.pk)
    _number(north, _photograph(north, mine.student.student_no)["log_id"], "0001")
    other = device_client(second_session)
    _number(other, _photograph(other, theirs.student.student_no)["log_id"], "0500")
    first = CaptureSession.objects.exclude(pk=second_session.session_id).get()
    check = selectors.shooting_numbers(first)
    assert [e["number"] for e in check.entries] == ["0001"]
