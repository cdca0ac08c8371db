"""The CHSI confirmation pages (issue 14, point 3): the office's confirmation import and
exception queue (/staff/confirmation/…, /staff/exceptions/), and a counsellor's page to
record their students' states (/unit/<id>/confirmation/). Each view: permission → form →
one service or selector → message → redirect."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import counsellor_required, office_required
from capture_portal.xlsx import xlsx_response
from sessions import confirmation_selectors, selectors, services
from sessions.models import Capture, ChsiState, ConfirmationImport
from units import importing
from units.selectors import access_unit

MAX_ID = 2**63 - 1


class ConfirmationUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("图像校对结果文件（.xlsx 或 .csv）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > importing.MAX_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(mb)d MB 的上限。") % {"mb": importing.MAX_BYTES // (1024 * 1024)}
            )
        return f


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def confirmation_import(request):
    campaign = selectors.campaign_or_start()
    posted = request.method == "POST"
    form = ConfirmationUploadForm(
        request.POST if posted else None, request.FILES if posted else None
    )
    parsed = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = services.confirmation_import_preview(
                actor=Actor.of(request.user),
                campaign_id=campaign.pk,
                file_name=upload.name,
                data=upload.read(),
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            if preview.upload is not None:
                return redirect("staff:confirmation_preview", preview.upload.pk)
            parsed = preview.parsed
    recent = ConfirmationImport.objects.filter(campaign=campaign).select_related(
        "uploaded_by", "committed_by"
    )[:10]
    return render(
        request,
        "capture_sessions/staff/confirmation_import.html",
        {"campaign": campaign, "form": form, "parsed": parsed, "recent": recent},
    )


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def confirmation_preview(request, pk):
    upload = get_object_or_404(
        ConfirmationImport.objects.select_related("campaign", "uploaded_by", "committed_by"), pk=pk
    )
    if request.method == "POST":
        try:
            result = services.confirmation_import_commit(
                actor=Actor.of(request.user), import_id=upload.pk
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if result.changed:
                messages.success(
                    request,
                    _("导入完成：%(n)d 名学生的校对状态已更新。") % {"n": result.updated},
                )
            else:
                messages.info(request, _("这份文件已经导入过，没有再次修改。"))
        return redirect("staff:confirmation_preview", upload.pk)
    return render(
        request,
        "capture_sessions/staff/confirmation_preview.html",
        {"upload": upload, "summary": upload.summary},
    )


def _int(value):
    """A positive id from a query string or form, else None (never a 500)."""
    value = (value or "").strip()
    if value.isdigit() and len(value) <= 18 and int(value) > 0:
        return int(value)
    return None


ISSUE_ACTIONS = ("recapture", "offsite", "resolve")


class IssueForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ISSUE_ACTIONS])
    capture_id = forms.IntegerField(min_value=1, max_value=MAX_ID)
    session_id = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    note = forms.CharField(max_length=200, required=False, label=gettext_lazy("说明"))


def _act(request):
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("提交的内容无效：%(errors)s")
            % {"errors": "；".join(e for errors in form.errors.values() for e in errors)},
        )
        return
    data = form.cleaned_data
    actor = Actor.of(request.user)
    try:
        if data["action"] == "recapture":
            if data["session_id"] is None:
                raise DomainError(_("请选择补拍场次。"), "invalid")
            result = services.exception_recapture(
                actor=actor,
                capture_id=data["capture_id"],
                session_id=data["session_id"],
                note=data["note"],
            )
        elif data["action"] == "offsite":
            result = services.exception_offsite(
                actor=actor, capture_id=data["capture_id"], note=data["note"]
            )
        else:
            result = services.exception_resolve(
                actor=actor, capture_id=data["capture_id"], note=data["note"]
            )
    except DomainError as exc:
        messages.error(request, exc.message)
        return
    student = result.capture.student
    who = {"name": student.name, "no": student.student_no}
    if not result.changed:
        messages.info(request, _("%(name)s（%(no)s）已处理过，没有再次修改。") % who)
    elif data["action"] == "recapture":
        messages.success(
            request,
            _("已安排补拍：%(name)s（%(no)s）。%(note)s")
            % {**who, "note": result.capture.issue_note},
        )
    elif data["action"] == "offsite":
        messages.success(request, _("已转分散采集：%(name)s（%(no)s）。") % who)
    else:
        messages.success(request, _("已标记为已处理：%(name)s（%(no)s）。") % who)


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def exceptions(request):
    campaign = selectors.campaign_or_start()
    if request.method == "POST":
        _act(request)
        url = reverse("staff:exceptions")
        unit_id = _int(request.POST.get("unit"))
        return redirect(f"{url}?unit={unit_id}" if unit_id else url)
    queue = confirmation_selectors.exception_queue(campaign, unit_id=_int(request.GET.get("unit")))
    return render(
        request,
        "capture_sessions/staff/exceptions.html",
        {"campaign": campaign, "queue": queue, "row_limit": confirmation_selectors.ROW_LIMIT},
    )


@office_required
@require_GET
def exceptions_xlsx(request):
    campaign = selectors.campaign_or_start()
    return xlsx_response(
        confirmation_selectors.exceptions_workbook(campaign), "图像校对异常名单.xlsx"
    )


class ChsiForm(forms.Form):
    capture_id = forms.IntegerField(min_value=1, max_value=MAX_ID)
    state = forms.ChoiceField(
        label=gettext_lazy("校对状态"),
        choices=[(s.value, s.label) for s in ChsiState if s != ChsiState.NONE],
    )
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=200, required=False)


@counsellor_required
@never_cache
@require_http_methods(["GET", "POST"])
def unit_confirmation(request, unit_id):
    unit = access_unit(request.user, unit_id)
    campaign = selectors.campaign_or_start()
    if request.method == "POST":
        form = ChsiForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择校对状态；原因不超过 200 字。"))
            return redirect("unit:confirmation", unit.pk)
        data = form.cleaned_data
        # Another unit's (or campaign's) student looks like nobody here.
        capture = get_object_or_404(
            Capture.objects.select_related("student"),
            pk=data["capture_id"],
            student__unit=unit,
            campaign=campaign,
        )
        try:
            result = services.chsi_record(
                actor=Actor.of(request.user),
                capture_id=capture.pk,
                state=data["state"],
                reason=data["reason"],
            )
        except DomainError as exc:
            messages.error(
                request,
                _("%(label)s：%(value)s") % {"label": capture.student.name, "value": exc.message},
            )
        else:
            who = {"name": capture.student.name, "state": ChsiState(data["state"]).label}
            if result.changed:
                messages.success(request, _("已登记 %(name)s：%(state)s。") % who)
            else:
                messages.info(request, _("%(name)s 的校对状态没有变化。") % who)
        return redirect(f"{reverse('unit:confirmation', args=[unit.pk])}#c{capture.pk}")
    page = confirmation_selectors.unit_confirmation(unit, campaign)
    return render(
        request,
        "capture_sessions/unit/confirmation.html",
        {
            "unit": unit,
            "campaign": campaign,
            "rows": page.rows,
            "counts": page.counts,
            "states": ChsiForm.base_fields["state"].choices,
        },
    )
