"""Races at the doors, on PostgreSQL (SQLite serialises writers, so it proves nothing here).

Without the row lock in `sessions.services.captures._lock` the first test fails: threads read
`expected` together and each writes its own transition.
"""

import threading

import pytest
from django.db import connection, connections

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import services
from sessions.models import Capture, CaptureLog
from tests.factories import CampaignFactory, CaptureFactory, StudentFactory, TrainingUnitFactory

THREADS = 8


def _run_together(work, n=THREADS):
    """Start n threads at the same instant; collect results and unexpected errors."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        try:
            barrier.wait()
            results.extend(work(i))
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


@pytest.fixture
def setup_captures(station_user):
    def make(count):
        campaign = CampaignFactory()
        unit = TrainingUnitFactory()
        return [
            CaptureFactory(campaign=campaign, student=StudentFactory(unit=unit))
            for _ in range(count)
        ]

    return make


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_student_photographed_at_once_yields_one_transition(station_user, setup_captures):
    assert connection.vendor == "postgresql"
    captures = setup_captures(20)
    actor = Actor.of(station_user, label="北门-1")

    def work(i):
        return [
            services.capture_photograph(actor=actor, capture_id=c.pk, station=f"北门-{i}").changed
            for c in captures
        ]

    results, errors = _run_together(work)
    assert errors == []
    assert results.count(True) == len(captures)  # exactly one winner per student
    assert CaptureLog.objects.count() == len(captures)
    assert Capture.objects.filter(status=Capture.Status.PHOTOGRAPHED).count() == len(captures)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_different_students_at_once_lose_none(station_user, setup_captures):
    per_thread = 25
    captures = setup_captures(THREADS * per_thread)
    actor = Actor.of(station_user, label="北门")

    def work(i):
        mine = captures[i * per_thread : (i + 1) * per_thread]
        return [services.capture_photograph(actor=actor, capture_id=c.pk).changed for c in mine]

    results, errors = _run_together(work)
    assert errors == []
    assert results == [True] * len(captures)
    assert CaptureLog.objects.count() == len(captures)
    assert Capture.objects.filter(status=Capture.Status.PHOTOGRAPHED).count() == len(captures)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_from_two_devices_writes_once(station_user, setup_captures):
    (capture,) = setup_captures(1)
    actor = Actor.of(station_user)

    def work(i):
        try:
            r = services.capture_arrive(actor=actor, capture_id=capture.pk, idempotency_key="dup")
            return [r.log.pk]
        except DomainError as exc:
            return [exc.code]

    results, errors = _run_together(work)
    assert errors == []
    assert len(set(results)) == 1  # everyone got the first answer
    assert CaptureLog.objects.count() == 1
