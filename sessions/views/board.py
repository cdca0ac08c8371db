"""The waiting-area board: no sign-in, no personal names; refreshes itself."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from sessions import selectors


def _session():
    campaign = selectors.current_campaign()
    return campaign.sessions.first() if campaign else None


@require_safe
def board(request):
    return render(request, "capture_sessions/board.html", {"session": _session()})


@never_cache
@require_safe
def board_json(request):
    session = _session()
    if session is None or not session.schedule_published:
        return JsonResponse(
            {
                "time": None,
                "current": None,
                "next": None,
                "units": [],
                "overall": {"done": 0, "total": 0},
            }
        )
    return JsonResponse(selectors.board_data(session))
