"""Walk-ins (名单外人员): recorded at a door as typed, resolved by the office afterwards.

Issue 13, point 4: a person not on the roster is recorded so that the photographer's count
and the portal's agree; the office matches the record to an imported student (photographed
at the walk-in's time) or dismisses it.
"""

import datetime as dt
import json
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import services
from sessions.models import Campaign, Capture, CaptureLog, CaptureSession, Station, WalkIn
from sessions.services import walkins as walkins_module
from tests.conftest import device_client
from tests.factories import CaptureSessionFactory, StudentFactory

S = Capture.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def today(notice):
    """The notice's session moved to the day of an hour ago, so that "the session's day"
    holds the walk-ins stamped forty minutes ago, even just after midnight."""
    CaptureSession.objects.update(date=timezone.localdate(timezone.now() - dt.timedelta(hours=1)))
    return notice


@pytest.fixture
def north(today):
    return device_client(Station.objects.get(name="北门-1"))


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


@pytest.fixture
def session(notice):
    return CaptureSession.objects.get(campaign=notice)


def post(client, body, raw=False):
    data = body if raw else json.dumps(body)
    return client.post(reverse("station:walk_in"), data, content_type="application/json")


def page_url(session):
    return reverse("staff:walk_ins", args=[session.pk])


WANG = {"student_no": "202399990001", "name": "王五", "unit_text": "法学院", "key": "walkin-0001"}


def record(station, **overrides):
    """A walk-in recorded by the `station` device actor, through the service."""
    values = {"student_no": "202399990001", "name": "王五", "unit_text": "法学院", **overrides}
    return services.walkin_record(actor=station, **values)


# --- recording at the door ------------------------------------------------------------------


