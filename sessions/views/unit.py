"""Counsellors' pages (/unit/…): their own units only; the office sees every unit.

A unit the user may not see answers 404, exactly like a missing one."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import counsellor_required
from capture_portal.xlsx import xlsx_response
from sessions import aftercare_selectors, exports, makeup_selectors, selectors, services
from sessions.forms import CoordinatorForm, ReasonForm
from sessions.messages import unit_messages
from sessions.models import Capture
from sessions.photos.selectors import unit_roster_photos
from sessions.tokens import pass_token
from units.selectors import access_unit, visible_units


def _campaign():
    return selectors.campaign_or_start()


@counsellor_required
@require_GET
def unit_list(request):
    units = list(visible_units(request.user))
    if len(units) == 1:
        return redirect("unit:detail", units[0].pk)
    return render(request, "capture_sessions/unit/list.html", {"units": units})


@counsellor_required
@never_cache
@require_GET
def unit_detail(request, unit_id):
    unit = access_unit(request.user, unit_id)
    campaign = _campaign()
    rows, counts = selectors.unit_roster(unit, campaign)
    # The unit's delivered photos with their checks, each behind the permission-checked
    # photo view, and how many photographed students have none (one or two queries).
    photos_missing = unit_roster_photos(unit, campaign, rows)
    for capture in rows:
        # The student's own page, for a student locked out of the lookup (too many wrong
        # names were tried for their number): the counsellor sends them this link.
        capture.pass_token = pass_token(capture.student_id, capture.campaign_id)
    # Each row's own session, and who was moved into a make-up session (one query).
    sessions = makeup_selectors.unit_sessions(campaign, rows)
    # After the day: each row's states in plain words (one query: the prints' arrival),
    # and the off-site students whose sheet has not come in, with their phones.
    arrival = aftercare_selectors.prints_arrival(unit, campaign)
    aftercare_selectors.tag_rows(rows, campaign, arrived=arrival is not None)
    coordinators = selectors.unit_coordinators(unit, campaign)
    # Ready-to-send group messages with the unit's own windows (one query: its placements).
    group_messages = unit_messages(
        unit, campaign, f"{request.scheme}://{request.get_host()}", coordinators=coordinators
    )
    return render(
        request,
        "capture_sessions/unit/detail.html",
        {
            "unit": unit,
            "campaign": campaign,
            "rows": rows,
            "counts": counts,
            "total": len(rows),
            "coordinators": coordinators,
            "group_messages": group_messages,
            "reason_form": ReasonForm(),
            "Status": Capture.Status,
            "link_token": selectors.coordinator_link_token(unit, campaign),
            "moved": sessions.moved,
            "several_sessions": sessions.several,
            "offsite_pending": aftercare_selectors.unit_offsite_pending(rows, campaign),
            "prints_arrival": arrival,
            "has_photos": any(c.photo_or_none for c in rows),
            "photos_missing": photos_missing,
        },
    )


@counsellor_required
@require_POST
def link_rotate(request, unit_id):
    unit = access_unit(request.user, unit_id)
    try:
        services.coordinator_link_rotate(
            actor=Actor.of(request.user), campaign_id=_campaign().pk, unit_id=unit.pk
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已生成新的负责人链接，旧链接已失效。"))
    return redirect("unit:detail", unit.pk)


CAPTURE_ACTIONS = {
    "offsite": services.capture_send_offsite,
    "receive": services.capture_receive_sheet,
    "verify": services.capture_verify_sheet,
}
DONE = {
    "offsite": gettext_lazy("已登记为分散采集。"),
    "receive": gettext_lazy("已登记收到纸质照片。"),
    "verify": gettext_lazy("已核实照片为本人。"),
}


def _reason_problem(form):
    """What is wrong with the off-site reason, said as such (not always "须填写原因")."""
    codes = {error.code for error in form.errors.as_data().get("reason", [])}
    reason = form.data.get("reason", "")
    if "null_characters_not_allowed" in codes:
        return _("原因含有无法显示的字符（如 NUL 空字符），请删除后重新输入。")
    if "max_length" in codes:
        limit = form.fields["reason"].max_length
        return _("原因最多 %(max)d 个字，现在有 %(n)d 个，请缩短后再登记。") % {
            "max": limit,
            "n": len(reason.strip()),
        }
    return _("登记分散采集须填写原因。")


@counsellor_required
@require_POST
def capture_action(request, unit_id, capture_id, action):
    unit = access_unit(request.user, unit_id)
    if action not in CAPTURE_ACTIONS:
        raise Http404
    capture = get_object_or_404(Capture, pk=capture_id, student__unit=unit, campaign=_campaign())
    note = ""
    if action == "offsite":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, _reason_problem(form))
            return redirect("unit:detail", unit.pk)
        note = form.cleaned_data["reason"]
    try:
        CAPTURE_ACTIONS[action](actor=Actor.of(request.user), capture_id=capture.pk, note=note)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(DONE[action]))
    return redirect("unit:detail", unit.pk)


@counsellor_required
@never_cache
def coordinators(request, unit_id):
    unit = access_unit(request.user, unit_id)
    campaign = _campaign()
    actor = Actor.of(request.user)
    current = selectors.unit_coordinators(unit, campaign)
    refusal = services.coordinator_edit_refusal(actor, campaign, unit.pk)
    data = request.POST if request.method == "POST" else None
    forms = [
        CoordinatorForm(
            data,
            prefix=f"c{position}",
            initial=(
                {
                    "name": current[position].name,
                    "phone": current[position].phone,
                    "student_no": current[position].student.student_no
                    if current[position].student
                    else "",
                }
                if position in current
                else None
            ),
        )
        for position in (1, 2)
    ]
    status = 200
    if request.method == "POST":
        if refusal is not None:
            messages.error(request, refusal.message)
            status = 403
        elif all(f.is_valid() for f in forms):
            entries = [
                services.CoordinatorEntry(position=p, **f.cleaned_data)
                for p, f in zip((1, 2), forms, strict=True)
            ]
            try:
                changed = services.coordinators_register(
                    actor=actor, campaign_id=campaign.pk, unit_id=unit.pk, entries=entries
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                status = 400
            else:
                messages.success(request, _("负责人已保存。") if changed else _("没有修改。"))
                return redirect("unit:coordinators", unit.pk)
        else:
            messages.error(request, _("请检查下面标出的内容。"))
            status = 400
    return render(
        request,
        "capture_sessions/unit/coordinators.html",
        {
            "unit": unit,
            "campaign": campaign,
            "forms": forms,
            "current": current,
            "refusal": refusal,
        },
        status=status,
    )


@counsellor_required
@require_GET
def roster_xlsx(request, unit_id):
    unit = access_unit(request.user, unit_id)
    data = exports.roster_workbook(_campaign(), unit=unit)
    return xlsx_response(data, f"{unit.name}-名单与采集状态.xlsx")
