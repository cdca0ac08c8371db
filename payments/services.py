"""The fee ledger and the handovers. Every write is an append: a mistake is corrected by a
reversal entry, never by an edit or a delete.

Who may write: the office; a counsellor of the student's unit; the unit's coordinator
link. Codes raised (DomainError): ``forbidden``, ``not_found``, ``campaign_closed``,
``not_paid`` (reverse or refund what was not paid), ``no_fee_due`` (a new tick for a
student who owes no on-site fee: off-site, exempt, absent; payments.rules), ``invalid``.

A student's *balance* is the sum of their entries. Ticking "paid" twice, from one device
or two at once, writes one entry: the student's capture row is locked for the check.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from payments.models import FeeEntry, Handover, Method
from payments.rules import fee_due, no_fee_reason
from sessions.models import Campaign, Capture
from sessions.services.common import existing_unit, open_campaign
from units.selectors import may_act_for_unit

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")
# The largest id the database holds: a form's integer beyond it made the driver raise
# OverflowError (a 500) instead of finding no student.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class FeeResult:
    entry: FeeEntry | None
    changed: bool
    balance: Decimal


def _lock_capture(actor, campaign_id, student_id):
    if isinstance(student_id, bool) or not isinstance(student_id, int):
        raise DomainError(_("找不到该学生。"), "not_found")
    if not 0 < student_id <= MAX_ID:
        raise DomainError(_("找不到该学生。"), "not_found")
    capture = (
        Capture.objects.select_for_update(of=("self",))
        .select_related("student", "campaign")
        .filter(campaign_id=campaign_id, student_id=student_id, student__withdrawn=False)
        .first()
    )
    if capture is None:
        raise DomainError(_("找不到该学生。"), "not_found")
    if not may_act_for_unit(actor, capture.student.unit_id, links=True):
        # Out of scope answers like missing: a link of unit A learns nothing of unit B.
        raise DomainError(_("找不到该学生。"), "not_found")
    if capture.campaign.status == Campaign.Status.CLOSED:
        raise DomainError(_("本次采集活动已结束，不能再记账。"), "campaign_closed")
    return capture


def balance(campaign_id, student_id):
    total = FeeEntry.objects.filter(campaign_id=campaign_id, student_id=student_id).aggregate(
        s=Sum("amount")
    )["s"]
    return (total or Decimal(0)).quantize(CENT)


def _entry(actor, capture, kind, amount, method, note="", key=None):
    entry = FeeEntry.objects.create(
        campaign_id=capture.campaign_id,
        student_id=capture.student_id,
        kind=kind,
        amount=amount,
        method=method,
        recorded_by=actor.user,
        recorded_by_label=actor.label,
        note=note[:200],
        idempotency_key=key or None,
    )
    logger.info("fee %s %s for capture %s by %s", kind, amount, capture.pk, actor)
    return entry


def _method(method):
    if method not in Method.values:
        raise DomainError(_("请选择付款方式。"), "invalid")
    return method


def fee_record(*, actor, campaign_id, student_id, method, idempotency_key=None):
    """Tick a student as paid: one entry of the campaign's on-site fee. A student already
    paid is not charged again (``changed=False``). A student who owes no on-site fee
    (off-site, exempt, absent: payments.rules) cannot newly be ticked (``no_fee_due``);
    what they paid before stays and can be reversed or refunded."""
    method = _method(method)
    with transaction.atomic():
        capture = _lock_capture(actor, campaign_id, student_id)
        if idempotency_key:
            first = FeeEntry.objects.filter(idempotency_key=idempotency_key).first()
            if first is not None:
                return FeeResult(first, False, balance(campaign_id, student_id))
        current = balance(campaign_id, student_id)
        if current > 0:
            return FeeResult(None, False, current)
        if not fee_due(capture.status):
            raise DomainError(str(no_fee_reason(capture.status)), "no_fee_due")
        fee = capture.campaign.onsite_fee
        entry = _entry(actor, capture, FeeEntry.Kind.PAYMENT, fee, method, key=idempotency_key)
        return FeeResult(entry, True, current + fee)


def fee_reverse(*, actor, campaign_id, student_id, reason=""):
    """Take back a wrong tick: a reversal entry of the whole balance."""
    with transaction.atomic():
        capture = _lock_capture(actor, campaign_id, student_id)
        current = balance(campaign_id, student_id)
        if current <= 0:
            raise DomainError(_("该学生没有已缴的费用可冲正。"), "not_paid")
        last = (
            FeeEntry.objects.filter(
                campaign_id=campaign_id, student_id=student_id, kind=FeeEntry.Kind.PAYMENT
            )
            .order_by("-id")
            .first()
        )
        entry = _entry(
            actor,
            capture,
            FeeEntry.Kind.REVERSAL,
            -current,
            last.method if last else Method.CASH,
            reason or _("勾选有误，冲正"),
        )
        return FeeResult(entry, True, Decimal(0).quantize(CENT))


def fee_refund(*, actor, campaign_id, student_id, method, reason):
    """Give the money back (e.g. a student who paid, then went to off-site capture)."""
    method = _method(method)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("退费须填写原因。"), "invalid")
    with transaction.atomic():
        capture = _lock_capture(actor, campaign_id, student_id)
        current = balance(campaign_id, student_id)
        if current <= 0:
            raise DomainError(_("该学生没有可退的费用。"), "not_paid")
        entry = _entry(actor, capture, FeeEntry.Kind.REFUND, -current, method, reason)
        return FeeResult(entry, True, Decimal(0).quantize(CENT))


def handover_record(
    *, actor, campaign_id, unit_id, amount, method, received_by, received_at, reference=""
):
    """Record money a unit handed to the Xinhua staff. Office or the unit's counsellor."""
    if not may_act_for_unit(actor, unit_id):
        raise DomainError(_("您无权为该单位登记交接。"), "forbidden")
    method = _method(method)
    try:
        amount = Decimal(str(amount)).quantize(CENT)
    except (ArithmeticError, ValueError):
        raise DomainError(_("请输入金额。"), "invalid") from None
    if amount <= 0:
        raise DomainError(_("金额必须大于 0。"), "invalid")
    received_by = (received_by or "").strip()
    if not received_by:
        raise DomainError(_("请填写新华社接收人姓名。"), "invalid")
    with transaction.atomic():
        campaign = open_campaign(campaign_id, closed_message=_("本次采集活动已结束，不能再记账。"))
        unit = existing_unit(unit_id)
        handover = Handover.objects.create(
            campaign=campaign,
            unit=unit,
            amount=amount,
            method=method,
            received_by=received_by[:64],
            received_at=received_at or timezone.now(),
            reference=(reference or "").strip()[:64],
            recorded_by=actor.user,
        )
    logger.info("handover %s for unit %s by %s", amount, unit_id, actor)
    return handover


