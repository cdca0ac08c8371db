"""Door stations (/station/…): a paired device's page and its JSON API.

The page is a shell without personal data, the same for every device, so that a service
worker can serve it when the venue's network is down; its script reads the device token
from the browser's storage and talks to the API below with `Authorization: Device …`
(sessions.devices). No roster is listed until something is scanned: a browsable list would
leak, and a phone in a pocket could tick people.

Every API answer is JSON. 200: an answer about the scan (its colour says what happened);
400: the request itself is malformed (it will never be recorded as sent); 401: the device
is not (or no longer) paired; 409: the scan conflicts with what the server holds (a key
already used for someone else, a scan queued for another station). Nothing here answers
5xx on bad input.
"""

import datetime as dt
import json
import re

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from capture_portal.exceptions import DomainError
from capture_portal.localised import localised
from sessions import selectors, services
from sessions.announcements import announcements_json, live_announcements
from sessions.devices import device_required

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_ID = 2**63 - 1
# Codes of refusals about the request, not about the student: HTTP status for each.
_STATUS = {
    "bad_time": 400,
    "invalid": 400,
    "forbidden": 403,
    "not_found": 404,
    "key_conflict": 409,
    "station_mismatch": 409,
}


class BadRequest(Exception):
    pass


@require_GET
def station_app(request):
    """The station page: a shell that the device's script fills in."""
    return render(request, "capture_sessions/station/app.html")


@require_GET
def service_worker(request):
    """Keeps the station page's shell, script and styles, so that a reload while the
    network is down shows the station with its queue, not the browser's error page."""
    shell = [reverse("station:app"), static("js/station.js"), static("css/site.css")]
    body = render(
        request,
        "capture_sessions/station/sw.js",
        {"shell": json.dumps(shell)},
        content_type="text/javascript",
    ).content
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def pair(request):
    """A pairing link opened in the station's browser: /station/pair/#<code>. The code is
    in the fragment, which browsers never send, so it stays out of every server's access
    log; the page's script puts it into the form. GET asks (a link preview must not use the
    code up); POST pairs and hands the token to the page's script."""
    if request.method == "GET":
        return render(request, "capture_sessions/station/pair.html")
    try:
        device, token = services.device_pair(code=request.POST.get("code", ""))
    except DomainError as exc:
        return render(
            request, "capture_sessions/station/pair.html", {"error": exc.message}, status=410
        )
    return render(
        request, "capture_sessions/station/paired.html", {"device": device, "token": token}
    )


def _payload(request):
    if request.content_type != "application/json":
        raise BadRequest(_("请求格式错误：需要 JSON。"))
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest(_("请求格式错误：JSON 无法解析。")) from None
    if not isinstance(data, dict):
        raise BadRequest(_("请求格式错误：需要 JSON 对象。"))
    return data


def _text(data, name, limit, required=False):
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(_("缺少字段：%(name)s") % {"name": name})
        return ""
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise BadRequest(_("字段 %(name)s 无效。") % {"name": name})
    return value


def _id(data, name, required=False):
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(_("缺少字段：%(name)s") % {"name": name})
        return None
    if isinstance(value, str) and value.isdigit() and len(value) < 20:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise BadRequest(_("字段 %(name)s 无效。") % {"name": name})
    return value


def _time(data):
    value = data.get("occurred_at")
    if value is None or value == "":
        return None
    parsed = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise BadRequest(_("扫描时间格式错误。"))
    if timezone.is_naive(parsed):
        raise BadRequest(_("扫描时间缺少时区。"))
    try:
        parsed.astimezone(dt.UTC)
    except OverflowError:
        raise BadRequest(_("扫描时间超出范围。")) from None
    return parsed


def _key(data):
    key = data.get("key")
    if key is None or key == "":
        return None
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise BadRequest(_("请求编号无效（8–64 位字母、数字、- 或 _）。"))
    return key


