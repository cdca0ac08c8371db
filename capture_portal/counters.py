"""A cache backend for counters that every process of a machine shares, with atomic
increments: the embedded store of the lookup's rate limits (django-ratelimit).

Django's own database cache is shared but increments by reading and writing back, so two
workers counting at once can lose a count (django-ratelimit refuses it for that reason);
the per-process memory cache counted each limit once per worker. Here a counter is a row
of capture_portal.RateCounter, created once per window and incremented by one UPDATE …
SET value = value + 1 (on the ORM: F()). Production with several machines uses Redis
through CACHE_URL instead. Only what django-ratelimit calls is meaningful: add, incr, get.
"""

import datetime as dt
import random

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

FOREVER = dt.timedelta(days=3650)
SWEEP_CHANCE = 0.01


class CounterCache(BaseCache):
    def __init__(self, location, params):
        super().__init__(params)

    @staticmethod
    def _rows():
        from capture_portal.models import RateCounter

        return RateCounter.objects

    def _expires(self, timeout):
        seconds = self.default_timeout if timeout is DEFAULT_TIMEOUT else timeout
        return timezone.now() + (FOREVER if seconds is None else dt.timedelta(seconds=seconds))

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # django-ratelimit's keys name their window, so a key is added once and its row is
        # garbage after it expires: swept now and then, not on every request. A counter
        # added at 0 (a check that counts nothing) is not written: to django-ratelimit an
        # absent counter and a zero are the same, and its next count adds the row at 1. So
        # a lookup that finds its student writes nothing.
        if self.get(key, version=version) is not None:
            return False
        if value == 0:
            return True
        key = self.make_and_validate_key(key, version=version)
        now = timezone.now()
        try:
            with transaction.atomic():
                self._rows().create(key=key, value=value, expires=self._expires(timeout))
        except IntegrityError:
            expired = self._rows().filter(key=key, expires__lte=now)
            # A key used again after it expired (not django-ratelimit's way) starts over.
            return bool(expired.update(value=value, expires=self._expires(timeout)))
        if random.random() < SWEEP_CHANCE:
            self._rows().filter(expires__lt=now).delete()
        return True

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        now = timezone.now()
        if not self._rows().filter(key=key, expires__gt=now).update(value=F("value") + delta):
            raise ValueError(f"Key '{key}' not found")
        return self._rows().filter(key=key).values_list("value", flat=True).first()

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        value = (
            self._rows()
            .filter(key=key, expires__gt=timezone.now())
            .values_list("value", flat=True)
            .first()
        )
        return default if value is None else value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        self._rows().update_or_create(
            key=key, defaults={"value": value, "expires": self._expires(timeout)}
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(self._rows().filter(key=key).update(expires=self._expires(timeout)))

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(self._rows().filter(key=key).delete()[0])

    def clear(self):
        self._rows().all().delete()
