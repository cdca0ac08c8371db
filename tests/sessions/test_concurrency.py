"""Races at the doors, on PostgreSQL (SQLite serialises writers, so it proves nothing here).

Without the row lock in `sessions.services.captures._perform` (select_for_update) the first
test fails: threads read `expected` together and each writes its own transition.
"""

import threading

import pytest
from django.db import connection, connections

from capture_portal.exceptions import DomainError
from sessions import services
from sessions.models import Capture, CaptureLog
from tests.conftest import device_actor, device_client, station_of
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
def door():
    """(campaign, device actor at its exit door) for the service-level races."""
    campaign = CampaignFactory()
    return campaign, device_actor(campaign)


def _captures(campaign, count):
    unit = TrainingUnitFactory()
    return [
        CaptureFactory(campaign=campaign, student=StudentFactory(unit=unit)) for _ in range(count)
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_student_photographed_at_once_yields_one_transition(door):
    assert connection.vendor == "postgresql"
    campaign, actor = door
    captures = _captures(campaign, 20)

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
def test_different_students_at_once_lose_none(door):
    per_thread = 25
    campaign, actor = door
    captures = _captures(campaign, THREADS * per_thread)

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
def test_same_idempotency_key_at_once_writes_once(door):
    campaign, actor = door
    (capture,) = _captures(campaign, 1)
    key = services.captures.client_key(actor.device.pk, "dup-key-1")

    def work(i):
        try:
            r = services.capture_arrive(actor=actor, capture_id=capture.pk, idempotency_key=key)
            return [r.log.pk]
        except DomainError as exc:
            return [exc.code]

    results, errors = _run_together(work)
    assert errors == []
    assert len(set(results)) == 1  # everyone got the first answer
    assert CaptureLog.objects.count() == 1


RACES = 120


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_undo_of_an_arrival_racing_the_photograph_never_reverts_the_photograph():
    """The entry door undoes an arrival while the exit door photographs the same student,
    RACES times, each pair started together. Whichever wins, the student ends up
    photographed: the undo checks under the row's lock that the arrival is still the
    latest step (it was not: 9 of 130 such races once reverted the photograph)."""
    campaign = CampaignFactory()
    south = device_actor(campaign, name="南门-1", kind="arrival")
    north = device_actor(campaign, name="北门-1", kind="photographed")
    captures = _captures(campaign, RACES)
    arrivals = [
        services.capture_arrive(actor=south, capture_id=c.pk, station="南门-1").log.pk
        for c in captures
    ]
    barrier = threading.Barrier(2)
    outcomes = {"undone": 0, "superseded": 0}

    def work(i):
        done = []
        for capture, arrival in zip(captures, arrivals, strict=True):
            barrier.wait()
            if i == 0:
                try:
                    services.scan_undo(actor=south, log_id=arrival)
                    outcomes["undone"] += 1
                except DomainError as exc:
                    assert exc.code == "superseded", exc.code
                    outcomes["superseded"] += 1
            else:
                done.append(
                    services.capture_photograph(
                        actor=north, capture_id=capture.pk, station="北门-1"
                    ).changed
                )
        return done

    results, errors = _run_together(work, n=2)
    assert errors == []
    assert results == [True] * RACES
    assert outcomes["undone"] + outcomes["superseded"] == RACES
    assert Capture.objects.filter(status=Capture.Status.PHOTOGRAPHED).count() == RACES
    assert not CaptureLog.objects.filter(action="undo", from_status="photographed").exists()


def _station_setup(n):
    from sessions.models import Station

    campaign = CampaignFactory()
    station = station_of(campaign)
    assert isinstance(station, Station)
    return station, _captures(campaign, n)


def _scan_all(station, captures, prefix):
    import json

    from django.urls import reverse

    client = device_client(station)
    url = reverse("station:scan")
    outcomes = []
    for c in captures:
        response = client.post(
            url,
            json.dumps({"code": c.student.student_no, "key": f"{prefix}-{c.pk:08d}"}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:200]
        outcomes.append(response.json()["outcome"])
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_devices_scanning_the_same_200_students_record_each_once():
    station, captures = _station_setup(200)
    results, errors = _run_together(
        lambda i: _scan_all(station, captures if i == 0 else captures[::-1], f"dev{i}"), n=2
    )
    assert errors == []
    assert results.count("green") == 200 and results.count("yellow") == 200
    assert CaptureLog.objects.count() == 200
    assert Capture.objects.filter(status=Capture.Status.PHOTOGRAPHED).count() == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_devices_scanning_different_students_lose_none():
    station, captures = _station_setup(400)
    results, errors = _run_together(
        lambda i: _scan_all(station, captures[i * 200 : (i + 1) * 200], f"dev{i}"), n=2
    )
    assert errors == []
    assert results == ["green"] * 400
    assert CaptureLog.objects.count() == 400
    assert Capture.objects.filter(status=Capture.Status.PHOTOGRAPHED).count() == 400
