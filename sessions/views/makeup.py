"""The office's make-up sessions (补拍): create one, then move absentees into it.

Moving goes in two steps: the units are chosen and previewed with a GET (nothing changes),
then the preview's "确认转入" posts the units it showed. Each view: permission → form →
one service or selector → message → redirect."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import office_required
from sessions import makeup_selectors, selectors, services
from sessions.models import CaptureSession


class MakeupSessionForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start = forms.TimeField(
        label=gettext_lazy("开始时间"),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 300}),
    )
    end = forms.TimeField(
        label=gettext_lazy("结束时间"),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 300}),
    )
    place = forms.CharField(label=gettext_lazy("地点"), max_length=200)
    campus = forms.CharField(label=gettext_lazy("校区（选填）"), max_length=50, required=False)
    entry_door = forms.CharField(label=gettext_lazy("入口"), max_length=40, initial="南门")
    exit_door = forms.CharField(label=gettext_lazy("出口"), max_length=40, initial="北门")
    cameras = forms.IntegerField(label=gettext_lazy("机位数"), min_value=1, max_value=50, initial=1)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("结束时间必须晚于开始时间。"))
        return cleaned


# A refusal of the service shown beside the field it is about.
FIELD_OF_CODE = {"invalid_times": "end"}


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def makeup_new(request):
    campaign = selectors.campaign_or_start()
    form = MakeupSessionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                session = services.makeup_session_create(
                    actor=Actor.of(request.user), campaign_id=campaign.pk, **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(FIELD_OF_CODE.get(exc.code), exc.message)
            else:
                messages.success(
                    request,
                    _("已新建补拍场次：%(date)s %(place)s。请选择要转入的学生。")
                    % {"date": f"{session.date:%Y-%m-%d}", "place": session.place},
                )
                return redirect("staff:makeup_move", session.pk)
        messages.error(request, _("请检查下面标出的内容。"))
    return render(
        request,
        "capture_sessions/staff/makeup_new.html",
        {
            "campaign": campaign,
            "form": form,
            "sessions": makeup_selectors.makeup_sessions(campaign),
        },
        status=400 if request.method == "POST" else 200,
    )


def _unit_ids(values):
    """The unit ids a form sent (checkbox values); anything else is dropped."""
    return sorted({int(v) for v in values if v.isdigit() and len(v) <= 18})


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def makeup_move(request, session_id):
    session = get_object_or_404(
        CaptureSession.objects.select_related("campaign"),
        pk=session_id,
        kind=CaptureSession.Kind.MAKEUP,
    )
    if request.method == "POST":
        try:
            n = services.makeup_move(
                actor=Actor.of(request.user),
                session_id=session.pk,
                unit_ids=_unit_ids(request.POST.getlist("unit")),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if n:
                messages.success(request, _("已将 %(n)d 名学生转入本补拍场次。") % {"n": n})
            else:
                messages.info(request, _("没有可转入的学生：所选单位的缺席学生已经转入。"))
        return redirect("staff:makeup_move", session.pk)
    candidates = makeup_selectors.makeup_candidates(session.campaign_id)
    preview = None
    if "preview" in request.GET:
        if request.GET.get("all") == "1":
            chosen = candidates
        else:
            wanted = set(_unit_ids(request.GET.getlist("unit")))
            chosen = [u for u in candidates if u.pk in wanted]
        preview = {"units": chosen, "total": sum(u.n for u in chosen)}
        if not chosen:
            messages.error(request, _("请至少选择一个有缺席学生的培养单位。"))
    return render(
        request,
        "capture_sessions/staff/makeup_move.html",
        {
            "session": session,
            "candidates": candidates,
            "candidate_total": sum(u.n for u in candidates),
            "preview": preview,
            "refusal": services.makeup_move_refusal(session),
            "students": makeup_selectors.makeup_students(session),
        },
    )
