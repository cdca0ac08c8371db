"""A campaign of several sessions, days and campuses (issue 13): every student belongs to
one session, and the student's pages, Annex 1, the doors, the boards and closing follow
that session."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import selectors, services
from sessions.models import Capture, CaptureLog, CaptureSession, SlotUnit, Station, TimeSlot
from sessions.services.assignment import captures_assign_sessions
from sessions.tokens import pass_token
from tests.conftest import device_client
from tests.factories import StudentFactory
from units.models import Student, TrainingUnit

S = Capture.Status


def _second_session(campaign, date=dt.date(2024, 3, 12), units=("法学院",), **fields):
    """A morning session on the east campus, taking `units` out of the first session."""
    session = CaptureSession.objects.create(
        campaign=campaign,
        date=date,
        start=dt.time(9, 0),
        end=dt.time(12, 0),
        campus="东校区",
        place="东区体育馆",
        schedule_published=True,
        **fields,
    )
    slot = TimeSlot.objects.create(session=session, start=dt.time(9, 0), end=dt.time(10, 0))
    for order, name in enumerate(units, start=1):
        unit = TrainingUnit.objects.get(name=name)
        SlotUnit.objects.filter(unit=unit).delete()
        SlotUnit.objects.create(session=session, slot=slot, unit=unit, order=order)
    Station.objects.create(session=session, name="北门-1", kind="photographed")
    captures_assign_sessions(actor=Actor.system(), campaign_id=campaign.pk)
    return session


@pytest.fixture
def east(notice):
    return _second_session(notice)


@pytest.fixture
def first(notice):
    return CaptureSession.objects.get(campaign=notice, campus="")


@pytest.fixture
def law_student(notice, east):
    """张三 of 法学院, whose unit is in the east campus's session."""
    return Capture.objects.create(
        student=StudentFactory(student_no="202201010001", name="张三", unit=east_unit()),
        campaign=notice,
        session=east,
    )


def east_unit():
    return TrainingUnit.objects.get(name="法学院")


def _econ_student(notice, first, no="202201020001"):
    student = StudentFactory(student_no=no, unit=TrainingUnit.objects.get(name="经济学院"))
    return Capture.objects.create(student=student, campaign=notice, session=first)


# --- assignment --------------------------------------------------------------------------


def test_every_student_belongs_to_the_session_their_unit_is_placed_in(notice, east, first):
    law = StudentFactory(unit=east_unit())
    econ = StudentFactory(unit=TrainingUnit.objects.get(name="经济学院"))
    for s in (law, econ):
        Capture.objects.create(student=s, campaign=notice)  # as an import makes them
    captures_assign_sessions(actor=Actor.system(), campaign_id=notice.pk)
    assert Capture.objects.get(student=law).session == east
    assert Capture.objects.get(student=econ).session == first


def test_a_unit_split_by_major_sends_each_student_to_one_session(notice, east, first, office):
    law = east_unit()
    criminal = StudentFactory(unit=law, major="刑法学")
    civil = StudentFactory(unit=law, major="民商法学")
    for s in (criminal, civil):
        Capture.objects.create(student=s, campaign=notice)
    _place_law_in_first(office, first, "major", ["刑法学"])
    assert Capture.objects.get(student=criminal).session == first
    assert Capture.objects.get(student=civil).session == east
    # Annex 1 names the part of the unit each session takes.
    services.schedule_publish(actor=office, session_id=first.pk)
    home = selectors.public_notice()
    first_units = [u for w in home.schedules[0].windows for u in w.units if u.pk == law.pk]
    assert first_units[0].split == "刑法学"


def _place_law_in_first(office, first, split_by, values=()):
    """法学院 (placed whole in the east session) into the first session's first window."""
    services.schedule_publish(actor=office, session_id=first.pk, publish=False)
    services.schedule_move_unit(
        actor=office,
        session_id=first.pk,
        unit_id=east_unit().pk,
        slot_id=TimeSlot.objects.filter(session=first).first().pk,
        split_by=split_by,
        split_values=values,
    )


