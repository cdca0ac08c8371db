"""The graduate office's pages (/staff/…). Each view: permission → form → one service or
selector → message → redirect."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import office_required
from capture_portal.xlsx import xlsx_response
from sessions import charts, exports, passes, scheduling, selectors, services
from sessions.forms import (
    MoveUnitForm,
    ProposalForm,
    RemoveUnitForm,
    RosterConfirmForm,
    RosterUploadForm,
    ShootingNoCorrectionForm,
    SlotTimesForm,
)
from sessions.models import Capture, CaptureSession, RosterImport, TimeSlot
from units.models import TrainingUnit


def _campaign():
    return selectors.campaign_or_start()


@office_required
@require_GET
def index(request):
    campaign = selectors.office_campaign()
    context = {"campaign": campaign}
    if campaign is not None:
        context["events"] = list(campaign.events.select_related("actor")[:5])
        context["sessions"] = selectors.campaign_sessions(campaign)
        context["counts"] = selectors.status_counts(
            Capture.objects.filter(campaign=campaign, student__withdrawn=False)
        )
        context["total"] = sum(context["counts"].values())
        context["after"] = selectors.after_the_day_counts(campaign)
        context["count_rows"] = [
            (Capture.Status(status).label, status, n) for status, n in context["counts"].items()
        ]
    return render(request, "capture_sessions/staff/index.html", context)


@office_required
@never_cache
def roster_import(request):
    campaign = _campaign()
    posted = request.method == "POST"
    form = RosterUploadForm(request.POST if posted else None, request.FILES if posted else None)
    parsed = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = services.roster_import_preview(
                actor=Actor.of(request.user),
                campaign_id=campaign.pk,
                file_name=upload.name,
                data=upload.read(),
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            if preview.upload is not None:
                return redirect("staff:roster_preview", preview.upload.pk)
            parsed = preview.parsed
    recent = RosterImport.objects.filter(campaign=campaign).select_related(
        "uploaded_by", "committed_by"
    )[:10]
    return render(
        request,
        "capture_sessions/staff/roster_import.html",
        {"campaign": campaign, "form": form, "parsed": parsed, "recent": recent},
        status=200,
    )


@office_required
@never_cache
def roster_preview(request, pk):
    upload = get_object_or_404(RosterImport.objects.select_related("campaign"), pk=pk)
    form = RosterConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.roster_import_commit(
                actor=Actor.of(request.user),
                import_id=upload.pk,
                withdraw_missing=form.cleaned_data["withdraw_missing"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if result.changed:
                messages.success(
                    request,
                    _("导入完成：新增 %(c)d 人，更新 %(u)d 人，退出名单 %(w)d 人。")
                    % {"c": result.created, "u": result.updated, "w": result.withdrawn},
                )
            else:
                messages.info(request, _("这份名单已经导入过，没有再次修改。"))
        return redirect("staff:roster_preview", upload.pk)
    return render(
        request, "capture_sessions/staff/roster_preview.html", {"upload": upload, "form": form}
    )


SCHEDULE_ACTIONS = ("propose", "move", "remove", "times", "publish", "withdraw")


@office_required
def schedule(request, session_id):
    session = get_object_or_404(CaptureSession.objects.select_related("campaign"), pk=session_id)
    actor = Actor.of(request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    slots = TimeSlot.objects.filter(session=session)
    units = TrainingUnit.objects.filter(active=True)
    proposal_form = ProposalForm(
        request.POST
        if action == "propose"
        else (request.GET if "window_minutes" in request.GET else None)
    )
    move_form = MoveUnitForm(request.POST if action == "move" else None, units=units, slots=slots)
    times_form = SlotTimesForm(request.POST if action == "times" else None, slots=slots)
    remove_form = RemoveUnitForm(
        request.POST if action == "remove" else None,
        units=units.filter(slot_units__session=session),
    )
    if action in SCHEDULE_ACTIONS:
        try:
            if action == "propose" and proposal_form.is_valid():
                services.schedule_apply_proposal(
                    actor=actor,
                    session_id=session.pk,
                    window_minutes=proposal_form.cleaned_data["window_minutes"],
                )
                messages.success(request, _("已按人数重新生成时间表。"))
                return redirect("staff:schedule", session.pk)
            if action == "move" and move_form.is_valid():
                split_by, split_values = move_form.rule()
                services.schedule_move_unit(
                    actor=actor,
                    session_id=session.pk,
                    unit_id=move_form.cleaned_data["unit"].pk,
                    slot_id=move_form.cleaned_data["slot"].pk,
                    split_by=split_by,
                    split_values=split_values,
                )
                messages.success(request, _("已调整培养单位的时段。"))
                return redirect("staff:schedule", session.pk)
            if action == "remove" and remove_form.is_valid():
                services.schedule_remove_unit(
                    actor=actor, session_id=session.pk, unit_id=remove_form.cleaned_data["unit"].pk
                )
                messages.success(request, _("已将该培养单位移出本场次。"))
                return redirect("staff:schedule", session.pk)
            if action == "times" and times_form.is_valid():
                services.schedule_set_times(
                    actor=actor, session_id=session.pk, times=times_form.times()
                )
                messages.success(request, _("已保存各时段的时间。"))
                return redirect("staff:schedule", session.pk)
            if action in ("publish", "withdraw"):
                services.schedule_publish(
                    actor=actor, session_id=session.pk, publish=action == "publish"
                )
                messages.success(
                    request, _("时间表已发布。") if action == "publish" else _("已撤回发布。")
                )
                return redirect("staff:schedule", session.pk)
            messages.error(request, _("请检查下面标出的内容。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    load = selectors.schedule_load(session)
    stranded = selectors.unassigned_students(session.campaign_id)
    proposal = None
    if action is None and "window_minutes" in request.GET and proposal_form.is_valid():
        proposal = scheduling.propose(
            session,
            selectors.session_headcounts(session),
            proposal_form.cleaned_data["window_minutes"],
        )
    context = {
        "session": session,
        "load": load,
        "proposal": proposal,
        "proposal_form": proposal_form,
        "move_form": move_form,
        "times_form": times_form,
        "remove_form": remove_form,
        "stranded": stranded,
        "stranded_total": sum(stranded.values()),
        "sessions": selectors.campaign_sessions(session.campaign),
        "unscheduled": selectors.unscheduled_units(session, load.windows),
    }
    return render(
        request,
        "capture_sessions/staff/schedule.html",
        context,
        status=400 if action and request.method == "POST" else 200,
    )


@office_required
@require_GET
def schedule_print(request, session_id):
    session = get_object_or_404(CaptureSession.objects.select_related("campaign"), pk=session_id)
    return render(
        request,
        "capture_sessions/staff/schedule_print.html",
        {"session": session, "windows": selectors.schedule_windows(session)},
    )


@office_required
@require_GET
def schedule_xlsx(request, session_id):
    session = get_object_or_404(CaptureSession, pk=session_id)
    data = exports.schedule_workbook(selectors.schedule_windows(session), session)
    return xlsx_response(data, f"时间表-{session.date:%Y%m%d}.xlsx")


@office_required
@never_cache
@require_GET
def coordinators(request):
    campaign = _campaign()
    units = selectors.coordinator_overview(campaign)
    for unit in units:
        unit.filled = len(unit.campaign_coordinators)
    missing = sum(1 for u in units if u.filled < 2)
    return render(
        request,
        "capture_sessions/staff/coordinators.html",
        {
            "campaign": campaign,
            "units": units,
            "missing": missing,
            "deadline_passed": timezone.now() > campaign.coordinator_deadline,
        },
    )


@office_required
@require_GET
def coordinators_xlsx(request):
    campaign = _campaign()
    data = exports.coordinators_workbook(selectors.coordinator_overview(campaign))
    return xlsx_response(data, "负责人名单.xlsx")


@office_required
@require_GET
def roster_xlsx(request):
    return xlsx_response(exports.roster_workbook(_campaign()), "名单与采集状态.xlsx")


@office_required
@require_GET
def absentees_xlsx(request):
    return xlsx_response(exports.absentees_workbook(_campaign()), "缺席与分散采集.xlsx")


@office_required
@never_cache
@require_GET
def live(request, session_id):
    session = get_object_or_404(CaptureSession.objects.select_related("campaign"), pk=session_id)
    progress = selectors.session_progress(session)
    missing = selectors.not_arrived(session)
    for window in progress.windows:
        for unit in window.units:
            unit.not_arrived = missing.get(unit.unit.pk, [])
    chart = charts.progress_chart(session, progress, selectors.photographed_timeline(session))
    return render(
        request,
        "capture_sessions/staff/live.html",
        {
            "session": session,
            "progress": progress,
            "chart": chart,
            "sessions": selectors.campaign_sessions(session.campaign),
        },
    )


@office_required
def close_session(request, session_id):
    session = get_object_or_404(CaptureSession.objects.select_related("campaign"), pk=session_id)
    if request.method == "POST":
        try:
            n = services.session_close(actor=Actor.of(request.user), session_id=session.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("staff:close_session", session.pk)
        messages.success(request, _("场次已关闭：%(n)d 名学生记为缺席。") % {"n": n})
        return redirect("staff:absentees")
    progress = selectors.session_progress(session)
    return render(
        request,
        "capture_sessions/staff/close.html",
        {
            "session": session,
            "to_absent": progress.counts["expected"] + progress.counts["arrived"],
            "counts": progress.counts,
        },
    )


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def shooting_numbers(request, session_id):
    session = get_object_or_404(CaptureSession, pk=session_id)
    if request.method == "POST":
        form = ShootingNoCorrectionForm(request.POST)
        if form.is_valid():
            try:
                result = services.shooting_no_correct(
                    actor=Actor.of(request.user),
                    capture_id=form.capture_id(session),
                    shooting_no=form.cleaned_data["shooting_no"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("已更正 %(name)s 的拍摄号为 %(no)s")
                    % {"name": result.capture.student.name, "no": result.capture.shooting_no},
                )
                return redirect("staff:shooting_numbers", session.pk)
    else:
        form = ShootingNoCorrectionForm()
    check = selectors.shooting_numbers(session)
    return render(
        request,
        "capture_sessions/staff/shooting_numbers.html",
        {
            "session": session,
            "check": check,
            "flagged": sum(1 for e in check.entries if e["flags"]),
            "form": form,
        },
    )


@office_required
@require_GET
def shooting_numbers_xlsx(request, session_id):
    session = get_object_or_404(CaptureSession, pk=session_id)
    return xlsx_response(
        exports.shooting_numbers_workbook(selectors.shooting_numbers(session)),
        f"拍摄号-{session.date:%Y%m%d}.xlsx",
    )


@office_required
def absentees(request):
    campaign = _campaign()
    if request.method == "POST":
        try:
            unit_id = int(request.POST.get("unit_id", ""))
            n = services.absentees_send_offsite(
                actor=Actor.of(request.user),
                campaign_id=campaign.pk,
                unit_id=unit_id,
                reason=request.POST.get("reason", ""),
            )
        except (ValueError, DomainError) as exc:
            messages.error(request, getattr(exc, "message", _("请选择培养单位。")))
        else:
            messages.success(request, _("已将 %(n)d 名缺席学生转为分散采集。") % {"n": n})
        return redirect("staff:absentees")
    rows = selectors.absentee_counts(campaign)
    return render(
        request, "capture_sessions/staff/absentees.html", {"campaign": campaign, "rows": rows}
    )


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def stations(request):
    """Stations and their devices: pair this browser, show a pairing link, revoke."""
    campaign = selectors.office_campaign()
    context = {"campaign": campaign, "stations": [], "now": timezone.now()}
    if campaign is None:
        return render(request, "capture_sessions/staff/stations.html", context)
    if request.method == "POST":
        actor = Actor.of(request.user)
        action = request.POST.get("action")
        try:
            if action == "pair_here":
                device, token = services.device_create(
                    actor=actor, station_id=_post_id(request, "station_id")
                )
                return render(
                    request,
                    "capture_sessions/station/paired.html",
                    {"device": device, "token": token},
                )
            if action == "pairing_link":
                device, code = services.device_pairing_create(
                    actor=actor,
                    station_id=_post_id(request, "station_id"),
                    name=request.POST.get("name", ""),
                )
                link = request.build_absolute_uri(reverse("station:pair")) + "#" + code
                context.update(
                    pairing={"device": device, "link": link, "qr": passes.qr_data_uri(link)}
                )
            elif action == "revoke":
                device = services.device_revoke(
                    actor=actor, device_id=_post_id(request, "device_id")
                )
                messages.success(request, _("已停用设备：%(name)s") % {"name": device.name})
                return redirect("staff:stations")
            else:
                raise DomainError(_("未知操作。"), "invalid")
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("staff:stations")
    context["stations"] = selectors.station_devices(campaign)
    return render(request, "capture_sessions/staff/stations.html", context)


def _post_id(request, name):
    value = request.POST.get(name, "")
    if not value.isdigit() or len(value) > 18:
        raise DomainError(_("请求无效。"), "invalid")
    return int(value)


@office_required
@require_POST
def campaign_step(request):
    """Publish or close the office's campaign (a logged service); back to the dashboard."""
    campaign = _campaign()
    action = request.POST.get("action", "")
    if action == "close" and request.POST.get("confirm") != "1":
        messages.error(request, _("请勾选确认后再结束采集活动。"))
        return redirect("staff:index")
    try:
        campaign = services.campaign_step(
            actor=Actor.of(request.user), campaign_id=campaign.pk, action=action
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("采集活动现为“%(status)s”。") % {"status": campaign.get_status_display()}
        )
    return redirect("staff:index")
