"""`seed_demo --campuses N --days D`: a campaign of N × D sessions, every student in one."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from sessions.models import Capture, CaptureSession, SlotUnit, Station, TimeSlot
from sessions.services.assignment import session_for
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db


def _placements():
    by_unit = {}
    for p in SlotUnit.objects.values("unit_id", "session_id", "split_by", "split_values"):
        by_unit.setdefault(p["unit_id"], []).append(p)
    return by_unit


def test_two_campuses_two_days_make_four_sessions_and_every_student_has_one():
    out = StringIO()
    call_command("seed_demo", students=300, campuses=2, days=2, stdout=out)
    sessions = list(CaptureSession.objects.order_by("date", "campus"))
    assert len(sessions) == 4
    assert {(s.date, s.campus) for s in sessions} == {
        (dt.date(2024, 3, 11), "东校区"),
        (dt.date(2024, 3, 11), "西校区"),
        (dt.date(2024, 3, 12), "东校区"),
        (dt.date(2024, 3, 12), "西校区"),
    }
    assert len({s.place for s in sessions if s.campus == "西校区"}) == 1
    assert all(s.schedule_published for s in sessions)
    assert "sessions: 4" in out.getvalue()

    # Every unit in exactly one session (no split: 14 units for 4 sessions).
    placements = _placements()
    assert set(placements) == set(TrainingUnit.objects.values_list("pk", flat=True))
    assert all(len(p) == 1 and p[0]["split_by"] == "" for p in placements.values())
    # Each session's windows hold only its own units, inside the session's hours.
    for s in sessions:
        slots = TimeSlot.objects.filter(session=s)
        assert slots.exists()
        assert all(s.start <= t.start < t.end <= s.end for t in slots)
        kinds = set(Station.objects.filter(session=s).values_list("kind", flat=True))
        assert kinds == {Station.Kind.ARRIVAL, Station.Kind.PHOTOGRAPHED}

    # Every capture sits in exactly one session, one whose schedule places its unit.
    assert Capture.objects.count() == 300
    assert not Capture.objects.filter(session__isnull=True).exists()
    for unit_id, session_id in Capture.objects.values_list("student__unit_id", "session_id"):
        assert session_id == placements[unit_id][0]["session_id"]


def test_more_sessions_than_units_split_the_largest_units_by_major():
    call_command("seed_demo", students=600, campuses=4, days=4, stdout=StringIO())
    assert CaptureSession.objects.count() == 16
    placements = _placements()
    split = {u: p for u, p in placements.items() if len(p) > 1}
    assert split, "16 sessions for 14 units: some unit must be split"
    for unit_placements in split.values():
        # One placement takes the rest, the others name majors; never twice in a session.
        assert sum(1 for p in unit_placements if p["split_by"] == "") == 1
        assert all(p["split_by"] in ("", "major") for p in unit_placements)
        assert len({p["session_id"] for p in unit_placements}) == len(unit_placements)
    assert all(SlotUnit.objects.filter(session=s).exists() for s in CaptureSession.objects.all())
    rows = Capture.objects.values(
        "session_id",
        "student__unit_id",
        "student__major",
        "student__level",
        "student__student_no",
    )
    order = {s.pk: i for i, s in enumerate(CaptureSession.objects.order_by("date", "start", "pk"))}
    for row in rows:
        unit_placements = sorted(
            placements[row["student__unit_id"]],
            key=lambda p: (p["split_by"] == "", order[p["session_id"]]),
        )
        assert row["session_id"] is not None
        assert row["session_id"] == session_for(unit_placements, row)
    # The split sends students of the named majors elsewhere: more than one session used.
    for unit_id in split:
        used = set(
            Capture.objects.filter(student__unit_id=unit_id).values_list("session_id", flat=True)
        )
        assert len(used) > 1


def test_a_second_run_changes_nothing():
    call_command("seed_demo", students=300, campuses=2, days=2, stdout=StringIO())
    before = (
        list(SlotUnit.objects.order_by("pk").values()),
        list(Station.objects.order_by("pk").values()),
        list(Capture.objects.order_by("pk").values_list("pk", "session_id")),
    )
    call_command("seed_demo", students=300, campuses=2, days=2, stdout=StringIO())
    after = (
        list(SlotUnit.objects.order_by("pk").values()),
        list(Station.objects.order_by("pk").values()),
        list(Capture.objects.order_by("pk").values_list("pk", "session_id")),
    )
    assert after == before


def test_the_default_stays_the_notices_one_afternoon():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    session = CaptureSession.objects.get()
    assert (session.campus, session.place) == ("", "第一教学楼一楼")
    assert SlotUnit.objects.count() == 14 and TimeSlot.objects.count() == 5
    assert Station.objects.count() == 4
    assert "sessions:" not in out.getvalue()
    assert not Capture.objects.exclude(session=session).exists()
