"""Station devices: created and revoked by the office, paired once by a browser.

A device is a browser at one station (DESIGN.md §2). It holds a random token and sends it
as `Authorization: Device <token>`; the server keeps only the token's SHA-256
(sessions.devices reads it). Pairing another browser goes through a one-time code that
the office shows as a link and QR code: it is good for PAIRING_TTL, once.
"""

import datetime as dt
import hashlib
import logging
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.models import Device, Station

logger = logging.getLogger(__name__)
PAIRING_TTL = dt.timedelta(minutes=15)


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def _office(actor):
    if not actor.is_office:
        raise DomainError(_("只有研究生学院工作人员可以管理站点设备。"), "forbidden")


def _station(station_id):
    station = Station.objects.select_related("session").filter(pk=station_id, active=True).first()
    if station is None:
        raise DomainError(_("找不到该站点。"), "not_found")
    return station


def _name(station, name):
    name = (name or "").strip()[:50]
    return name or f"{station.name} · {timezone.localtime():%m-%d %H:%M:%S}"


def device_create(*, actor, station_id, name=""):
    """A device for the station, paired at once (the office pairs the browser it is using).
    Returns (device, token); the token is shown once and never stored."""
    _office(actor)
    station = _station(station_id)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    device = Device.objects.create(
        station=station,
        name=_name(station, name),
        token_hash=digest(token),
        created_by=actor.user,
        paired_at=now,
    )
    logger.info("device %s created and paired for station %s by %s", device.pk, station.pk, actor)
    return device, token


def device_pairing_create(*, actor, station_id, name=""):
    """A device waiting to be paired by another browser. Returns (device, one-time code)."""
    _office(actor)
    station = _station(station_id)
    code = secrets.token_urlsafe(24)
    device = Device.objects.create(
        station=station,
        name=_name(station, name),
        pairing_hash=digest(code),
        pairing_expires_at=timezone.now() + PAIRING_TTL,
        created_by=actor.user,
    )
    logger.info("device %s pairing code issued for station %s by %s", device.pk, station.pk, actor)
    return device, code


def device_pair(*, code):
    """Turn a pairing code into the device's token, once. Returns (device, token).
    Codes: ``pairing_invalid`` (unknown, used, expired or revoked)."""
    invalid = DomainError(
        _("配对链接无效、已使用或已过期，请在研究生学院的站点页面重新生成。"), "pairing_invalid"
    )
    if not code or len(code) > 100:
        raise invalid
    with transaction.atomic():
        device = (
            Device.objects.select_for_update()
            .select_related("station")
            .filter(pairing_hash=digest(code), revoked_at__isnull=True)
            .first()
        )
        if device is None or device.pairing_expires_at < timezone.now():
            raise invalid
        token = secrets.token_urlsafe(32)
        device.token_hash = digest(token)
        device.pairing_hash = None
        device.pairing_expires_at = None
        device.paired_at = timezone.now()
        device.save(update_fields=["token_hash", "pairing_hash", "pairing_expires_at", "paired_at"])
    logger.info("device %s paired", device.pk)
    return device, token


def device_revoke(*, actor, device_id):
    """Stop a device at once: its next request is refused (401). Revoking twice is a no-op."""
    _office(actor)
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(pk=device_id).first()
        if device is None:
            raise DomainError(_("找不到该设备。"), "not_found")
        if device.revoked_at is not None:
            return device
        device.revoked_at = timezone.now()
        device.revoked_by = actor.user
        device.pairing_hash = None
        device.save(update_fields=["revoked_at", "revoked_by", "pairing_hash"])
    logger.info("device %s revoked by %s", device.pk, actor)
    return device
