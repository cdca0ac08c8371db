"""Query counts of the staff pages, the boards, the public pages and the scan do not grow
with the number of students (100 → 10,000) nor with the number of sessions (1 → 6)."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from capture_portal.actors import Actor
from sessions import services
from sessions.models import Capture, CaptureSession, SlotUnit, Station, TimeSlot
from sessions.services.assignment import captures_assign_sessions
from sessions.tokens import pass_token
from tests.conftest import analyze_after_bulk, device_client
from tests.factories import UserFactory
from units.models import Student, TrainingUnit, UnitMembership

STAFF_PAGES = [
    "staff:index",
    "staff:roster_import",
    "staff:coordinators",
    "staff:absentees",
    "staff:stations",
    "staff:campaigns",
    "staff:makeup_new",
    "unit:list",
    "payments:reconciliation",
]
SESSION_PAGES = [
    "staff:schedule",
    "staff:live",
    "staff:close_session",
    "staff:shooting_numbers",
    "staff:walk_ins",
    "staff:schedule_print",
]


def _students(campaign, start, n):
    units = list(TrainingUnit.objects.order_by("pk"))
    students = Student.objects.bulk_create(
        Student(
            student_no=f"2022{i:08d}",
            name=f"学生{i}",
            unit=units[i % len(units)],
            cohort=2025,
            major=f"专业{i % 3}",
        )
        for i in range(start, start + n)
    )
    Capture.objects.bulk_create(Capture(student=s, campaign=campaign) for s in students)
    analyze_after_bulk()
    captures_assign_sessions(actor=Actor.system(), campaign_id=campaign.pk)


def _more_sessions(campaign, first, extra):
    """`extra` more sessions on other days and campuses, each taking every (extra+1)-th
    unit out of the first one (the rest stay)."""
    units = list(TrainingUnit.objects.order_by("pk"))
    for k in range(1, extra + 1):
        session = CaptureSession.objects.create(
            campaign=campaign,
            date=first.date + dt.timedelta(days=k),
            start=dt.time(9, 0),
            end=dt.time(12, 0),
            campus=f"校区{k}",
            place=f"体育馆{k}",
            schedule_published=True,
        )
        slot = TimeSlot.objects.create(session=session, start=dt.time(9, 0), end=dt.time(11, 0))
        for order, unit in enumerate(units[k :: extra + 1], start=1):
            SlotUnit.objects.filter(unit=unit).delete()
            SlotUnit.objects.create(session=session, slot=slot, unit=unit, order=order)
        Station.objects.create(session=session, name="北门-1", kind="photographed")
        Station.objects.create(session=session, name="南门-1", kind="arrival")
    captures_assign_sessions(actor=Actor.system(), campaign_id=campaign.pk)


def _count(fn):
    with CaptureQueriesContext(connection) as queries:
        response = fn()
    assert response.status_code == 200, response
    return len(queries)


def _counts(client, office_user, counsellor_user, door, campaign, first, scanned):
    client.force_login(office_user)
    found = {name: _count(lambda n=name: client.get(reverse(n))) for name in STAFF_PAGES}
    for name in SESSION_PAGES:
        found[name] = _count(lambda n=name: client.get(reverse(n, args=[first.pk])))
    makeup = CaptureSession.objects.get(campaign=campaign, kind=CaptureSession.Kind.MAKEUP)
    found["staff:makeup_move"] = _count(
        lambda: client.get(reverse("staff:makeup_move", args=[makeup.pk]))
    )
    unit = TrainingUnit.objects.order_by("pk").first()
    for name in ("unit:detail", "unit:coordinators", "payments:unit_fees"):
        found[name] = _count(lambda n=name: client.get(reverse(n, args=[unit.pk])))
    client.force_login(counsellor_user)
    found["unit:detail (counsellor)"] = _count(
        lambda: client.get(reverse("unit:detail", args=[unit.pk]))
    )
    client.logout()
    link = services.coordinator_link_rotate(
        actor=Actor.system(), campaign_id=campaign.pk, unit_id=unit.pk
    )
    found["payments:coordinator"] = _count(
        lambda: client.get(reverse("payments:coordinator", args=[link]))
    )
    found["home"] = _count(lambda: client.get(reverse("home")))
    found["board"] = _count(lambda: client.get(reverse("board_session_json", args=[first.pk])))
    capture = Capture.objects.get(student__student_no=scanned)
    token = pass_token(capture.student_id, campaign.pk)
    found["student"] = _count(lambda: client.get(reverse("student", args=[token])))
    found["scan"] = _count(
        lambda: door.post(
            reverse("station:scan"),
            json.dumps({"code": scanned, "idempotency_key": f"k-{scanned}"}),
            content_type="application/json",
        )
    )
    return found


@pytest.mark.django_db
def test_query_counts_stay_the_same_for_10000_students_and_6_sessions(client, notice, office_user):
    counsellor_user = UserFactory()
    UnitMembership.objects.create(
        user=counsellor_user, unit=TrainingUnit.objects.order_by("pk").first()
    )
    first = CaptureSession.objects.get(campaign=notice)
    CaptureSession.objects.create(
        campaign=notice,
        kind=CaptureSession.Kind.MAKEUP,
        date=first.date + dt.timedelta(days=10),
        start=dt.time(14, 0),
        end=dt.time(16, 0),
        place="补拍室",
    )
    door = device_client(Station.objects.get(session=first, name="北门-1"))
    # Students of the first unit stay in the first session whatever the split above.
    args = (client, office_user, counsellor_user, door, notice, first)
    # Every 14th student is of the first unit (the notice has 14), which stays in the
    # first session below: each scan is a green one there.
    _students(notice, 0, 100)
    small = _counts(*args, scanned="202200000000")
    _students(notice, 100, 9_900)
    large = _counts(*args, scanned="202200000014")
    assert large == small
    _more_sessions(notice, first, 5)
    assert CaptureSession.objects.filter(campaign=notice, kind="regular").count() == 6
    assert Capture.objects.filter(session=first).count() < 2_500  # 3 units of 14 stay
    many = _counts(*args, scanned="202200000028")
    assert many == small