def _refused(code, message, status):
    return JsonResponse({"outcome": "error", "code": code, "message": message}, status=status)


def _api(view):
    """Device authentication, and every malformed request or refused scan as a 4xx."""

    @device_required
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return _refused("bad_request", str(exc), 400)
        except DomainError as exc:
            return _refused(exc.code, exc.message, _STATUS.get(exc.code, 409))

    wrapped.__name__ = view.__name__
    return wrapped


@never_cache
@require_GET
@_api
def api_status(request):
    """The device's station, and its recent scans (names, for undo)."""
    device = request.device
    station = device.station
    session = station.session
    return JsonResponse(
        {
            "device": {"id": device.pk, "name": device.name},
            "station": {
                "id": station.pk,
                "name": station.name,
                "kind": station.kind,
                "kind_display": station.get_kind_display(),
            },
            "session": {
                "date": session.date.isoformat(),
                "campus": localised(session, "campus"),
                "place": localised(session, "place"),
                "closed": session.closed_at is not None,
            },
            "recent": [_recent_json(log) for log in selectors.station_recent(station, limit=10)],
            # The campaign's and this session's; station.js shows them in its banner.
            "announcements": announcements_json(
                live_announcements(session.campaign_id, session.pk)
            ),
        }
    )


def _recent_json(log):
    student = log.capture.student
    return {
        "log_id": log.pk,
        "action": log.action,
        "occurred_at": log.occurred_at.isoformat(),
        "name": student.name,
        "unit": localised(student.unit, "name"),
        "status_display": log.get_to_status_display(),
        "undoable": log.action in ("arrive", "photograph"),
    }


@require_POST
@_api
def api_scan(request):
    data = _payload(request)
    answer = services.scan_record(
        actor=request.actor,
        station_id=_id(data, "station"),
        code=_text(data, "code", 200),
        capture_id=_id(data, "capture_id"),
        idempotency_key=_key(data),
        occurred_at=_time(data),
        confirm=data.get("confirm") is True,
        paper=data.get("paper") is True,
    )
    return JsonResponse(answer.as_json())


@require_POST
@_api
def api_undo(request):
    data = _payload(request)
    result = services.scan_undo(actor=request.actor, log_id=_id(data, "log_id", required=True))
    message = _("已撤销：%(name)s，现为“%(status)s”") % {
        "name": result.capture.student.name,
        "status": result.capture.get_status_display(),
    }
    return JsonResponse({"ok": True, "message": message, "status": result.capture.status})


@require_POST
@_api
def api_shooting_no(request):
    data = _payload(request)
    result = services.scan_shooting_no(
        actor=request.actor,
        log_id=_id(data, "log_id", required=True),
        shooting_no=_text(data, "shooting_no", 30, required=True),
    )
    message = _("拍摄号 %(no)s 已记录（%(name)s）") % {
        "no": result.capture.shooting_no,
        "name": result.capture.student.name,
    }
    return JsonResponse({"ok": True, "message": message})


def _typed(data, name):
    """A field typed by the operator, as sent: the service says what is wrong with it."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 1000:
        raise BadRequest(_("字段 %(name)s 无效。") % {"name": name})
    return value


@require_POST
@_api
def api_walk_in(request):
    """Record a person who is not on the roster (sessions.services.walkins)."""
    data = _payload(request)
    walkin = services.walkin_record(
        actor=request.actor,
        station_id=_id(data, "station"),
        student_no=_typed(data, "student_no"),
        name=_typed(data, "name"),
        unit_text=_typed(data, "unit_text"),
        idempotency_key=_key(data),
        occurred_at=_time(data),
    )
    message = _("已登记名单外人员：%(name)s（%(no)s），研究生学院将在事后核对。") % {
        "name": walkin.name,
        "no": walkin.student_no,
    }
    return JsonResponse({"ok": True, "message": message, "walkin_id": walkin.pk})