def test_a_paired_device_records_a_walk_in_as_typed(north, session):
    response = post(
        north,
        {
            "student_no": " ２０２３９９９９０００１ ",  # full-width digits from a phone keyboard
            "name": " 王五 ",
            "unit_text": "法学院",
            "key": "walkin-0001",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    walkin = WalkIn.objects.get()
    assert body["ok"] is True and body["walkin_id"] == walkin.pk
    assert "王五" in body["message"]
    assert (walkin.student_no, walkin.name, walkin.unit_text) == ("202399990001", "王五", "法学院")
    assert walkin.session == session and walkin.station == "北门-1"
    assert walkin.recorded_by_device.station.name == "北门-1"
    assert walkin.status == WalkIn.Status.OPEN
    assert walkin.idempotency_key == f"d{walkin.recorded_by_device_id}:walkin-0001"
    assert not CaptureLog.objects.exists()  # nobody's capture changed


def test_a_walk_in_keeps_the_time_the_device_stamped(north):
    earlier = timezone.now() - dt.timedelta(minutes=40)
    response = post(north, {**WANG, "occurred_at": earlier.isoformat()})
    assert response.status_code == 200
    assert WalkIn.objects.get().recorded_at == earlier


def test_a_replayed_key_returns_the_first_walk_in(north):
    first = post(north, WANG).json()
    again = post(north, WANG).json()
    assert again == first
    assert WalkIn.objects.count() == 1


def test_a_key_reused_for_another_person_is_a_conflict(north):
    post(north, WANG)
    response = post(north, {**WANG, "student_no": "202399990002", "name": "赵六"})
    assert response.status_code == 409 and response.json()["code"] == "key_conflict"
    assert WalkIn.objects.count() == 1


def test_without_a_key_each_request_is_a_walk_in(north):
    body = {k: v for k, v in WANG.items() if k != "key"}
    post(north, body)
    post(north, body)
    assert WalkIn.objects.count() == 2


def test_a_racing_request_with_the_same_key_answers_with_the_first(today, station, monkeypatch):
    first = record(station, idempotency_key="race-key-01")
    real = walkins_module._replay
    calls = []

    def late_replay(key, student_no, name):
        # The first look finds nothing: the other request committed right after it.
        calls.append(key)
        return None if len(calls) == 1 else real(key, student_no, name)

    monkeypatch.setattr(walkins_module, "_replay", late_replay)
    again = record(station, idempotency_key="race-key-01")
    assert again.pk == first.pk and len(calls) == 2
    assert WalkIn.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"student_no": ""}, "请填写学号"),
        ({"student_no": "   "}, "请填写学号"),
        ({"student_no": None}, "请填写学号"),
        ({"student_no": "1" * 33}, "学号不能超过 32 个字符"),
        ({"student_no": "2023\t0001"}, "学号含有无法识别的字符"),
        ({"student_no": "2023\x000001"}, "学号含有无法识别的字符"),
        ({"student_no": "2023\u200b0001"}, "学号含有无法识别的字符"),  # zero-width space
        ({"name": ""}, "请填写姓名"),
        ({"name": "王" * 65}, "姓名不能超过 64 个字符"),
        ({"name": "王\n五"}, "姓名含有无法识别的字符"),
        ({"unit_text": "院" * 101}, "培养单位不能超过 100 个字符"),
        ({"unit_text": "法\r学院"}, "培养单位含有无法识别的字符"),
        ({"unit_text": "法\x1b学院"}, "培养单位含有无法识别的字符"),
    ],
)
def test_bad_input_is_refused_with_a_message_for_that_field(north, changes, message):
    response = post(north, {**WANG, **changes})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert message in response.json()["message"]
    assert not WalkIn.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1]",
        b'{"student_no": ["2023"], "name": "x"}',
        b'{"student_no": 2023, "name": "x"}',
        b'{"student_no": "2023", "name": {"a": 1}}',
        b'{"student_no": "2023", "name": "' + b"x" * 5000 + b'"}',
        b'{"student_no": "20230001", "name": "x", "key": "bad key!"}',
        b'{"student_no": "20230001", "name": "x", "occurred_at": "yesterday"}',
        b'{"student_no": "20230001", "name": "x", "station": "north"}',
        '{"student_no": "\ud800", "name": "x"}'.encode("utf-8", "surrogatepass"),
        b'{"student_no": "\\ud800", "name": "x"}',  # a lone surrogate, escaped
    ],
)
def test_malformed_bodies_get_a_400_never_a_5xx(north, body):
    north.raise_request_exception = False
    response = post(north, body, raw=True)
    assert response.status_code == 400, (body, response.content)
    assert response.json()["message"]
    assert not WalkIn.objects.exists()


def test_a_number_on_the_roster_is_refused_and_the_operator_told_to_scan(north, student):
    response = post(north, {**WANG, "student_no": student.student.student_no})
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "on_roster"
    assert "正常登记" in data["message"]
    assert not WalkIn.objects.exists()
    student.refresh_from_db()
    assert student.status == S.EXPECTED


def test_a_withdrawn_student_or_another_campaigns_number_may_be_a_walk_in(north, student, law):
    student.student.withdrawn = True
    student.student.save(update_fields=["withdrawn"])
    other = StudentFactory(student_no="202399990009", unit=law)
    Capture.objects.create(
        student=other,
        campaign=Campaign.objects.create(
            title="另一届", cohort=2020, school_code="11832", coordinator_deadline=timezone.now()
        ),
    )
    assert post(north, {**WANG, "student_no": student.student.student_no}).status_code == 200
    assert (
        post(north, {**WANG, "student_no": "202399990009", "key": "walkin-0002"}).status_code == 200
    )
    assert WalkIn.objects.count() == 2


def test_a_closed_campaign_takes_no_walk_ins(north, today):
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    response = post(north, WANG)
    assert response.status_code == 409 and response.json()["code"] == "campaign_closed"
    assert not WalkIn.objects.exists()


def test_a_time_outside_the_session_day_is_refused(north):
    day = CaptureSession.objects.get().date
    yesterday = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12)))
    response = post(north, {**WANG, "occurred_at": yesterday.isoformat()})
    assert response.status_code == 400 and response.json()["code"] == "bad_time"
    assert not WalkIn.objects.exists()


