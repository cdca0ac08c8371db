"""Delivered photos after the intake (issue 15, points 3 and 4): the office's overview per
session and per unit, a unit's missing and faulty photos with the re-capture, the
permission-checked photo view, and the hand-over archives for the office and a unit's
counsellor.

Photos are personal data: they live in the private photo storage (no public address) and
leave it only through `photo` (by the photo's random token, for the office and the
student's unit's counsellor, 404 for anyone else) and the hand-over archives; every answer
carries Cache-Control: no-store.
"""

import io
import logging

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from PIL import Image

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import counsellor_required, office_required
from sessions import selectors
from sessions.models import photo_storage
from sessions.photos import handover
from sessions.photos import selectors as photo_selectors
from sessions.photos.recapture import photo_recapture
from units.models import TrainingUnit
from units.selectors import access_unit

logger = logging.getLogger(__name__)
THUMB_WIDTH = 120
MAX_ID = 2**63 - 1


def _int(value):
    """A positive id from a query string, else None (never a 500)."""
    value = (value or "").strip()
    if value.isdigit() and len(value) <= 18 and int(value) > 0:
        return int(value)
    return None


@office_required
@never_cache
@require_GET
def photos(request):
    campaign = selectors.campaign_or_start()
    overview = photo_selectors.photo_overview(campaign, _int(request.GET.get("session")))
    return render(
        request,
        "capture_sessions/staff/photos.html",
        {"campaign": campaign, "overview": overview},
    )


class RecaptureForm(forms.Form):
    capture_id = forms.IntegerField(min_value=1, max_value=MAX_ID)
    session_id = forms.IntegerField(min_value=1, max_value=MAX_ID, label=gettext_lazy("补拍场次"))
    note = forms.CharField(max_length=200, required=False, label=gettext_lazy("说明"))


def _recapture(request, unit):
    """The re-capture form of `unit`'s list: one service call, its outcome as a message."""
    form = RecaptureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择补拍场次。"))
        return
    data = form.cleaned_data
    try:
        result = photo_recapture(
            actor=Actor.of(request.user),
            capture_id=data["capture_id"],
            session_id=data["session_id"],
            note=data["note"],
            unit_id=unit.pk,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return
    student = result.capture.student
    who = {"name": student.name, "no": student.student_no}
    if result.changed:
        messages.success(request, _("已安排补拍：%(name)s（%(no)s）。") % who)
    else:
        messages.info(request, _("%(name)s（%(no)s）已安排在这个补拍场次，没有再次修改。") % who)


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def photos_unit(request, unit_id):
    unit = get_object_or_404(TrainingUnit, pk=unit_id)
    campaign = selectors.campaign_or_start()
    if request.method == "POST":
        _recapture(request, unit)
        return redirect("staff:photos_unit", unit.pk)
    return render(
        request,
        "capture_sessions/staff/photos_unit.html",
        {"campaign": campaign, "listing": photo_selectors.unit_photo_list(campaign, unit)},
    )


def _zip_response(request, campaign, unit):
    name, fallback = handover.download_name(campaign, unit)
    response = StreamingHttpResponse(
        handover.archive_chunks(campaign, unit), content_type="application/zip"
    )
    response["Content-Disposition"] = handover.content_disposition(name, fallback)
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    # Who took which unit's photos (ids only: no names in the logs).
    logger.info(
        "photo hand-over of %s in campaign %s by user %s",
        f"unit {unit.pk}" if unit is not None else "every unit",
        campaign.pk,
        request.user.pk,
    )
    return response


@office_required
@require_GET
def photos_zip(request):
    campaign = selectors.campaign_or_start()
    unit = None
    if "unit" in request.GET:
        unit_id = _int(request.GET["unit"])
        if unit_id is None:
            raise Http404
        unit = get_object_or_404(TrainingUnit, pk=unit_id)
    return _zip_response(request, campaign, unit)


@counsellor_required
@require_GET
def unit_photos_zip(request, unit_id):
    unit = access_unit(request.user, unit_id)
    return _zip_response(request, selectors.campaign_or_start(), unit)


def _thumbnail(source):
    """The photo THUMB_WIDTH pixels wide, as JPEG bytes (made for this answer, kept
    nowhere)."""
    with Image.open(source) as image:
        image.draft("RGB", (THUMB_WIDTH, THUMB_WIDTH * 4))  # JPEG: decode at a lower scale
        image = image.convert("RGB")
        image.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 4))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
    return out.getvalue()


@require_GET
def photo(request, token):
    """A delivered photo, by its random token: the office and the student's unit's
    counsellor only; 404 for anyone else (anonymous, a coordinator link, a station
    device, a counsellor of another unit), exactly like an unknown token. `?size=thumb`:
    THUMB_WIDTH pixels wide."""
    found = photo_selectors.access_photo(request.user, token)
    try:
        source = photo_storage().open(found.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    if request.GET.get("size") == "thumb":
        try:
            with source:
                response = HttpResponse(_thumbnail(source), content_type="image/jpeg")
        except (OSError, ValueError, Image.DecompressionBombError):
            raise Http404 from None
        response["Content-Disposition"] = 'inline; filename="photo-thumb.jpg"'
    else:
        # The stored name may be the photographer's: never shown.
        response = FileResponse(source, content_type="image/jpeg", filename="photo.jpg")
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response
