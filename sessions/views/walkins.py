"""The office's walk-in page (/staff/sessions/<id>/walk-ins/): the people recorded at a
session's doors who were not on the roster, and their resolution (matched to a student of
the campaign, or dismissed). Permission → form → one service → message → redirect."""

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.db.models import Case, IntegerField, Q, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import office_required
from sessions import services
from sessions.models import Capture, CaptureSession, WalkIn
from sessions.services.captures import RULES
from units.names import normalise_name

SUGGESTIONS = 5  # per walk-in: a common name must not fill the page


@dataclass
class Suggestion:
    capture: Capture
    by_number: bool
    # The "walk_in" rule takes this status (the rule's own sources, not a copy here).
    matchable: bool


@dataclass
class WalkInRow:
    walkin: WalkIn
    suggestions: list = field(default_factory=list)


@dataclass
class WalkInPage:
    open: list
    resolved: list


def walk_ins_page(session):
    """A session's walk-ins, open first, each open one with the campaign's students whose
    number is the one typed or whose normalised name is the walk-in's: two queries,
    whatever the number of walk-ins. (A selector; sessions/selectors.py is its home.)"""
    walkins = list(
        WalkIn.objects.filter(session=session)
        .select_related("capture__student__unit", "resolved_by")
        .annotate(
            open_first=Case(
                When(status=WalkIn.Status.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "-recorded_at", "-id")
    )
    rows = [WalkInRow(w) for w in walkins if w.status == WalkIn.Status.OPEN]
    resolved = [w for w in walkins if w.status != WalkIn.Status.OPEN]
    if rows:
        numbers = {row.walkin.student_no for row in rows}
        keys = {normalise_name(row.walkin.name) for row in rows} - {""}
        candidates = list(
            Capture.objects.filter(campaign_id=session.campaign_id, student__withdrawn=False)
            .filter(Q(student__student_no__in=numbers) | Q(student__name_key__in=keys))
            .select_related("student__unit")
            .order_by("student__student_no")
        )
        sources = RULES["walk_in"].sources
        for row in rows:
            key = normalise_name(row.walkin.name)
            found = [
                Suggestion(
                    capture=c,
                    by_number=c.student.student_no == row.walkin.student_no,
                    matchable=c.status in sources,
                )
                for c in candidates
                if c.student.student_no == row.walkin.student_no or c.student.name_key == key
            ]
            found.sort(key=lambda s: not s.by_number)  # the number typed first
            row.suggestions = found[:SUGGESTIONS]
    return WalkInPage(open=rows, resolved=resolved)


class ResolveForm(forms.Form):
    action = forms.ChoiceField(choices=[("match", "match"), ("dismiss", "dismiss")])
    walkin_id = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    student_no = forms.CharField(max_length=32, required=False, label=gettext_lazy("学号"))
    note = forms.CharField(max_length=200, required=False, label=gettext_lazy("说明"))
    other_name = forms.BooleanField(required=False)


def _resolve(request, session):
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("提交的内容无效：%(errors)s")
            % {"errors": "；".join(e for errors in form.errors.values() for e in errors)},
        )
        return
    data = form.cleaned_data
    dismiss = data["action"] == "dismiss"
    try:
        walkin = services.walkin_resolve(
            actor=Actor.of(request.user),
            walkin_id=data["walkin_id"],
            session_id=session.pk,
            student_no=None if dismiss else data["student_no"],
            dismiss=dismiss,
            note=data["note"],
            other_name=data["other_name"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return
    if dismiss:
        messages.success(request, _("已忽略：%(name)s（%(no)s）") % _who(walkin))
    else:
        messages.success(
            request,
            _("已匹配：%(name)s（%(no)s）→ %(student)s，记为已采集")
            % {**_who(walkin), "student": walkin.capture.student},
        )


def _who(walkin):
    return {"name": walkin.name, "no": walkin.student_no}


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def walk_ins(request, session_id):
    session = get_object_or_404(CaptureSession.objects.select_related("campaign"), pk=session_id)
    if request.method == "POST":
        _resolve(request, session)
        return redirect("staff:walk_ins", session.pk)
    return render(
        request,
        "capture_sessions/staff/walk_ins.html",
        {"session": session, "page": walk_ins_page(session)},
    )