def test_a_walk_in_queued_for_another_station_is_refused(north):
    other = Station.objects.get(name="南门-1")
    response = post(north, {**WANG, "station": other.pk})
    assert response.status_code == 409 and response.json()["code"] == "station_mismatch"
    assert not WalkIn.objects.exists()


@pytest.mark.parametrize("who", ["office_user", "counsellor_user", "plain_user"])
def test_signed_in_people_get_401_on_the_walk_in_api(request, client, today, who):
    client.force_login(request.getfixturevalue(who))
    response = post(client, WANG)
    assert response.status_code == 401
    assert not WalkIn.objects.exists()


def test_only_a_device_records_walk_ins(office, today):
    with pytest.raises(DomainError) as refused:
        services.walkin_record(actor=office, student_no="202399990001", name="王五")
    assert refused.value.code == "forbidden"
    assert not WalkIn.objects.exists()


def test_the_logs_carry_ids_not_names_or_numbers(
    today, station, office, law, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.INFO, logger="sessions"):
        with django_capture_on_commit_callbacks(execute=True):
            walkin = record(station, student_no="202399990077", name="钱七")
        capture = Capture.objects.create(
            student=StudentFactory(student_no="202399990077", name="钱七", unit=law),
            campaign=today,
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.walkin_resolve(actor=office, walkin_id=walkin.pk)
    assert f"walk-in {walkin.pk}" in caplog.text and f"capture {capture.pk}" in caplog.text
    assert "钱七" not in caplog.text and "202399990077" not in caplog.text


# --- resolution by the office ---------------------------------------------------------------


@pytest.fixture
def walked_in(north):
    """王五 recorded at 北门-1 forty minutes ago, not on the roster then."""
    earlier = timezone.now() - dt.timedelta(minutes=40)
    post(north, {**WANG, "occurred_at": earlier.isoformat()})
    return WalkIn.objects.get()


@pytest.fixture
def imported(walked_in, law, today):
    """王五 imported into the roster afterwards."""
    return Capture.objects.create(
        student=StudentFactory(student_no="202399990001", name="王五", unit=law), campaign=today
    )


def test_the_office_matches_a_walk_in_and_the_student_is_photographed_at_its_time(
    office_client, office_user, walked_in, imported, session
):
    response = office_client.post(
        page_url(session),
        {"action": "match", "walkin_id": walked_in.pk, "student_no": "202399990001"},
    )
    assert response.status_code == 302 and response["Location"] == page_url(session)
    imported.refresh_from_db()
    assert imported.status == S.PHOTOGRAPHED
    assert imported.status_at == walked_in.recorded_at and imported.status_station == "北门-1"
    log = CaptureLog.objects.get(capture=imported)
    assert log.action == "walk_in"
    assert log.occurred_at == walked_in.recorded_at
    assert log.station == "北门-1" and log.actor_user == office_user
    assert (log.from_status, log.to_status) == (S.EXPECTED, S.PHOTOGRAPHED)
    walked_in.refresh_from_db()
    assert walked_in.status == WalkIn.Status.MATCHED and walked_in.capture == imported
    assert walked_in.resolved_by == office_user and walked_in.resolved_at is not None
    html = office_client.get(page_url(session)).content.decode()
    assert "已匹配" in html and "没有待处理的名单外人员" in html


def test_an_absent_student_can_be_matched_too(office, walked_in, imported):
    Capture.objects.filter(pk=imported.pk).update(status=S.ABSENT)
    services.walkin_resolve(actor=office, walkin_id=walked_in.pk)  # the number as typed
    imported.refresh_from_db()
    assert imported.status == S.PHOTOGRAPHED


def test_matching_needs_a_student_of_the_campaign(office_client, walked_in, session):
    response = office_client.post(
        page_url(session),
        {"action": "match", "walkin_id": walked_in.pk, "student_no": "202399990001"},
        follow=True,
    )
    assert "本次采集名单中没有学号 202399990001" in response.content.decode()
    walked_in.refresh_from_db()
    assert walked_in.status == WalkIn.Status.OPEN
    with pytest.raises(DomainError) as refused:
        services.walkin_resolve(
            actor=Actor.system(), walkin_id=walked_in.pk, student_no="000000000000"
        )
    assert refused.value.code == "not_found"


def test_a_student_already_photographed_is_refused_as_a_likely_duplicate(
    office, walked_in, imported
):
    Capture.objects.filter(pk=imported.pk).update(status=S.PHOTOGRAPHED)
    with pytest.raises(DomainError) as refused:
        services.walkin_resolve(actor=office, walkin_id=walked_in.pk)
    assert refused.value.code == "not_allowed"
    assert "忽略" in refused.value.message
    walked_in.refresh_from_db()
    assert walked_in.status == WalkIn.Status.OPEN and walked_in.capture is None
    assert not CaptureLog.objects.exists()


def test_a_student_off_site_cannot_be_matched(office, walked_in, imported):
    Capture.objects.filter(pk=imported.pk).update(status=S.OFFSITE)
    with pytest.raises(DomainError) as refused:
        services.walkin_resolve(actor=office, walkin_id=walked_in.pk)
    assert refused.value.code == "not_allowed"
    walked_in.refresh_from_db()
    assert walked_in.status == WalkIn.Status.OPEN


def test_dismissing_needs_a_note(office_client, walked_in, session):
    response = office_client.post(
        page_url(session), {"action": "dismiss", "walkin_id": walked_in.pk, "note": "  "}
    )
    assert response.status_code == 302
    walked_in.refresh_from_db()
    assert walked_in.status == WalkIn.Status.OPEN
    html = office_client.get(page_url(session)).content.decode()
    assert "忽略名单外人员必须填写说明" in html


def test_the_office_dismisses_a_walk_in_with_a_note(office_client, office_user, walked_in, session):
    response = office_client.post(
        page_url(session),
        {"action": "dismiss", "walkin_id": walked_in.pk, "note": "重复登记\n同一人"},
    )
    assert response.status_code == 302
    walked_in.refresh_from_db()
    assert walked_in.status == WalkIn.Status.DISMISSED
    assert walked_in.resolution_note == "重复登记 同一人"
    assert walked_in.resolved_by == office_user and walked_in.capture is None
    assert not CaptureLog.objects.exists()


@pytest.mark.parametrize("first", ["match", "dismiss"])
def test_resolving_twice_is_refused(office, walked_in, imported, first):
    if first == "match":
        services.walkin_resolve(actor=office, walkin_id=walked_in.pk)
    else:
        services.walkin_resolve(actor=office, walkin_id=walked_in.pk, dismiss=True, note="重复")
    for again in ({"dismiss": True, "note": "再次"}, {"student_no": "202399990001"}):
        with pytest.raises(DomainError) as refused:
            services.walkin_resolve(actor=office, walkin_id=walked_in.pk, **again)
        assert refused.value.code == "already_resolved"
    assert CaptureLog.objects.count() == (1 if first == "match" else 0)


def test_a_double_submitted_match_form_matches_once(office_client, walked_in, imported, session):
    form = {"action": "match", "walkin_id": walked_in.pk, "student_no": "202399990001"}
    office_client.post(page_url(session), form)
    response = office_client.post(page_url(session), form, follow=True)
    assert "已处理" in response.content.decode()
    assert CaptureLog.objects.filter(action="walk_in").count() == 1


def test_a_walk_in_of_another_session_is_not_found_on_this_page(
    office_client, walked_in, imported, notice
):
    other = CaptureSessionFactory(campaign=notice)
    response = office_client.post(
        page_url(other), {"action": "match", "walkin_id": walked_in.pk}, follow=True
    )
    assert "找不到这条名单外人员记录" in response.content.decode()
    walked_in.refresh_from_db()
    assert walked_in.status == WalkIn.Status.OPEN


def test_only_the_office_resolves(walked_in, imported, counsellor, station):
    for actor in (counsellor, station):
        with pytest.raises(DomainError) as refused:
            services.walkin_resolve(actor=actor, walkin_id=walked_in.pk)
        assert refused.value.code == "forbidden"
    walked_in.refresh_from_db()
    assert walked_in.status == WalkIn.Status.OPEN


def test_a_counsellor_gets_403_on_the_office_page(client, counsellor_user, session):
    client.force_login(counsellor_user)
    assert client.get(page_url(session)).status_code == 403
    assert client.post(page_url(session), {"action": "dismiss"}).status_code == 403


def test_a_bad_form_is_a_message_not_an_error(office_client, walked_in, session):
    for form in ({}, {"action": "delete", "walkin_id": walked_in.pk}, {"walkin_id": "x"}):
        response = office_client.post(page_url(session), form, follow=True)
        assert response.status_code == 200
        assert "提交的内容无效" in response.content.decode()
    walked_in.refresh_from_db()
    assert walked_in.status == WalkIn.Status.OPEN


# --- the office page ----------------------------------------------------------------------


def test_the_page_suggests_students_by_number_and_by_name(
    office_client, walked_in, imported, law, today, session
):
    namesake = Capture.objects.create(
        student=StudentFactory(student_no="202201019999", name="王 五", unit=law), campaign=today
    )
    Capture.objects.filter(pk=namesake.pk).update(status=S.PHOTOGRAPHED)
    stranger = StudentFactory(student_no="202201018888", name="孙八", unit=law)
    Capture.objects.create(student=stranger, campaign=today)
    html = office_client.get(page_url(session)).content.decode()
    assert "202399990001 王五" in html and "学号相同" in html
    assert "202201019999 王 五" in html and "姓名相同" in html
    assert "已采集：可能是重复登记" in html  # the namesake cannot be matched
    assert "孙八" not in html
    assert html.count('name="csrfmiddlewaretoken"') >= 3  # every form posts with CSRF


def _page_queries(client, session):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(session)).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_1_or_20_walk_ins(
    office_client, office, station, law, today, session
):
    def walk_ins(n, start):
        for i in range(start, start + n):
            walkin = record(station, student_no=f"20239999{i:04d}", name=f"来人{i}")
            if i % 2:  # some on the roster by now, some by name, some resolved
                Capture.objects.create(
                    student=StudentFactory(student_no=f"20239999{i:04d}", unit=law), campaign=today
                )
            else:
                Capture.objects.create(
                    student=StudentFactory(name=f"来人{i}", unit=law), campaign=today
                )
            if i % 5 == 4:  # dismissed
                services.walkin_resolve(
                    actor=office, walkin_id=walkin.pk, dismiss=True, note="重复"
                )
            elif i % 2 and i % 3 == 0:  # matched by the number typed (another name)
                services.walkin_resolve(actor=office, walkin_id=walkin.pk, other_name=True)

    walk_ins(1, 0)
    one = _page_queries(office_client, session)
    walk_ins(19, 1)
    assert WalkIn.objects.count() == 20
    assert WalkIn.objects.exclude(status=WalkIn.Status.OPEN).count() > 2
    twenty = _page_queries(office_client, session)
    assert twenty == one


def test_a_student_of_another_name_is_matched_only_when_the_office_says_so(
    walked_in, office, law, today
):
    other = Capture.objects.create(
        student=StudentFactory(student_no="202399990009", name="赵六", unit=law), campaign=today
    )
    with pytest.raises(DomainError) as refused:
        services.walkin_resolve(actor=office, walkin_id=walked_in.pk, student_no="202399990009")
    assert refused.value.code == "name_mismatch" and "赵六" in refused.value.message
    other.refresh_from_db()
    assert other.status == Capture.Status.EXPECTED
    services.walkin_resolve(
        actor=office, walkin_id=walked_in.pk, student_no="202399990009", other_name=True
    )
    other.refresh_from_db()
    assert other.status == Capture.Status.PHOTOGRAPHED
