"""Device authentication for the station API: `Authorization: Device <token>`.

Header-authenticated, not cookie-authenticated: the station's requests carry no session
or CSRF cookie, so a sign-in or sign-out in another tab of the same browser cannot break
them (a stale CSRF token once made a queue of scans fail). Reading the token costs one
indexed query, which brings the station, its session and campaign with the device.
"""

import re
from functools import wraps

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from capture_portal.actors import Actor
from sessions.models import Device
from sessions.services.devices import digest

# What a station's requests read of their device: its station, session and campaign status,
# not the campaign's notice texts.
_READ = (
    "name",
    "station__name",
    "station__kind",
    "station__session__date",
    "station__session__place",
    "station__session__campus",
    # The English twins, for the station's header on an English page (capture_portal.localised).
    "station__session__place_en",
    "station__session__campus_en",
    "station__session__closed_at",
    "station__session__allow_cross_session",
    "station__session__campaign__status",
)
_HEADER = re.compile(r"^Device ([A-Za-z0-9_-]{20,100})$")


def device_for_request(request):
    """The active device named by the request's Authorization header, or None."""
    match = _HEADER.match(request.headers.get("Authorization", ""))
    if match is None:
        return None
    # No ORDER BY (the token is unique): composing Device's default ordering across three
    # joins cost more than the rest of the read.
    found = list(
        Device.objects.select_related("station__session__campaign")
        .filter(
            token_hash=digest(match.group(1)),
            revoked_at__isnull=True,
            paired_at__isnull=False,
            station__active=True,
        )
        .only(*_READ)
        .order_by()[:1]
    )
    return found[0] if found else None


def device_required(view):
    """The view runs with `request.device` and `request.actor`; otherwise 401 in JSON, which
    the station page shows and keeps its queue for."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        device = device_for_request(request)
        if device is None:
            response = JsonResponse(
                {
                    "ok": False,
                    "code": "device_unauthorized",
                    "message": _("本设备未配对或已被停用，请联系研究生学院重新配对。"),
                },
                status=401,
            )
            response["WWW-Authenticate"] = "Device"
            return response
        request.device = device
        request.actor = Actor.for_device(device)
        return view(request, *args, **kwargs)

    return wrapped