def test_a_unit_cannot_be_placed_whole_in_two_sessions(notice, east, first, office):
    with pytest.raises(DomainError) as refused:
        _place_law_in_first(office, first, "")
    assert refused.value.code == "split_required" and "东区体育馆" in refused.value.message


@pytest.mark.parametrize(
    "split_by, values, message",
    [
        ("major", [], "请填写取值"),
        ("level", ["博士后"], "未知的层次"),
        ("list", ["209900000000"], "不属于法学院"),
    ],
)
def test_a_split_rule_is_checked(notice, east, first, office, split_by, values, message):
    with pytest.raises(DomainError) as refused:
        _place_law_in_first(office, first, split_by, values)
    assert refused.value.code == "invalid_split" and message in refused.value.message


def test_publishing_is_per_session(notice, east, first, office):
    services.schedule_publish(actor=office, session_id=east.pk, publish=False)
    first.refresh_from_db()
    assert first.schedule_published  # untouched
    services.schedule_publish(actor=office, session_id=east.pk)
    # A unit placed in no session at all blocks publishing (its students have no date).
    SlotUnit.objects.filter(unit=east_unit()).delete()
    with pytest.raises(DomainError) as refused:
        services.schedule_publish(actor=office, session_id=first.pk)
    assert refused.value.code == "incomplete" and "法学院" in refused.value.message


# --- the student's own session -----------------------------------------------------------


def test_a_student_of_session_2_sees_session_2_on_page_pass_and_calendar(client, law_student):
    token = pass_token(law_student.student_id, law_student.campaign_id)
    for name in ("student", "pass"):
        html = client.get(reverse(name, args=[token])).content.decode()
        assert "东区体育馆" in html and "东校区" in html, name
        assert "2024年3月12日" in html and "09:00–10:00" in html, name
        assert "第一教学楼" not in html, name
    ics = client.get(reverse("pass_calendar", args=[token])).content.decode()
    assert "DTSTART;TZID=Asia/Shanghai:20240312T090000" in ics
    assert "DTEND;TZID=Asia/Shanghai:20240312T100000" in ics
    assert "东区体育馆" in ics


def test_annex_1_has_one_table_per_session_with_date_and_place(client, east):
    html = client.get(reverse("home")).content.decode()
    assert html.count('<table class="annex1">') == 2
    first_heading = html.index("第一教学楼一楼", html.index('id="schedule"'))
    east_heading = html.index("东区体育馆", html.index('id="schedule"'))
    law_row = html.index("法学院", east_heading)
    assert first_heading < east_heading < law_row
    # 法学院 left the first session's table.
    assert "法学院" not in html[first_heading:east_heading]


# --- the doors ---------------------------------------------------------------------------


