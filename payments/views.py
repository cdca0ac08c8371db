"""Fee pages: the coordinator's link (/c/<token>/, no account), the unit's fee page for its
counsellor and the office, and the office's reconciliation."""

import secrets

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import counsellor_required, office_required
from capture_portal.xlsx import xlsx_response
from payments import exports, selectors, services
from payments.forms import HandoverForm, PayForm, RefundForm, ReverseForm
from sessions import aftercare_selectors
from sessions import selectors as session_selectors
from sessions.messages import unit_messages
from sessions.models import Capture
from sessions.views.aftercare import apply_prints_post
from units.selectors import access_unit


def _link(request, token):
    """(unit, campaign) of a coordinator link, or the page that explains why not."""
    try:
        return session_selectors.access_coordinator_link(token), None
    except session_selectors.LinkRefused as refused:
        return None, render(
            request, "payments/link_refused.html", {"reason": refused.reason}, status=410
        )


def _sheet_context(unit, campaign):
    rows, totals = selectors.fee_sheet(unit, campaign)
    return {
        "unit": unit,
        "campaign": campaign,
        "rows": rows,
        "totals": totals,
        "missing": [
            r.capture.student
            for r in rows
            if r.capture.status in (Capture.Status.EXPECTED, Capture.Status.ARRIVED)
        ],
        "pay_form": PayForm(),
        "new_key": secrets.token_hex(12),
    }


@never_cache
@require_safe
def coordinator_page(request, token):
    found, refused = _link(request, token)
    if refused:
        return refused
    unit, campaign = found
    context = _sheet_context(unit, campaign)
    captures = [r.capture for r in context["rows"]]
    # After the day: the prints to hand out, and each student's state in plain words (a
    # CHSI dispute's reason is not for a fellow student).
    prints = aftercare_selectors.print_sheet(unit, campaign, rows=captures)
    aftercare_selectors.tag_rows(captures, campaign, arrived=prints.arrived, reasons=False)
    # Ready-to-send group messages with the unit's own windows (two queries: its
    # placements and its coordinators).
    group_messages = unit_messages(unit, campaign, f"{request.scheme}://{request.get_host()}")
    context.update(coordinator=True, token=token, prints=prints, group_messages=group_messages)
    return render(request, "payments/sheet.html", context)


def _apply(request, actor, campaign, form_class, service, done):
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查填写的内容。"))
        return
    data = dict(form.cleaned_data)
    student_id = data.pop("student_id")
    if "key" in data:
        data["idempotency_key"] = data.pop("key") or None
    try:
        result = service(actor=actor, campaign_id=campaign.pk, student_id=student_id, **data)
    except DomainError as exc:
        messages.error(request, exc.message)
        return
    if result.changed:
        messages.success(request, done)
    else:
        messages.info(request, _("已经记录过，没有重复记账。"))


def _coordinator_write(request, token, form_class, service, done):
    found, refused = _link(request, token)
    if refused:
        return refused
    unit, campaign = found
    _apply(request, Actor.coordinator_link(unit.pk), campaign, form_class, service, done)
    return redirect("payments:coordinator", token=token)


@require_POST
def coordinator_pay(request, token):
    return _coordinator_write(request, token, PayForm, services.fee_record, _("已记为已缴费。"))


@require_POST
def coordinator_reverse(request, token):
    return _coordinator_write(request, token, ReverseForm, services.fee_reverse, _("已冲正。"))


@require_POST
def coordinator_prints(request, token):
    """The coordinators record that the unit's prints arrived and tick who received theirs
    (the link authorises its one unit)."""
    found, refused = _link(request, token)
    if refused:
        return refused
    unit, campaign = found
    apply_prints_post(request, Actor.coordinator_link(unit.pk), campaign, unit)
    return redirect(reverse("payments:coordinator", kwargs={"token": token}) + "#prints")


def _unit_fee_page(request, unit, campaign, handover_form, status=200):
    context = _sheet_context(unit, campaign)
    context.update(
        handover_form=handover_form,
        refund_form=RefundForm(),
        handovers=unit.handovers.filter(campaign=campaign).select_related("recorded_by"),
    )
    return render(request, "payments/sheet.html", context, status=status)


@counsellor_required
@never_cache
def unit_fees(request, unit_id):
    unit = access_unit(request.user, unit_id)
    campaign = session_selectors.campaign_or_start()
    actor = Actor.of(request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    handover_form = HandoverForm(request.POST if action == "handover" else None)
    if action == "pay":
        _apply(request, actor, campaign, PayForm, services.fee_record, _("已记为已缴费。"))
    elif action == "reverse":
        _apply(request, actor, campaign, ReverseForm, services.fee_reverse, _("已冲正。"))
    elif action == "refund":
        _apply(request, actor, campaign, RefundForm, services.fee_refund, _("已退费。"))
    elif action == "handover":
        if not handover_form.is_valid():
            messages.error(request, _("请检查填写的内容。"))
            return _unit_fee_page(request, unit, campaign, handover_form, status=400)
        try:
            services.handover_record(
                actor=actor,
                campaign_id=campaign.pk,
                unit_id=unit.pk,
                **handover_form.cleaned_data,
            )
        except DomainError as exc:
            # Keep what was typed: the form comes back with the refusal above it.
            messages.error(request, exc.message)
            return _unit_fee_page(request, unit, campaign, handover_form, status=400)
        messages.success(request, _("交接已记录。"))
    if request.method == "POST":
        return redirect("payments:unit_fees", unit.pk)
    return _unit_fee_page(request, unit, campaign, handover_form)


@office_required
@never_cache
@require_GET
def reconciliation(request):
    campaign = session_selectors.campaign_or_start()
    units, total = selectors.reconciliation(campaign)
    return render(
        request,
        "payments/reconciliation.html",
        {"campaign": campaign, "units": units, "total": total},
    )


@office_required
@require_GET
def reconciliation_xlsx(request):
    campaign = session_selectors.campaign_or_start()
    units, total = selectors.reconciliation(campaign)
    return xlsx_response(exports.reconciliation_workbook(units, total), "费用对账.xlsx")
