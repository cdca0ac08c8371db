"""The office's photo intake pages (issue 15, point 1): upload a delivered archive
(/staff/photos/intake/), see what was found and confirm it (/staff/photos/intake/<id>/).
Each view: permission → form → one service or selector → message → redirect."""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.localised import localised
from capture_portal.permissions import office_required
from capture_portal.xlsx import xlsx_response
from sessions import selectors
from sessions.models import PhotoIntake
from sessions.photos import intake_selectors
from sessions.photos.intake import (
    photo_intake_commit,
    photo_intake_discard,
    photo_intake_preview,
)
from sessions.photos.standard import kb

logger = logging.getLogger(__name__)


class PhotoIntakeForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("照片压缩包（.zip）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    session = forms.TypedChoiceField(
        label=gettext_lazy("场次（按拍摄号命名的照片在该场次中查找）"),
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", _("全部场次"))] + [
            (
                s.pk,
                " · ".join(
                    p
                    for p in (
                        date_format(s.date, "Y-m-d"),
                        localised(s, "campus"),
                        localised(s, "place"),
                        str(s.get_kind_display()) if s.kind == s.Kind.MAKEUP else "",
                    )
                    if p
                ),
            )
            for s in sessions
        ]

    def clean_file(self):
        f = self.cleaned_data["file"]
        limit = settings.PHOTO_INTAKE_LIMITS["max_archive_bytes"]
        if f.size > limit:
            raise forms.ValidationError(
                _("压缩包超过 %(mb)d MB 的上限；请分成几个压缩包上传。")
                % {"mb": limit // (1024 * 1024)}
            )
        return f


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def photo_intake(request):
    campaign = selectors.campaign_or_start()
    sessions = intake_selectors.intake_sessions(campaign)
    posted = request.method == "POST"
    form = PhotoIntakeForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        sessions=sessions,
    )
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            intake = photo_intake_preview(
                actor=Actor.of(request.user),
                campaign_id=campaign.pk,
                session_id=form.cleaned_data["session"],
                file_name=upload.name,
                fileobj=upload,
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("staff:photo_intake_preview", intake.pk)
    return render(
        request,
        "capture_sessions/staff/photo_intake.html",
        {
            "campaign": campaign,
            "form": form,
            "recent": intake_selectors.recent_intakes(campaign),
            "standard": settings.PHOTO_STANDARD,
            # "20–40 KB", not filesizeformat's "20.0 KB–40.0 KB".
            "min_kb": kb(settings.PHOTO_STANDARD["min_bytes"]),
            "max_kb": kb(settings.PHOTO_STANDARD["max_bytes"]),
        },
    )


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def photo_intake_preview_page(request, pk):
    intake = get_object_or_404(
        PhotoIntake.objects.select_related("campaign", "session", "uploaded_by", "committed_by"),
        pk=pk,
    )
    if request.method == "POST":
        try:
            result = photo_intake_commit(actor=Actor.of(request.user), intake_id=intake.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if result.changed:
                messages.success(
                    request,
                    _("导入完成：新增 %(c)d 张，替换 %(r)d 张，未变 %(u)d 张。")
                    % {
                        "c": result.created,
                        "r": result.replaced,
                        # As the page counts them: known at the preview, or found at the commit.
                        "u": result.unchanged + result.intake.summary.get("unchanged", 0),
                    },
                )
            else:
                messages.info(request, _("这个压缩包已经导入过，没有再次修改。"))
        return redirect("staff:photo_intake_preview", intake.pk)
    return render(
        request,
        "capture_sessions/staff/photo_intake_preview.html",
        {"page": intake_selectors.intake_page(intake)},
    )


@office_required
@require_http_methods(["POST"])
def photo_intake_discard_page(request, pk):
    intake = get_object_or_404(PhotoIntake, pk=pk)
    try:
        changed = photo_intake_discard(actor=Actor.of(request.user), intake_id=intake.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:photo_intake_preview", intake.pk)
    if changed:
        messages.success(request, _("已放弃这个压缩包，其中的照片已从服务器删除。"))
    return redirect("staff:photo_intake")


@office_required
@require_GET
def photo_intake_files(request, pk):
    """Every file of an intake and what its preview found, as .xlsx (no-store: it names
    students)."""
    # A discarded preview's rows went with its archive: nothing to list.
    intake = get_object_or_404(
        PhotoIntake.objects.exclude(status=PhotoIntake.Status.DISCARDED), pk=pk
    )
    data = intake_selectors.intake_files_workbook(intake)
    name = _("照片检查结果-%(n)s.xlsx") % {"n": intake.pk}
    logger.info("photo intake %s files downloaded by user %s", intake.pk, request.user.pk)
    return xlsx_response(data, name)
