"""After the day (issue 14): the office's off-site follow-up and prints overview, and the
unit's prints page (its counsellor; the coordinator link has the same ticking on its own
page, payments.views.coordinator_prints, through `apply_prints_post`)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import counsellor_required, office_required
from sessions import aftercare_selectors, selectors, services
from units.selectors import access_unit


def _campaign():
    return selectors.campaign_or_start()


MAX_ID = 2**63 - 1  # a larger id made the database driver raise OverflowError (a 500)


class _IdsField(forms.Field):
    """Every value of a repeated field (the ticked checkboxes), as integers."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            ids = [int(v) for v in value or []]
        except (TypeError, ValueError):
            raise ValidationError(_("请先勾选学生。"), code="invalid") from None
        if not all(0 < i <= MAX_ID for i in ids):
            raise ValidationError(_("请先勾选学生。"), code="invalid")
        return ids


class PrintsForm(forms.Form):
    """One POST of a prints page: "arrived", "tick" the chosen students, "tick_all" (every
    student of the unit whose prints are out), or "untick" one student (`untick`)."""

    action = forms.ChoiceField(
        choices=[
            ("arrived", "arrived"),
            ("tick", "tick"),
            ("tick_all", "tick_all"),
            ("untick", "untick"),
        ]
    )
    capture_id = _IdsField(required=False)
    untick = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


def apply_prints_post(request, actor, campaign, unit):
    """Carry out a prints page's POST for `unit` as `actor` and leave a message. The
    caller redirects (Post/Redirect/Get)."""
    form = PrintsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请先勾选学生。"))
        return
    action = form.cleaned_data["action"]
    try:
        if action == "arrived":
            result = services.prints_arrived(actor=actor, campaign_id=campaign.pk, unit_id=unit.pk)
            messages.success(
                request, _("已登记照片到达。") if result.changed else _("照片到达已登记过。")
            )
            return
        if action == "untick":
            ids, received = [form.cleaned_data["untick"]], False
        elif action == "tick_all":
            ids, received = aftercare_selectors.prints_outstanding_ids(unit, campaign), True
            if not ids:
                messages.info(request, _("没有未领取照片的学生。"))
                return
        else:
            ids, received = form.cleaned_data["capture_id"], True
        if not ids or None in ids:
            messages.error(request, _("请先勾选学生。"))
            return
        n = services.prints_received(actor=actor, capture_ids=ids, received=received)
    except DomainError as exc:
        messages.error(request, exc.message)
        return
    if not n:
        messages.info(request, _("没有变化。"))
    elif received:
        messages.success(request, _("已登记 %(n)d 名学生领取照片。") % {"n": n})
    else:
        messages.success(request, _("已撤销 %(n)d 名学生的领取登记。") % {"n": n})


@counsellor_required
@never_cache
@require_http_methods(["GET", "POST"])
def unit_prints(request, unit_id):
    unit = access_unit(request.user, unit_id)
    campaign = _campaign()
    if request.method == "POST":
        apply_prints_post(request, Actor.of(request.user), campaign, unit)
        return redirect("unit:prints", unit.pk)
    sheet = aftercare_selectors.print_sheet(unit, campaign)
    return render(
        request,
        "capture_sessions/unit/prints.html",
        {"unit": unit, "campaign": campaign, "prints": sheet},
    )


@office_required
@never_cache
@require_GET
def offsite_followup(request):
    campaign = _campaign()
    return render(
        request,
        "capture_sessions/staff/offsite_followup.html",
        {"campaign": campaign, "followup": aftercare_selectors.offsite_followup(campaign)},
    )


@office_required
@never_cache
@require_GET
def prints(request):
    campaign = _campaign()
    return render(
        request,
        "capture_sessions/staff/prints.html",
        {"campaign": campaign, "overview": aftercare_selectors.prints_overview(campaign)},
    )
