"""Closing a session moves everyone still pending in chunks, inside one transaction, so
that no statement exceeds the database's parameter limit (65,535 on PostgreSQL)."""

import datetime as dt

import pytest
from django.utils import timezone

from capture_portal.exceptions import DomainError
from sessions import services
from sessions.models import Capture, CaptureLog, CaptureSession, SlotUnit
from sessions.services import captures
from tests.conftest import analyze_after_bulk
from units.models import Student, TrainingUnit

S = Capture.Status


def _after_end():
    return timezone.make_aware(dt.datetime(2024, 3, 11, 16, 5))


def _pending(n, campaign):
    unit = TrainingUnit.objects.get(
        pk=SlotUnit.objects.filter(session__campaign=campaign).values("unit_id")[:1]
    )
    students = Student.objects.bulk_create(
        (
            Student(student_no=f"9{i:011d}", name=f"学生{i}", unit=unit, cohort=2025)
            for i in range(n)
        ),
        batch_size=5_000,
    )
    Capture.objects.bulk_create(
        (Capture(student=s, campaign=campaign) for s in students), batch_size=5_000
    )
    analyze_after_bulk()


@pytest.mark.django_db
def test_closing_works_in_chunks_all_or_nothing(office, notice, monkeypatch):
    monkeypatch.setattr(captures, "CHUNK", 7)
    _pending(30, notice)
    session = CaptureSession.objects.get()
    assert services.session_close(actor=office, session_id=session.pk, now=_after_end()) == 30
    assert Capture.objects.filter(status=S.ABSENT).count() == 30
    assert CaptureLog.objects.filter(action="mark_absent").count() == 30


@pytest.mark.django_db
def test_a_failure_in_a_later_chunk_leaves_every_chunk_unchanged(office, notice, monkeypatch):
    monkeypatch.setattr(captures, "CHUNK", 7)
    _pending(30, notice)
    real_write = captures._write
    calls = []

    def fail_on_third(moves, **kwargs):
        calls.append(len(moves))
        if len(calls) == 3:
            raise DomainError("boom", "test")
        return real_write(moves, **kwargs)

    monkeypatch.setattr(captures, "_write", fail_on_third)
    with pytest.raises(DomainError):
        services.session_close(
            actor=office, session_id=CaptureSession.objects.get().pk, now=_after_end()
        )
    assert Capture.objects.filter(status=S.EXPECTED).count() == 30
    assert not CaptureLog.objects.exists()
    assert CaptureSession.objects.get().closed_at is None


@pytest.mark.postgres
@pytest.mark.django_db
def test_closing_more_pending_students_than_one_statement_can_name(office, notice):
    """66,000 pending: one UPDATE … WHERE id IN (…) of them all needs more than PostgreSQL's
    65,535 parameters (server-side binding, as configured)."""
    _pending(66_000, notice)
    session = CaptureSession.objects.get()
    assert services.session_close(actor=office, session_id=session.pk, now=_after_end()) == 66_000
    assert Capture.objects.filter(status=S.ABSENT).count() == 66_000
