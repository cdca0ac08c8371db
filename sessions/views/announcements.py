"""The office's announcements page: post one (whole campaign or one session, optional end
time), withdraw one, and the history of all of them. Post/Redirect/Get."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import office_required
from sessions import announcements, selectors
from sessions.announcements import MAX_LENGTH


class AnnouncementForm(forms.Form):
    session = forms.TypedChoiceField(
        label=gettext_lazy("范围"), coerce=int, required=False, empty_value=None
    )
    text = forms.CharField(
        label=gettext_lazy("公告内容"),
        max_length=MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("例如：第三时段推迟 15 分钟")}),
    )
    text_en = forms.CharField(
        label=gettext_lazy("英文内容（选填）"), max_length=MAX_LENGTH, required=False
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("结束时间（选填，不填则一直显示到撤下）"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", _("全部场次"))] + [
            (
                s.pk,
                f"{s.date:%Y-%m-%d} {s.start:%H:%M} · "
                + (f"{s.campus} · " if s.campus else "")
                + s.place,
            )
            for s in sessions
        ]


FIELD_OF_CODE = {"invalid_end": "ends_at", "invalid": "text", "not_found": "session"}


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def announcements_page(request):
    campaign = selectors.campaign_or_start()
    sessions = selectors.campaign_sessions(campaign)
    actor = Actor.of(request.user)
    form = AnnouncementForm(request.POST if request.method == "POST" else None, sessions=sessions)
    if request.method == "POST" and "withdraw" in request.POST:
        raw = request.POST.get("withdraw", "")
        try:
            if not raw.isdigit() or len(raw) > 18:
                raise DomainError(_("找不到该公告。"), "not_found")
            announcements.announcement_withdraw(actor=actor, announcement_id=int(raw))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("公告已撤下。"))
        return redirect("staff:announcements")
    if request.method == "POST":
        if form.is_valid():
            try:
                announcements.announcement_post(
                    actor=actor,
                    campaign_id=campaign.pk,
                    session_id=form.cleaned_data["session"],
                    text=form.cleaned_data["text"],
                    text_en=form.cleaned_data["text_en"],
                    ends_at=form.cleaned_data["ends_at"],
                )
            except DomainError as exc:
                form.add_error(FIELD_OF_CODE.get(exc.code), exc.message)
            else:
                messages.success(request, _("公告已发布。"))
                return redirect("staff:announcements")
        messages.error(request, _("请检查下面标出的内容。"))
    return render(
        request,
        "capture_sessions/staff/announcements.html",
        {
            "campaign": campaign,
            "form": form,
            "history": announcements.announcement_history(campaign.pk),
            "now": timezone.now(),
        },
        status=400 if request.method == "POST" else 200,
    )
