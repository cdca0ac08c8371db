"""Make-up sessions (补拍): the office creates one after a session closed and moves chosen
absentees into it; their page follows, the move is logged, the counsellor sees who moved."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capture_portal.exceptions import DomainError
from sessions import makeup_selectors, selectors, services
from sessions.models import Campaign, Capture, CaptureLog, CaptureSession, Station
from sessions.services.assignment import captures_assign_sessions
from sessions.services.makeup import makeup_note
from sessions.tokens import pass_token
from tests.factories import CaptureSessionFactory, MembershipFactory, StudentFactory, UserFactory
from units.models import TrainingUnit

S = Capture.Status
MAKEUP = {
    "date": dt.date(2024, 3, 20),
    "start": dt.time(14, 0),
    "end": dt.time(16, 0),
    "place": "图书馆报告厅",
    "campus": "西校区",
    "entry_door": "东门",
    "exit_door": "西门",
    "cameras": 1,
}


def _after_end():
    return timezone.make_aware(dt.datetime(2024, 3, 11, 16, 5))


def _capture(unit, campaign, **kwargs):
    return Capture.objects.create(student=StudentFactory(unit=unit), campaign=campaign, **kwargs)


@pytest.fixture
def law(notice):
    return TrainingUnit.objects.get(name="法学院")


@pytest.fixture
def econ(notice):
    return TrainingUnit.objects.get(name="经济学院")


@pytest.fixture
def day(office, notice, law, econ):
    """The notice's afternoon closed: two of 法学院 absent (one of them then sent off-site)
    and one of 经济学院 absent; then a second session, still open, with one of 法学院
    expected and one sent off-site in advance."""
    first = CaptureSession.objects.get(campaign=notice)
    absent = _capture(law, notice)
    offsite = _capture(law, notice)
    econ_absent = _capture(econ, notice)
    assert services.session_close(actor=office, session_id=first.pk, now=_after_end()) == 3
    services.capture_send_offsite(actor=office, capture_id=offsite.pk, note="在外地实习")
    second = CaptureSessionFactory(
        campaign=notice, date=dt.date(2024, 3, 12), place="东校区礼堂", campus="东校区"
    )
    still_expected = _capture(law, notice, session=second)
    early_offsite = _capture(law, notice, session=second)
    services.capture_send_offsite(actor=office, capture_id=early_offsite.pk, note="出国")
    return {
        "first": first,
        "second": second,
        "absent": absent,
        "offsite": offsite,
        "econ_absent": econ_absent,
        "still_expected": still_expected,
        "early_offsite": early_offsite,
    }


@pytest.fixture
def makeup(office, notice):
    return services.makeup_session_create(actor=office, campaign_id=notice.pk, **MAKEUP)


def _fresh(capture):
    return Capture.objects.get(pk=capture.pk)


# --- creating --------------------------------------------------------------------------------


def test_office_creates_a_makeup_session_with_its_two_stations(office, notice):
    session = services.makeup_session_create(actor=office, campaign_id=notice.pk, **MAKEUP)
    session.refresh_from_db()
    assert session.kind == CaptureSession.Kind.MAKEUP
    assert (session.date, session.place, session.campus) == (
        MAKEUP["date"],
        "图书馆报告厅",
        "西校区",
    )
    assert (session.entry_door, session.exit_door, session.cameras) == ("东门", "西门", 1)
    assert session.closed_at is None
    stations = list(Station.objects.filter(session=session).order_by("order"))
    assert [(s.name, s.kind) for s in stations] == [
        ("补拍-东门-1", Station.Kind.ARRIVAL),
        ("补拍-西门-1", Station.Kind.PHOTOGRAPHED),
    ]


def test_one_door_for_both_gets_two_station_names(office, notice):
    session = services.makeup_session_create(
        actor=office, campaign_id=notice.pk, **{**MAKEUP, "entry_door": "正门", "exit_door": "正门"}
    )
    assert sorted(Station.objects.filter(session=session).values_list("name", flat=True)) == [
        "补拍-正门-1",
        "补拍-正门-2",
    ]


def test_only_the_office_creates_makeup_sessions(counsellor, station, notice):
    for actor in (counsellor, station):
        with pytest.raises(DomainError) as refused:
            services.makeup_session_create(actor=actor, campaign_id=notice.pk, **MAKEUP)
        assert refused.value.code == "forbidden"
    assert not CaptureSession.objects.filter(kind=CaptureSession.Kind.MAKEUP).exists()


@pytest.mark.parametrize("end", [dt.time(14, 0), dt.time(13, 0)])
def test_end_not_after_start_is_refused(office, notice, end):
    with pytest.raises(DomainError) as refused:
        services.makeup_session_create(
            actor=office, campaign_id=notice.pk, **{**MAKEUP, "end": end}
        )
    assert refused.value.code == "invalid_times"
    assert not CaptureSession.objects.filter(kind=CaptureSession.Kind.MAKEUP).exists()


def test_blank_place_is_refused(office, notice):
    with pytest.raises(DomainError) as refused:
        services.makeup_session_create(
            actor=office, campaign_id=notice.pk, **{**MAKEUP, "place": "  "}
        )
    assert refused.value.code == "invalid"


def test_a_closed_campaign_gets_no_makeup_session(office, notice):
    services.campaign_step(actor=office, campaign_id=notice.pk, action="close")
    with pytest.raises(DomainError) as refused:
        services.makeup_session_create(actor=office, campaign_id=notice.pk, **MAKEUP)
    assert refused.value.code == "campaign_closed"
    assert not CaptureSession.objects.filter(kind=CaptureSession.Kind.MAKEUP).exists()


# --- candidates and moving --------------------------------------------------------------------


def test_candidates_are_absentees_of_closed_sessions_per_unit(day, notice, law, econ):
    units = makeup_selectors.makeup_candidates(notice.pk)
    assert {u.name: (u.absent, u.offsite, u.n) for u in units} == {
        law.name: (1, 1, 2),
        econ.name: (1, 0, 1),
    }
    assert [u.display_order for u in units] == sorted(u.display_order for u in units)
    assert [u.pk for u in makeup_selectors.makeup_candidates(notice.pk, unit_ids=[econ.pk])] == [
        econ.pk
    ]


def test_candidates_take_two_queries_whatever_their_number(
    day, notice, law, django_assert_num_queries
):
    for _ in range(20):
        _capture(law, notice, session=day["first"], status=S.ABSENT)
    with django_assert_num_queries(2):
        units = makeup_selectors.makeup_candidates(notice.pk)
    assert sum(u.n for u in units) == 23


def test_move_takes_only_absentees_of_closed_sessions(office, day, makeup, law):
    logs_before = CaptureLog.objects.count()
    assert services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk]) == 2
    for key in ("absent", "offsite"):
        capture = _fresh(day[key])
        assert (capture.status, capture.session_id) == (S.EXPECTED, makeup.pk)
        log = capture.logs.order_by("-id").first()
        assert log.action == "makeup"
        assert log.to_status == S.EXPECTED
        assert log.from_status == (S.ABSENT if key == "absent" else S.OFFSITE)
        assert log.note == "转入补拍：2024-03-20 图书馆报告厅" == makeup_note(makeup)
        assert log.actor_user_id == office.user.pk
    assert CaptureLog.objects.count() == logs_before + 2
    # A student of the session still open is not an absentee yet, even off-site in advance.
    assert (_fresh(day["still_expected"]).status, _fresh(day["still_expected"]).session_id) == (
        S.EXPECTED,
        day["second"].pk,
    )
    assert (_fresh(day["early_offsite"]).status, _fresh(day["early_offsite"]).session_id) == (
        S.OFFSITE,
        day["second"].pk,
    )
    # Another unit was not chosen.
    assert _fresh(day["econ_absent"]).status == S.ABSENT
    assert _fresh(day["econ_absent"]).session_id == day["first"].pk


def test_moving_again_changes_nothing(office, day, makeup, law):
    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    logs = CaptureLog.objects.count()
    assert services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk]) == 0
    assert CaptureLog.objects.count() == logs


def test_move_by_chosen_captures(office, day, makeup):
    chosen = [day["econ_absent"].pk, day["still_expected"].pk, day["early_offsite"].pk]
    assert services.makeup_move(actor=office, session_id=makeup.pk, capture_ids=chosen) == 1
    assert _fresh(day["econ_absent"]).session_id == makeup.pk
    assert _fresh(day["absent"]).status == S.ABSENT  # not chosen


def test_the_schedule_leaves_moved_students_in_the_makeup_session(office, day, makeup, law):
    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    captures_assign_sessions(actor=office, campaign_id=makeup.campaign_id)
    assert _fresh(day["absent"]).session_id == makeup.pk


def _refused(actor, session_id, code, **chosen):
    before = list(Capture.objects.order_by("pk").values_list("status", "session_id"))
    logs = CaptureLog.objects.count()
    with pytest.raises(DomainError) as refused:
        services.makeup_move(actor=actor, session_id=session_id, **chosen)
    assert refused.value.code == code
    assert list(Capture.objects.order_by("pk").values_list("status", "session_id")) == before
    assert CaptureLog.objects.count() == logs


def test_a_regular_session_is_no_makeup_target(office, day, law):
    _refused(office, day["second"].pk, "not_makeup", unit_ids=[law.pk])


def test_moves_are_refused_out_of_scope(office, counsellor, station, day, makeup, notice, law):
    _refused(counsellor, makeup.pk, "forbidden", unit_ids=[law.pk])
    _refused(station, makeup.pk, "forbidden", unit_ids=[law.pk])
    _refused(office, makeup.pk, "nothing_chosen", unit_ids=[])
    _refused(office, 987654, "not_found", unit_ids=[law.pk])
    CaptureSession.objects.filter(pk=makeup.pk).update(closed_at=timezone.now())
    _refused(office, makeup.pk, "session_closed", unit_ids=[law.pk])
    CaptureSession.objects.filter(pk=makeup.pk).update(closed_at=None)
    Campaign.objects.filter(pk=notice.pk).update(status=Campaign.Status.CLOSED)
    _refused(office, makeup.pk, "campaign_closed", unit_ids=[law.pk])


def test_the_makeup_sessions_door_records_a_moved_student(office, day, makeup, law):
    from capture_portal.actors import Actor
    from sessions.models import Device
    from tests.conftest import pair_device

    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    device, _token = pair_device(Station.objects.get(session=makeup, name="补拍-西门-1"))
    door = Actor.for_device(
        Device.objects.select_related("station__session__campaign").get(pk=device.pk)
    )
    answer = services.scan_record(actor=door, code=day["absent"].student.student_no)
    assert answer.outcome == "green"
    assert _fresh(day["absent"]).status == S.PHOTOGRAPHED


def test_closing_the_makeup_session_makes_its_absentees_candidates_again(
    office, day, makeup, law, notice
):
    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    after = timezone.make_aware(dt.datetime(2024, 3, 20, 16, 5))
    assert services.session_close(actor=office, session_id=makeup.pk, now=after) == 2
    assert _fresh(day["absent"]).status == S.ABSENT
    second = services.makeup_session_create(
        actor=office, campaign_id=notice.pk, **{**MAKEUP, "date": dt.date(2024, 3, 27)}
    )
    assert services.makeup_move(actor=office, session_id=second.pk, unit_ids=[law.pk]) == 2
    assert _fresh(day["absent"]).session_id == second.pk


# --- the student's own pages ------------------------------------------------------------------


def test_the_students_page_shows_the_makeup_session_after_the_move(
    client, office, day, makeup, law, notice
):
    capture = day["absent"]
    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    page = selectors.student_page(capture.student_id, notice.pk)
    assert page.session.pk == makeup.pk
    token = pass_token(capture.student_id, notice.pk)
    html = client.get(reverse("student", args=[token])).content.decode()
    assert "2024年3月20日" in html and "图书馆报告厅" in html and "西校区" in html
    assert "东门入，西门出" in html
    ics = client.get(reverse("pass_calendar", args=[token])).content.decode()
    assert "20240320T140000" in ics and "图书馆报告厅" in ics


# --- the office's pages -----------------------------------------------------------------------


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def test_the_new_session_form_refuses_an_end_before_the_start(office_client, notice):
    data = {**MAKEUP, "date": "2024-03-20", "start": "15:00", "end": "14:00"}
    response = office_client.post(reverse("staff:makeup_new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "结束时间必须晚于开始时间" in html
    assert 'value="图书馆报告厅"' in html  # what was typed is kept
    assert not CaptureSession.objects.filter(kind=CaptureSession.Kind.MAKEUP).exists()


def test_the_new_session_form_says_what_is_missing(office_client, notice):
    response = office_client.post(reverse("staff:makeup_new"), {"date": "", "place": ""})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()


def test_the_new_session_form_creates_and_goes_to_the_move_page(office_client, notice):
    data = {**MAKEUP, "date": "2024-03-20", "start": "14:00", "end": "16:00"}
    response = office_client.post(reverse("staff:makeup_new"), data)
    session = CaptureSession.objects.get(kind=CaptureSession.Kind.MAKEUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:makeup_move", args=[session.pk])
    html = office_client.get(reverse("staff:index")).content.decode()
    assert reverse("staff:makeup_move", args=[session.pk]) in html
    assert reverse("staff:makeup_new") in html


def test_the_move_page_is_the_offices_and_only_for_makeup_sessions(
    client, office_client, counsellor_user, day, makeup
):
    assert office_client.get(reverse("staff:makeup_move", args=[makeup.pk])).status_code == 200
    regular = reverse("staff:makeup_move", args=[day["second"].pk])
    assert office_client.get(regular).status_code == 404
    assert office_client.post(regular, {"unit": "1"}).status_code == 404
    client.logout()
    client.force_login(counsellor_user)
    assert client.get(reverse("staff:makeup_move", args=[makeup.pk])).status_code == 403


def test_preview_then_confirm_moves_the_chosen_units(office_client, day, makeup, law, econ):
    url = reverse("staff:makeup_move", args=[makeup.pk])
    html = office_client.get(url).content.decode()
    assert law.name in html and econ.name in html and "预览" in html
    preview = office_client.get(url, {"preview": "1", "unit": [str(law.pk)]}).content.decode()
    assert 'id="preview-total">2<' in preview and "确认转入" in preview
    assert not Capture.objects.filter(session=makeup).exists()  # a preview changes nothing
    response = office_client.post(url, {"unit": [str(law.pk)]})
    assert response.status_code == 302 and response["Location"] == url
    page = office_client.get(url).content.decode()
    assert "已将 2 名学生转入本补拍场次" in page
    for key in ("absent", "offsite"):
        assert day[key].student.student_no in page
    assert day["econ_absent"].student.student_no not in page.split('id="moved"')[1]
    office_client.post(url, {"unit": [str(law.pk)]})  # a double submission
    assert "没有可转入的学生" in office_client.get(url).content.decode()
    assert Capture.objects.filter(session=makeup).count() == 2


def test_preview_of_all_units(office_client, day, makeup):
    url = reverse("staff:makeup_move", args=[makeup.pk])
    preview = office_client.get(url, {"preview": "1", "all": "1"}).content.decode()
    assert 'id="preview-total">3<' in preview


def test_preview_without_a_unit_says_so(office_client, day, makeup):
    url = reverse("staff:makeup_move", args=[makeup.pk])
    html = office_client.get(url, {"preview": "1"}).content.decode()
    assert "请至少选择一个有缺席学生的培养单位" in html and 'id="preview"' not in html


def test_a_closed_makeup_session_offers_no_move(office_client, day, makeup):
    CaptureSession.objects.filter(pk=makeup.pk).update(closed_at=timezone.now())
    html = office_client.get(reverse("staff:makeup_move", args=[makeup.pk])).content.decode()
    assert "该补拍场次已关闭" in html and "预览" not in html


def _move_page_queries(client, office, notice, law, makeup, n):
    first = CaptureSession.objects.get(campaign=notice, kind=CaptureSession.Kind.REGULAR)
    for _ in range(n):
        _capture(law, notice, session=first, status=S.ABSENT)
    CaptureSession.objects.filter(pk=first.pk).update(closed_at=timezone.now())
    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    for _ in range(n):  # and as many still to move
        _capture(law, notice, session=first, status=S.ABSENT)
    url = reverse("staff:makeup_move", args=[makeup.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"preview": "1", "unit": [str(law.pk)]})
    assert response.status_code == 200
    assert Capture.objects.filter(session=makeup).count() == n
    return len(queries)


@pytest.mark.django_db
def test_the_move_page_reads_a_fixed_number_of_queries(office_user, office, notice, law):
    from django.test import Client

    counts = []
    for n in (10, 60):
        Capture.objects.all().delete()
        CaptureSession.objects.filter(kind=CaptureSession.Kind.MAKEUP).delete()
        makeup = services.makeup_session_create(actor=office, campaign_id=notice.pk, **MAKEUP)
        client = Client()
        client.force_login(office_user)
        counts.append(_move_page_queries(client, office, notice, law, makeup, n))
    assert counts[0] == counts[1]


# --- the counsellor's unit page ---------------------------------------------------------------


def _counsellor_client(client, unit, name):
    client.force_login(MembershipFactory(user=UserFactory(username=name), unit=unit).user)
    return client


def test_the_counsellor_sees_who_moved(client, office, day, makeup, law):
    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    counsellor = _counsellor_client(client, law, "law-counsellor")
    html = counsellor.get(reverse("unit:detail", args=[law.pk])).content.decode()
    assert "转入补拍的学生" in html
    section = html.split('id="makeup-moved"')[1].split("</section>")[0]
    for key in ("absent", "offsite"):
        assert day[key].student.student_no in section and day[key].student.name in section
    assert day["still_expected"].student.student_no not in section
    assert "2024-03-20" in section and "14:00–16:00" in section and "图书馆报告厅" in section
    # Several sessions: each roster row names its own.
    assert "03-12</span> · 东校区" in html
    assert html.count('class="hint session-of"') == 4


def test_no_makeup_section_and_no_session_per_row_with_one_session(client, notice, law):
    _capture(law, notice)
    counsellor = _counsellor_client(client, law, "law-counsellor")
    html = counsellor.get(reverse("unit:detail", args=[law.pk])).content.decode()
    assert "转入补拍的学生" not in html and "session-of" not in html


def test_another_units_counsellor_gets_404(client, office, day, makeup, law, econ):
    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    counsellor = _counsellor_client(client, econ, "econ-counsellor")
    assert counsellor.get(reverse("unit:detail", args=[law.pk])).status_code == 404
    html = counsellor.get(reverse("unit:detail", args=[econ.pk])).content.decode()
    assert day["absent"].student.student_no not in html


def test_the_unit_page_reads_as_many_queries_whatever_moved(
    client, office, day, makeup, law, notice
):
    counsellor = _counsellor_client(client, law, "law-counsellor")
    url = reverse("unit:detail", args=[law.pk])
    with CaptureQueriesContext(connection) as before:
        counsellor.get(url)
    for _ in range(15):
        _capture(law, notice, session=day["first"], status=S.ABSENT)
    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    with CaptureQueriesContext(connection) as after:
        counsellor.get(url)
    assert len(after) == len(before)


def test_the_makeup_sessions_day_pages_open(office_client, office, day, makeup, law):
    services.makeup_move(actor=office, session_id=makeup.pk, unit_ids=[law.pk])
    for name in ("staff:live", "staff:close_session", "staff:shooting_numbers"):
        assert office_client.get(reverse(name, args=[makeup.pk])).status_code == 200, name
