"""The waiting-area boards: one per session (place), no sign-in, no personal names;
they refresh themselves. `/board/` shows the only session, or lets one choose."""

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from sessions import selectors
from sessions.models import CaptureSession

EMPTY = {
    "time": None,
    "current": None,
    "next": None,
    "units": [],
    "overall": {"done": 0, "total": 0},
}


def _public_session(session_id):
    """A session of the published campaign, or 404 (a draft's or an old campaign's board
    is nobody's business)."""
    session = selectors.public_session(session_id)
    if session is None:
        raise Http404
    return session


@require_safe
def board(request):
    sessions = selectors.public_sessions()
    if len(sessions) == 1:
        return render(request, "capture_sessions/board.html", {"session": sessions[0]})
    return render(request, "capture_sessions/board_choose.html", {"sessions": sessions})


@require_safe
def board_session(request, session_id):
    return render(request, "capture_sessions/board.html", {"session": _public_session(session_id)})


def _data(session):
    # A make-up session has no windows to publish: its board runs from its students.
    if session is None or not (
        session.schedule_published or session.kind == CaptureSession.Kind.MAKEUP
    ):
        if session is None:
            return JsonResponse(EMPTY)
        # Before the schedule is out, the screen still carries the office's announcements.
        from sessions.announcements import announcements_json, live_announcements

        live = live_announcements(session.campaign_id, session.pk)
        return JsonResponse({**EMPTY, "announcements": announcements_json(live)})
    return JsonResponse(selectors.board_data(session))


@never_cache
@require_safe
def board_json(request):
    """The only session's board data (empty when there are several: each board asks for
    its own)."""
    sessions = selectors.public_sessions()
    return _data(sessions[0] if len(sessions) == 1 else None)


@never_cache
@require_safe
def board_session_json(request, session_id):
    return _data(_public_session(session_id))
