from django.db import models


class RateCounter(models.Model):
    """One counter of the embedded rate-limit store (capture_portal.counters)."""

    key = models.CharField(max_length=255, unique=True)
    value = models.BigIntegerField()
    expires = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.key