def campaign_purge(*, actor, campaign_id):
    """Remove a closed campaign's personal data, keeping every count, sum and log row.

    Names, phones and ID tails of its students (those in no open campaign), coordinators'
    names and phones, notes that may name people, and the stored import rows are emptied.
    Statuses, timestamps, ledger amounts and the shape of the logs stay, so the figures of
    the campaign can still be reported. It lives here, in the top app, because it spans all
    three apps. Codes: ``forbidden``, ``not_found``, ``not_closed``.
    """
    from sessions.models import (
        CaptureLog,
        ConfirmationImport,
        Coordinator,
        CoordinatorChange,
        CorrectionRequest,
        RosterImport,
        WalkIn,
    )
    from sessions.photos.purge import purge_photos
    from units.models import Student

    if not actor.is_office:
        raise DomainError(_("只有研究生学院工作人员可以清除个人信息。"), "forbidden")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise DomainError(_("找不到该采集活动。"), "not_found")
        if campaign.status != Campaign.Status.CLOSED:
            raise DomainError(_("只能清除已结束的采集活动。"), "not_closed")
        still_open = Capture.objects.exclude(campaign__status=Campaign.Status.CLOSED).values(
            "student_id"
        )
        students = Student.objects.filter(captures__campaign=campaign).exclude(pk__in=still_open)
        counts = {
            "students": students.update(name="", phone="", id_tail="", updated_at=timezone.now()),
            "coordinators": Coordinator.objects.filter(campaign=campaign).update(
                name="", phone="", student=None
            ),
            "coordinator_changes": CoordinatorChange.objects.filter(campaign=campaign).update(
                name="", phone=""
            ),
            "attention_notes": Capture.objects.filter(campaign=campaign).update(attention_note=""),
            "log_notes": CaptureLog.objects.filter(capture__campaign=campaign).update(note=""),
            "fee_notes": FeeEntry.objects.filter(campaign=campaign).update(note=""),
            "handovers": Handover.objects.filter(campaign=campaign).update(
                received_by="", reference=""
            ),
            # After the day: reasons and notes may name people or their circumstances.
            "after_the_day_notes": Capture.objects.filter(campaign=campaign).update(
                offsite_reason="", chsi_reason="", issue_note=""
            ),
            "correction_requests": CorrectionRequest.objects.filter(
                capture__campaign=campaign
            ).update(reason="", decision_note=""),
            "walk_ins": WalkIn.objects.filter(session__campaign=campaign).update(
                student_no="", name="", unit_text="", resolution_note=""
            ),
            "confirmation_imports": ConfirmationImport.objects.filter(campaign=campaign).update(
                rows=[], file_name=""
            ),
            # The delivered photos themselves: files removed from the photo storage.
            "photos": purge_photos(campaign),
        }
        for upload in RosterImport.objects.filter(campaign=campaign):
            kept = {k: v for k, v in upload.summary.items() if not k.endswith("_sample")}
            upload.rows = []
            upload.summary = kept
            upload.file_name = ""
            upload.save(update_fields=["rows", "summary", "file_name"])
    logger.info("campaign %s purged by %s: %s", campaign_id, actor, counts)
    return counts
