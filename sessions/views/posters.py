"""The door poster (/staff/sessions/<id>/poster/): one A4 page per session for the doors and
notice boards, then small cards, one per unit, with the unit's window."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from capture_portal.permissions import office_required
from sessions import passes, selectors
from sessions.models import CaptureSession


@office_required
@require_GET
def poster(request, session_id):
    # Three queries whatever the roster: the session, its windows, their units.
    session = get_object_or_404(CaptureSession.objects.select_related("campaign"), pk=session_id)
    windows = selectors.schedule_windows(session)
    lookup_url = request.build_absolute_uri(reverse("lookup"))
    cards = [(w.slot, unit) for w in windows for unit in w.units]
    return render(
        request,
        "capture_sessions/staff/poster.html",
        {
            "session": session,
            "campaign": session.campaign,
            "windows": windows,
            "cards": cards,
            "lookup_url": lookup_url,
            "lookup_qr": passes.qr_data_uri(lookup_url),
        },
    )
