"""Corrections, exemptions and attention notes (issue 14): the office's student detail page
with its forms, the search that finds it, the bulk page, the queue of counsellors'
correction requests, and the counsellor's request page.

Each view: permission → form → one service or selector → message → redirect (PRG); a
refused form is shown again with what was typed (status 400). The bulk page keeps the
pasted list between preview and confirmation in a hidden POST field (the numbers joined by
commas), never in the URL; the confirmation re-reads everything under its locks.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import counsellor_required, office_required
from sessions import corrections_selectors, selectors, services
from sessions.corrections_selectors import BULK_CLEAR, BULK_EXEMPT, BULK_NOTE
from sessions.models import Capture
from sessions.services.corrections import EXEMPT_OTHER, EXEMPT_REASONS
from units.selectors import access_unit

S = Capture.Status
REASON_ATTRS = {"maxlength": 200, "autocomplete": "off"}


class CorrectStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=gettext_lazy("改为状态"), choices=S.choices)
    reason = forms.CharField(
        label=gettext_lazy("原因（必填）"), max_length=200, widget=forms.TextInput(REASON_ATTRS)
    )


class ShootingNoForm(forms.Form):
    shooting_no = forms.CharField(label=gettext_lazy("正确的拍摄号"), max_length=30)
    reason = forms.CharField(
        label=gettext_lazy("原因（必填）"), max_length=150, widget=forms.TextInput(REASON_ATTRS)
    )


def _exempt_choices():
    return [(r, _(r)) for r in EXEMPT_REASONS]


class ExemptReasonMixin:
    """A reason from EXEMPT_REASONS; "其他" needs the office's words (services.exempt_reason)."""

    def exempt_text(self):
        data = self.cleaned_data
        try:
            return services.exempt_reason(data.get("reason"), data.get("other"))
        except DomainError as exc:
            field = "other" if data.get("reason") == EXEMPT_OTHER else "reason"
            self.add_error(field, exc.message)
            return None


class ExemptForm(ExemptReasonMixin, forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("免采原因"), choices=_exempt_choices)
    other = forms.CharField(
        label=gettext_lazy("其他原因（选“其他”时必填）"),
        max_length=150,
        required=False,
        widget=forms.TextInput(REASON_ATTRS),
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            cleaned["text"] = self.exempt_text()
        return cleaned


class UndoExemptForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("原因（必填）"), max_length=150, widget=forms.TextInput(REASON_ATTRS)
    )


class AttentionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("提醒事项（留空即清除）"),
        max_length=200,
        required=False,
        widget=forms.TextInput(REASON_ATTRS),
    )


DETAIL_FORMS = {
    "correct": CorrectStatusForm,
    "shooting_no": ShootingNoForm,
    "exempt": ExemptForm,
    "unexempt": UndoExemptForm,
    "attention": AttentionForm,
}


