"""The embedded rate-limit store: shared by every process (it is the database) and exact
under concurrent increments (one UPDATE … value + 1 each)."""

import datetime as dt
import threading

import pytest
from django.core.cache import caches
from django.db import connections
from django.utils import timezone

from capture_portal.models import RateCounter


@pytest.fixture
def counters(db):
    return caches["ratelimit"]


def test_rate_limits_count_in_the_shared_counters(settings):
    assert settings.RATELIMIT_USE_CACHE == "ratelimit"
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    assert "django_ratelimit.E003" not in settings.SILENCED_SYSTEM_CHECKS


def test_add_once_then_increment(counters):
    assert counters.add("k", 1, 60)
    assert not counters.add("k", 1, 60)
    assert counters.incr("k") == 2
    assert counters.get("k") == 2
    with pytest.raises(ValueError):
        counters.incr("missing")
    assert counters.get("missing", 7) == 7


def test_a_check_at_zero_writes_nothing(counters):
    assert counters.add("checked", 0, 60)  # absent and zero are the same to the limits
    assert not RateCounter.objects.exists()
    assert counters.add("checked", 1, 60)
    assert counters.incr("checked") == 2


def test_an_expired_counter_starts_again(counters):
    counters.add("k", 5, 60)
    RateCounter.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert counters.get("k") is None
    assert counters.add("k", 1, 60)
    assert counters.get("k") == 1


def test_a_new_counter_now_and_then_sweeps_the_expired_ones(counters, monkeypatch):
    # The suite holds the dice at "never" (conftest); here they always sweep.
    monkeypatch.setattr("capture_portal.counters.SWEEP_CHANCE", 1.0)
    counters.add("old", 3, 60)
    RateCounter.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    counters.add("live", 1, 60)
    counters.add("new", 1, 60)
    assert sorted(RateCounter.objects.values_list("key", flat=True)) == [
        counters.make_key("live"),
        counters.make_key("new"),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_are_all_counted():
    counters = caches["ratelimit"]
    counters.add("hot", 1, 600)
    barrier = threading.Barrier(8)
    errors = []

    def work():
        try:
            barrier.wait()
            for _ in range(25):
                counters.incr("hot")
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert counters.get("hot") == 201
