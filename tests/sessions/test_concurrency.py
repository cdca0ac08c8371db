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


def _station_setup(n):
    from django.contrib.auth.models import Group

    from sessions.models import CaptureSession, Station
    from tests.factories import CaptureSessionFactory, UserFactory

    campaign = CampaignFactory()
    session = CaptureSessionFactory(campaign=campaign)
    assert isinstance(session, CaptureSession)
    station = Station.objects.create(session=session, name="北门-1", kind="photographed")
    unit = TrainingUnitFactory()
    captures = [
        CaptureFactory(campaign=campaign, student=StudentFactory(unit=unit)) for _ in range(n)
    ]
    user = UserFactory(username="door")
    user.groups.add(Group.objects.get_or_create(name="station")[0])
    return station, captures, user


def _scan_all(station, user, captures, prefix):
    import json

    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    url = reverse("station:scan", args=[station.pk])
    outcomes = []
    for c in captures:
        response = client.post(
            url,
            json.dumps({"code": c.student.student_no, "key": f"{prefix}-{c.pk}"}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:200]
        outcomes.append(response.json()["outcome"])
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_devices_scanning_the_same_200_students_record_each_once():
    station, captures, user = _station_setup(200)
    results, errors = _run_together(
        lambda i: _scan_all(station, user, captures if i == 0 else captures[::-1], f"dev{i}"),
        n=2,
    )
    assert errors == []
    assert results.count("green") == 200 and results.count("yellow") == 200
    assert CaptureLog.objects.count() == 200
    assert Capture.objects.filter(status=Capture.Status.PHOTOGRAPHED).count() == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_devices_scanning_different_students_lose_none():
    station, captures, user = _station_setup(400)
    results, errors = _run_together(
        lambda i: _scan_all(station, user, captures[i * 200 : (i + 1) * 200], f"dev{i}"), n=2
    )
    assert errors == []
    assert results == ["green"] * 400
    assert CaptureLog.objects.count() == 400
    assert Capture.objects.filter(status=Capture.Status.PHOTOGRAPHED).count() == 400
