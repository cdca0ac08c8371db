"""Door stations (/station/…): station accounts and the office.

The scan endpoint answers JSON to the page's script and HTML to a plain form post, so a
station keeps working without JavaScript. No roster is listed until something is
searched: a browsable list would leak, and a phone in a pocket could tick people."""

import json

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import station_required
from sessions import selectors, services
from sessions.models import Station


def _station(station_id):
    station = (
        Station.objects.select_related("session__campaign")
        .filter(pk=station_id, active=True)
        .first()
    )
    if station is None:
        raise Http404
    return station


def _wants_json(request):
    return request.content_type == "application/json"


def _payload(request):
    if _wants_json(request):
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}
    return request.POST


@station_required
@require_GET
def station_list(request):
    campaign = selectors.office_campaign()
    stations = (
        Station.objects.filter(session__campaign=campaign, active=True).select_related("session")
        if campaign
        else []
    )
    return render(request, "capture_sessions/station/list.html", {"stations": stations})


def _int(data, key):
    try:
        return int(data.get(key))
    except (TypeError, ValueError):
        return 0


def _reply(request, station, message, ok=True, code="", **extra):
    """A short answer: JSON for the page's script, a message and a redirect without it."""
    if _wants_json(request):
        return JsonResponse(
            {"ok": ok, "code": code, "message": message, **extra}, status=200 if ok else 409
        )
    (messages.success if ok else messages.error)(request, message)
    return redirect("station:screen", station.pk)


def _render_screen(request, station, answer=None, status=200):
    return render(
        request,
        "capture_sessions/station/screen.html",
        {"station": station, "answer": answer, "recent": selectors.station_recent(station)},
        status=status,
    )


@station_required
@require_GET
def station_screen(request, station_id):
    return _render_screen(request, _station(station_id))


@station_required
@require_POST
def station_scan(request, station_id):
    data = _payload(request)
    occurred_at = (
        parse_datetime(str(data.get("occurred_at") or "")) if data.get("occurred_at") else None
    )
    capture_id = data.get("capture_id")
    try:
        capture_id = int(capture_id) if capture_id not in (None, "") else None
    except (TypeError, ValueError):
        capture_id = None
    confirm = str(data.get("confirm", "")).lower() in ("1", "true", "on", "yes")
    key = str(data.get("key") or "")[:64] or None
    try:
        answer = services.scan_record(
            actor=Actor.of(request.user),
            station_id=station_id,
            code=str(data.get("code") or "")[:200],
            capture_id=capture_id,
            idempotency_key=key,
            occurred_at=occurred_at,
            confirm=confirm,
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from None
        raise
    if _wants_json(request):
        return JsonResponse(answer.as_json())
    return _render_screen(request, _station(station_id), answer)


@station_required
@require_POST
def station_undo(request, station_id):
    station = _station(station_id)
    try:
        result = services.scan_undo(
            actor=Actor.of(request.user, label=station.name),
            station_id=station.pk,
            log_id=_int(_payload(request), "log_id"),
        )
    except DomainError as exc:
        return _reply(request, station, exc.message, ok=False, code=exc.code)
    message = _("已撤销：%(name)s，现为“%(status)s”") % {
        "name": result.capture.student.name,
        "status": result.capture.get_status_display(),
    }
    return _reply(request, station, message, status=result.capture.status)


@station_required
@require_POST
def station_shooting_no(request, station_id):
    station = _station(station_id)
    data = _payload(request)
    try:
        capture = services.capture_set_shooting_no(
            actor=Actor.of(request.user, label=station.name),
            station_id=station.pk,
            capture_id=_int(data, "capture_id"),
            shooting_no=str(data.get("shooting_no") or ""),
        )
    except DomainError as exc:
        return _reply(request, station, exc.message, ok=False, code=exc.code)
    message = _("拍摄号 %(no)s 已记录（%(name)s）") % {
        "no": capture.shooting_no,
        "name": capture.student.name,
    }
    return _reply(request, station, message)
