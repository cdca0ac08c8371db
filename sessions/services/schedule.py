"""Building and publishing a session's schedule (office only).

Codes raised (DomainError): ``forbidden``, ``not_found``, ``published`` (rebuild a
published schedule), ``invalid_times``, ``overlap``, ``incomplete`` (publish with units
left out or empty windows).
"""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions import scheduling
from sessions.models import CaptureSession, SlotUnit, TimeSlot
from sessions.services.assignment import captures_assign_sessions
from units.models import TrainingUnit

logger = logging.getLogger(__name__)


def _require_office(actor):
    if not actor.is_office:
        raise DomainError(_("只有研究生学院工作人员可以编排时间表。"), "forbidden")


def _lock_session(session_id):
    session = CaptureSession.objects.select_for_update().filter(pk=session_id).first()
    if session is None:
        raise DomainError(_("找不到该场次。"), "not_found")
    return session


def schedule_apply_proposal(*, actor, session_id, window_minutes):
    """Replace the session's windows by a proposal from current headcounts.

    Refused (``published``) while the schedule is published: withdraw it first, so that
    students never see a schedule that changes under them.
    """
    from sessions.selectors import unit_headcounts

    _require_office(actor)
    with transaction.atomic():
        session = _lock_session(session_id)
        if session.schedule_published:
            raise DomainError(_("时间表已发布；请先撤回发布，再重新生成。"), "published")
        proposal = scheduling.propose(session, unit_headcounts(session.campaign), window_minutes)
        TimeSlot.objects.filter(session=session).delete()
        for order, window in enumerate(proposal.windows, start=1):
            slot = TimeSlot.objects.create(
                session=session, start=window.start, end=window.end, order=order
            )
            SlotUnit.objects.bulk_create(
                SlotUnit(session=session, slot=slot, unit=unit, order=i)
                for i, (unit, _n) in enumerate(window.units, start=1)
            )
        captures_assign_sessions(actor=actor, campaign_id=session.campaign_id)
    logger.info("session %s: schedule rebuilt by %s", session_id, actor)
    return proposal


def schedule_move_unit(*, actor, session_id, unit_id, slot_id):
    """Put a unit into another window of the session (last in that window)."""
    _require_office(actor)
    with transaction.atomic():
        session = _lock_session(session_id)
        slot = TimeSlot.objects.filter(pk=slot_id, session=session).first()
        unit = TrainingUnit.objects.filter(pk=unit_id).first()
        if slot is None or unit is None:
            raise DomainError(_("找不到该时段或培养单位。"), "not_found")
        last = SlotUnit.objects.filter(slot=slot).order_by("-order").first()
        order = (last.order + 1) if last else 1
        placed = SlotUnit.objects.filter(session=session, unit=unit).first()
        if placed is None:
            SlotUnit.objects.create(session=session, slot=slot, unit=unit, order=order)
        elif placed.slot_id != slot.pk:
            placed.slot = slot
            placed.order = order
            placed.save(update_fields=["slot", "order"])
        captures_assign_sessions(actor=actor, campaign_id=session.campaign_id)
    logger.info("session %s: unit %s moved to slot %s by %s", session_id, unit_id, slot_id, actor)


def schedule_set_times(*, actor, session_id, times):
    """Set every window's start and end at once: {slot_id: (start, end)}.

    All windows must lie inside the session, end after they start, and not overlap.
    Window order follows the start times.
    """
    _require_office(actor)
    with transaction.atomic():
        session = _lock_session(session_id)
        slots = {s.pk: s for s in TimeSlot.objects.filter(session=session)}
        if set(times) != set(slots):
            raise DomainError(_("时间表已被他人修改，请刷新后重试。"), "not_found")
        spans = sorted((start, end, pk) for pk, (start, end) in times.items())
        for start, end, _pk in spans:
            if not (session.start <= start < end <= session.end):
                raise DomainError(
                    _("%(start)s–%(end)s 不在场次时间 %(s)s–%(e)s 之内，或结束早于开始。")
                    % {
                        "start": f"{start:%H:%M}",
                        "end": f"{end:%H:%M}",
                        "s": f"{session.start:%H:%M}",
                        "e": f"{session.end:%H:%M}",
                    },
                    "invalid_times",
                )
        for (_s1, end1, _p1), (start2, _e2, _p2) in zip(spans, spans[1:], strict=False):
            if start2 < end1:
                raise DomainError(
                    _("时段 %(a)s 与 %(b)s 重叠。")
                    % {"a": f"{_s1:%H:%M}–{end1:%H:%M}", "b": f"{start2:%H:%M}–{_e2:%H:%M}"},
                    "overlap",
                )
        # Renumber through a free range first: (session, order) is unique.
        TimeSlot.objects.filter(session=session).update(order=10_000 + 0)
        for order, (start, end, pk) in enumerate(spans, start=1):
            TimeSlot.objects.filter(pk=pk).update(start=start, end=end, order=10_000 + order)
        for order, (_start, _end, pk) in enumerate(spans, start=1):
            TimeSlot.objects.filter(pk=pk).update(order=order)
    logger.info("session %s: window times set by %s", session_id, actor)


def schedule_publish(*, actor, session_id, publish=True):
    """Publish (or withdraw) the schedule. Publishing needs every active unit in a
    window and no empty window."""
    _require_office(actor)
    with transaction.atomic():
        session = _lock_session(session_id)
        if publish:
            placed = set(SlotUnit.objects.filter(session=session).values_list("unit_id", flat=True))
            left_out = [
                u.name for u in TrainingUnit.objects.filter(active=True) if u.pk not in placed
            ]
            if left_out:
                raise DomainError(
                    _("还有培养单位没有安排时段：%(units)s。") % {"units": "、".join(left_out)},
                    "incomplete",
                )
            if TimeSlot.objects.filter(session=session, slot_units__isnull=True).exists():
                raise DomainError(
                    _("有时段没有安排任何培养单位；请删除或调整后再发布。"), "incomplete"
                )
            if not TimeSlot.objects.filter(session=session).exists():
                raise DomainError(_("时间表是空的。"), "incomplete")
        session.schedule_published = publish
        session.save(update_fields=["schedule_published"])
    logger.info(
        "session %s: schedule %s by %s", session_id, "published" if publish else "withdrawn", actor
    )
    return session