def _scan(client, code, **extra):
    body = {"code": code, **extra}
    response = client.post(
        reverse("station:scan"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_student_of_another_session_gets_a_yellow_answer_naming_their_own(
    notice, first, law_student
):
    door = device_client(Station.objects.get(session=first, name="北门-1"))
    answer = _scan(door, "202201010001")
    assert answer["outcome"] == "yellow" and answer["code"] == "other_session"
    assert "东区体育馆" in answer["message"] and "03-12" in answer["message"]
    law_student.refresh_from_db()
    assert law_student.status == S.EXPECTED and not CaptureLog.objects.exists()


def test_a_session_that_accepts_other_sessions_records_them_and_counts_them(
    notice, first, law_student
):
    first.allow_cross_session = True
    first.save()
    door = device_client(Station.objects.get(session=first, name="北门-1"))
    answer = _scan(door, "202201010001")
    assert answer["outcome"] == "green" and "东区体育馆" in answer["hint"]
    assert CaptureLog.objects.get().window == "other_session"
    assert selectors.session_progress(first).off["other_session"] == 1


@pytest.mark.parametrize(
    "at, window, hint",
    [(dt.time(0, 1), "early", "早到"), (dt.time(23, 0), "late", "迟到")],
)
def test_another_window_of_the_own_session_is_recorded_with_a_quiet_hint(
    notice, first, at, window, hint
):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    CaptureSession.objects.filter(pk=first.pk).update(date=yesterday)
    econ = _econ_student(notice, first)
    slot = SlotUnit.objects.select_related("slot").get(session=first, unit=econ.student.unit).slot
    door = device_client(Station.objects.get(session=first, name="北门-1"))
    stamp = timezone.make_aware(dt.datetime.combine(yesterday, at)).isoformat()
    answer = _scan(door, econ.student.student_no, occurred_at=stamp)
    assert answer["outcome"] == "green"
    assert answer["hint"] == f"{hint}：本单位时段 {slot.start:%H:%M}–{slot.end:%H:%M}"
    assert CaptureLog.objects.get().window == window
    first.refresh_from_db()
    assert selectors.session_progress(first).off[window] == 1


def test_a_scan_in_the_own_window_has_no_hint(notice, first):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    CaptureSession.objects.filter(pk=first.pk).update(date=yesterday)
    econ = _econ_student(notice, first)
    slot = SlotUnit.objects.select_related("slot").get(session=first, unit=econ.student.unit).slot
    door = device_client(Station.objects.get(session=first, name="北门-1"))
    stamp = timezone.make_aware(dt.datetime.combine(yesterday, slot.start)).isoformat()
    answer = _scan(door, econ.student.student_no, occurred_at=stamp)
    assert answer["outcome"] == "green" and answer["hint"] == ""
    assert CaptureLog.objects.get().window == ""


# --- per-session day tools ---------------------------------------------------------------


def test_closing_session_1_leaves_session_2_untouched(notice, first, law_student, office):
    econ = _econ_student(notice, first)
    after = timezone.make_aware(dt.datetime(2024, 3, 11, 16, 5))
    assert services.session_close(actor=office, session_id=first.pk, now=after) == 1
    econ.refresh_from_db()
    law_student.refresh_from_db()
    assert econ.status == S.ABSENT
    assert law_student.status == S.EXPECTED and law_student.session.closed_at is None


def test_each_board_shows_only_its_own_session(client, notice, first, east, law_student):
    _econ_student(notice, first)
    choose = client.get(reverse("board")).content.decode()
    assert reverse("board_session", args=[first.pk]) in choose
    assert reverse("board_session", args=[east.pk]) in choose
    east_data = client.get(reverse("board_session_json", args=[east.pk])).json()
    first_data = client.get(reverse("board_session_json", args=[first.pk])).json()
    assert [u["name"] for u in east_data["units"]] == ["法学院"]
    assert east_data["overall"] == {"done": 0, "total": 1}
    assert "法学院" not in [u["name"] for u in first_data["units"]]
    assert first_data["overall"]["total"] == 1
    # Without a session, there is no single board's data to show.
    assert client.get(reverse("board_json")).json()["units"] == []


def test_a_board_of_a_draft_campaigns_session_is_not_found(client, notice, east):
    notice.status = "draft"
    notice.save()
    assert client.get(reverse("board_session", args=[east.pk])).status_code == 404
    assert client.get(reverse("board_session_json", args=[east.pk])).status_code == 404


def test_the_roster_export_names_each_students_session(client, office_user, law_student):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(office_user)
    response = client.get(reverse("staff:roster_xlsx"))
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = next(r for r in rows if r and "场次" in r)
    row = next(r for r in rows if r and "202201010001" in r)
    assert "2024-03-12 09:00–12:00 东校区 东区体育馆" == row[header.index("场次")]


def test_a_closed_session_takes_nobody_new_when_the_schedule_changes(notice, first, east, office):
    east.closed_at = timezone.now()
    east.save()
    newcomer = Capture.objects.create(student=StudentFactory(unit=east_unit()), campaign=notice)
    captures_assign_sessions(actor=office, campaign_id=notice.pk)
    newcomer.refresh_from_db()
    assert newcomer.session is None
    assert Student.objects.count() == 1


# --- what the first office walkthrough found ------------------------------------------------


def test_a_major_nobody_studies_is_refused(notice, east, first, office):
    StudentFactory(unit=east_unit(), major="刑法学")
    with pytest.raises(DomainError) as refused:
        _place_law_in_first(office, first, "major", ["不存在的专业"])
    assert refused.value.code == "invalid_split" and "不存在的专业" in refused.value.message


def test_two_rules_taking_the_same_students_are_refused(notice, east, first, office):
    law = east_unit()
    StudentFactory(unit=law, major="刑法学", level=Student.Level.ACADEMIC_MASTER)
    SlotUnit.objects.filter(session=east, unit=law).update(
        split_by="level", split_values=[Student.Level.ACADEMIC_MASTER]
    )
    with pytest.raises(DomainError) as refused:
        _place_law_in_first(office, first, "major", ["刑法学"])
    assert refused.value.code == "split_overlap" and "东区体育馆" in refused.value.message


def test_students_a_split_leaves_out_block_publishing_and_show_on_the_schedule(
    notice, east, first, office, client, office_user
):
    law = east_unit()
    Capture.objects.create(student=StudentFactory(unit=law, major="刑法学"), campaign=notice)
    Capture.objects.create(student=StudentFactory(unit=law, major="民商法学"), campaign=notice)
    services.schedule_publish(actor=office, session_id=east.pk, publish=False)
    services.schedule_move_unit(
        actor=office,
        session_id=east.pk,
        unit_id=law.pk,
        slot_id=TimeSlot.objects.filter(session=east).first().pk,
        split_by="major",
        split_values=["刑法学"],
    )
    assert selectors.unassigned_students(notice.pk) == {"法学院": 1}
    with pytest.raises(DomainError) as refused:
        services.schedule_publish(actor=office, session_id=east.pk)
    assert refused.value.code == "incomplete" and "1 名学生不属于任何场次" in refused.value.message
    client.force_login(office_user)
    html = client.get(reverse("staff:schedule", args=[east.pk])).content.decode()
    assert 'id="stranded"' in html and "法学院 1" in html
    # The headcount counts the student the rule takes, not the one it leaves out.
    load = selectors.schedule_load(east)
    assert [n for w in load.windows for u, n in w.units if u.pk == law.pk] == [1]


def test_a_closed_sessions_door_says_so_and_records_nothing(notice, first):
    econ = _econ_student(notice, first)
    first.closed_at = timezone.now()
    first.save()
    door = device_client(Station.objects.get(session=first, name="北门-1"))
    answer = _scan(door, econ.student.student_no)
    assert answer["outcome"] == "red" and answer["code"] == "session_closed"
    assert not CaptureLog.objects.exists()


def test_a_closed_sessions_schedule_cannot_change(notice, first, office):
    first.closed_at = timezone.now()
    first.save()
    with pytest.raises(DomainError) as refused:
        services.schedule_move_unit(
            actor=office,
            session_id=first.pk,
            unit_id=TrainingUnit.objects.get(name="经济学院").pk,
            slot_id=TimeSlot.objects.filter(session=first).last().pk,
        )
    assert refused.value.code == "session_closed"


def test_a_makeup_session_before_the_first_session_is_refused(notice, office):
    with pytest.raises(DomainError) as refused:
        services.makeup_session_create(
            actor=office,
            campaign_id=notice.pk,
            date=dt.date(2024, 3, 1),
            start=dt.time(9, 0),
            end=dt.time(11, 0),
            place="补拍室",
            entry_door="南门",
            exit_door="北门",
            cameras=1,
        )
    assert refused.value.code == "invalid_times" and "2024-03-11" in refused.value.message
    assert not CaptureSession.objects.filter(kind="makeup").exists()


def test_the_calendar_entry_names_the_campus(client, law_student):
    token = pass_token(law_student.student_id, law_student.campaign_id)
    ics = client.get(reverse("pass_calendar", args=[token])).content.decode()
    assert "LOCATION:东校区 · 东区体育馆" in ics