def _detail_apply(actor, capture, action, data):
    """The one service of a detail-page form; returns the success message."""
    if action == "correct":
        result = services.capture_correct(
            actor=actor, capture_id=capture.pk, to_status=data["to_status"], reason=data["reason"]
        )
        if not result.changed:
            return _("状态没有变化：已是“%(s)s”。") % {"s": result.capture.get_status_display()}
        return _("状态已更正为“%(s)s”。") % {"s": result.capture.get_status_display()}
    if action == "shooting_no":
        result = services.shooting_no_correct(
            actor=actor,
            capture_id=capture.pk,
            shooting_no=data["shooting_no"],
            reason=data["reason"],
        )
        return _("拍摄号已更正为 %(no)s。") % {"no": result.capture.shooting_no}
    if action == "exempt":
        result = services.capture_exempt(actor=actor, capture_id=capture.pk, reason=data["text"])
        return _("已设为免采。") if result.changed else _("这名学生已经是免采。")
    if action == "unexempt":
        result = services.capture_exempt_undo(
            actor=actor, capture_id=capture.pk, reason=data["reason"]
        )
        return _("已撤销免采，状态回到“%(s)s”。") % {"s": result.capture.get_status_display()}
    result = services.capture_set_attention(actor=actor, capture_id=capture.pk, note=data["note"])
    if not result.changed:
        return _("提醒事项没有变化。")
    return _("已保存提醒事项。") if data["note"].strip() else _("已清除提醒事项。")


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def capture_detail(request, capture_id):
    detail = corrections_selectors.capture_detail(capture_id)
    if detail is None:
        raise Http404
    capture = detail.capture
    action = request.POST.get("action") if request.method == "POST" else None
    forms_ = {
        name: form_class(request.POST if action == name else None, prefix=name)
        for name, form_class in DETAIL_FORMS.items()
    }
    forms_["attention"].initial = {"note": capture.attention_note}
    status = 200
    if request.method == "POST":
        form = forms_.get(action)
        if form is None:
            messages.error(request, _("未知操作。"))
            return redirect("staff:capture_detail", capture.pk)
        if form.is_valid():
            try:
                done = _detail_apply(Actor.of(request.user), capture, action, form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
                # The page may no longer draw this form (the student changed meanwhile):
                # the reason goes to the top as well.
                messages.error(request, exc.message)
                return _render_detail(request, detail, capture, forms_, 400, action)
            else:
                messages.success(request, done)
                return redirect("staff:capture_detail", capture.pk)
        messages.error(request, _("请检查下面标出的内容。"))
        status = 400
    return _render_detail(request, detail, capture, forms_, status, action)


def _render_detail(request, detail, capture, forms_, status, action=None):
    return render(
        request,
        "capture_sessions/staff/capture_detail.html",
        {
            "detail": detail,
            "capture": capture,
            "student": capture.student,
            "forms": forms_,
            "open": action,
            # Where undoing the exemption goes (services.capture_exempt_undo: "expected"
            # when no step into "exempt" is recorded).
            "exempt_from_label": S(detail.exempt_from or S.EXPECTED).label,
        },
        status=status,
    )


@office_required
@never_cache
@require_GET
def capture_search(request):
    campaign = selectors.campaign_or_start()
    query = request.GET.get("q", "").strip()[:64]
    found = corrections_selectors.capture_search(campaign, query)
    limit = corrections_selectors.SEARCH_LIMIT
    return render(
        request,
        "capture_sessions/staff/capture_search.html",
        {
            "campaign": campaign,
            "q": query,
            "results": found[:limit],
            "more": len(found) > limit,
            "limit": limit,
        },
    )


class BulkForm(ExemptReasonMixin, forms.Form):
    numbers = forms.CharField(
        label=gettext_lazy("学号（每行一个，或用逗号分隔；最多 5000 个）"),
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
    )
    action = forms.ChoiceField(
        label=gettext_lazy("操作"),
        choices=[
            (BULK_EXEMPT, gettext_lazy("设为免采")),
            (BULK_NOTE, gettext_lazy("设置提醒事项")),
            (BULK_CLEAR, gettext_lazy("清除提醒事项")),
        ],
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("免采原因（设为免采时）"), choices=_exempt_choices, required=False
    )
    other = forms.CharField(
        label=gettext_lazy("其他原因（选“其他”时必填）"),
        max_length=150,
        required=False,
        widget=forms.TextInput(REASON_ATTRS),
    )
    note = forms.CharField(
        label=gettext_lazy("提醒事项（设置提醒时）"),
        max_length=200,
        required=False,
        widget=forms.TextInput(REASON_ATTRS),
    )

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        cleaned["text"] = ""
        if action == BULK_EXEMPT and not self.errors:
            cleaned["text"] = self.exempt_text()
        elif action == BULK_NOTE:
            cleaned["text"] = (cleaned.get("note") or "").strip()
            if not cleaned["text"]:
                self.add_error("note", _("请填写提醒事项。"))
        return cleaned


def _bulk_done(result, action):
    if action == BULK_EXEMPT:
        message = _("已将 %(n)d 名学生设为免采。")
    elif action == BULK_NOTE:
        message = _("已为 %(n)d 名学生设置提醒事项。")
    else:
        message = _("已清除 %(n)d 名学生的提醒事项。")
    message = message % {"n": result.changed}
    if result.found > result.changed:
        message += _("（另有 %(n)d 名原已如此，未改动）") % {"n": result.found - result.changed}
    if result.unknown:
        message += _("（%(n)d 个学号不在名单中，已跳过）") % {"n": result.unknown}
    return message


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def capture_bulk(request):
    campaign = selectors.campaign_or_start()
    form = BulkForm(request.POST if request.method == "POST" else None)
    preview, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if request.POST.get("step") == "apply":
                    result = services.captures_bulk_apply(
                        actor=Actor.of(request.user),
                        campaign_id=campaign.pk,
                        numbers_text=data["numbers"],
                        action=data["action"],
                        text=data["text"],
                    )
                    messages.success(request, _bulk_done(result, data["action"]))
                    return redirect("staff:capture_bulk")
                numbers = corrections_selectors.parse_student_numbers(data["numbers"])
                preview = corrections_selectors.bulk_preview(
                    campaign.pk, numbers, data["action"], data["text"]
                )
            except DomainError as exc:
                form.add_error(
                    "numbers" if exc.code in ("empty", "too_many") else None, exc.message
                )
        if not form.is_valid():
            messages.error(request, _("请检查下面标出的内容。"))
            status = 400
    return render(
        request,
        "capture_sessions/staff/capture_bulk.html",
        {
            "campaign": campaign,
            "form": form,
            "preview": preview,
            "numbers_joined": ",".join(preview.numbers) if preview else "",
        },
        status=status,
    )


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def corrections(request):
    campaign = selectors.campaign_or_start()
    if request.method == "POST":
        decision = request.POST.get("decision")
        request_id = request.POST.get("request_id", "")
        try:
            if decision not in ("approve", "reject") or not request_id.isdigit():
                raise DomainError(_("请求无效。"), "invalid")
            services.correction_request_decide(
                actor=Actor.of(request.user),
                request_id=int(request_id[:18]),
                approve=decision == "approve",
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("已批准并更正状态。") if decision == "approve" else _("已驳回申请。")
            )
        return redirect("staff:corrections")
    return render(
        request,
        "capture_sessions/staff/corrections.html",
        {
            "campaign": campaign,
            "pending": corrections_selectors.pending_corrections(campaign),
            "recent": corrections_selectors.recent_decisions(campaign),
        },
    )


class CorrectionRequestForm(forms.Form):
    to_status = forms.ChoiceField(label=gettext_lazy("申请改为"))
    reason = forms.CharField(
        label=gettext_lazy("原因（必填）"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 200}),
    )

    def __init__(self, *args, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(v, label) for v, label in S.choices if v != current]


@counsellor_required
@never_cache
@require_http_methods(["GET", "POST"])
def correction_request(request, unit_id, capture_id):
    unit = access_unit(request.user, unit_id)
    capture = get_object_or_404(
        Capture.objects.select_related("student"),
        pk=capture_id,
        student__unit=unit,
        campaign=selectors.campaign_or_start(),
    )
    form = CorrectionRequestForm(
        request.POST if request.method == "POST" else None, current=capture.status
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _request, created = services.correction_request_create(
                    actor=Actor.of(request.user),
                    capture_id=capture.pk,
                    to_status=form.cleaned_data["to_status"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("已提交更正申请，等待研究生学院审批。")
                    if created
                    else _("这条申请已经提交过，正在等待审批。"),
                )
                return redirect("unit:correction_request", unit.pk, capture.pk)
        messages.error(request, _("请检查下面标出的内容。"))
        status = 400
    return render(
        request,
        "capture_sessions/unit/correction_request.html",
        {
            "unit": unit,
            "capture": capture,
            "form": form,
            "requests": corrections_selectors.capture_requests(capture),
        },
        status=status,
    )
