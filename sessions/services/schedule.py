"""Building and publishing a session's schedule (office only).

Codes raised (DomainError): ``forbidden``, ``not_found``, ``published`` (rebuild a
published schedule), ``invalid_times``, ``overlap``, ``incomplete`` (publish with units
left out or empty windows), ``invalid_split`` (a split rule without values, an unknown
level or major, student numbers of another unit), ``split_required`` (a unit placed whole
in two sessions), ``split_overlap`` (two rules taking the same students),
``session_closed``.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from capture_portal.exceptions import DomainError
from sessions import scheduling
from sessions.models import CaptureSession, SlotUnit, TimeSlot
from sessions.selectors import unassigned_students
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
    from sessions.selectors import session_headcounts

    _require_office(actor)
    with transaction.atomic():
        session = _lock_session(session_id)
        _refuse_closed(session)
        if session.schedule_published:
            raise DomainError(_("时间表已发布；请先撤回发布，再重新生成。"), "published")
        proposal = scheduling.propose(session, session_headcounts(session), window_minutes)
        # A unit split across sessions keeps its rule in the new windows.
        rules = {
            su.unit_id: (su.split_by, su.split_values)
            for su in SlotUnit.objects.filter(session=session).exclude(split_by="")
        }
        TimeSlot.objects.filter(session=session).delete()
        for order, window in enumerate(proposal.windows, start=1):
            slot = TimeSlot.objects.create(
                session=session, start=window.start, end=window.end, order=order
            )
            SlotUnit.objects.bulk_create(
                SlotUnit(
                    session=session,
                    slot=slot,
                    unit=unit,
                    order=i,
                    split_by=rules.get(unit.pk, ("", []))[0],
                    split_values=rules.get(unit.pk, ("", []))[1],
                )
                for i, (unit, _n) in enumerate(window.units, start=1)
            )
        captures_assign_sessions(actor=actor, campaign_id=session.campaign_id)
    logger.info("session %s: schedule rebuilt by %s", session_id, actor)
    return proposal


def _clean_rule(session, unit, split_by, values):
    """The split rule as stored, or DomainError ``invalid_split``: values are required for
    a rule, levels must be known, and a list's student numbers must be this unit's."""
    from units.models import Student

    values = [v.strip() for v in values or [] if v and v.strip()]
    values = list(dict.fromkeys(values))  # once each, in the order typed
    if split_by not in SlotUnit.SplitBy.values:
        raise DomainError(_("未知的拆分方式。"), "invalid_split")
    if not split_by:
        return "", []
    if not values:
        raise DomainError(_("按专业、层次或名单拆分时，请填写取值。"), "invalid_split")
    if split_by == SlotUnit.SplitBy.LEVEL:
        labels = {str(label): code for code, label in Student.Level.choices}
        codes = [labels.get(v, v) for v in values]
        unknown = [v for v, c in zip(values, codes, strict=True) if c not in Student.Level.values]
        if unknown:
            raise DomainError(
                _("未知的层次：%(values)s。") % {"values": "、".join(unknown[:10])}, "invalid_split"
            )
        return split_by, codes
    if split_by == SlotUnit.SplitBy.LIST:
        known = set(
            Student.objects.filter(unit=unit, student_no__in=values).values_list(
                "student_no", flat=True
            )
        )
        unknown = [v for v in values if v not in known]
        if unknown:
            raise DomainError(
                _("有 %(n)d 个学号不属于%(unit)s，例如 %(first)s。")
                % {"n": len(unknown), "unit": unit.name, "first": unknown[0][:32]},
                "invalid_split",
            )
    if split_by == SlotUnit.SplitBy.MAJOR:
        known = set(
            Student.objects.filter(unit=unit, withdrawn=False, major__in=values).values_list(
                "major", flat=True
            )
        )
        unknown = [v for v in values if v not in known]
        if unknown:
            raise DomainError(
                _("%(unit)s没有这些专业的学生：%(values)s。")
                % {
                    "unit": unit.name,
                    "values": pgettext("list separator", "、").join(v[:40] for v in unknown[:10]),
                },
                "invalid_split",
            )
    return split_by, values


def _check_overlap(session, unit, rule):
    """A rule must not take students another session's rule already takes (each student
    belongs to exactly one session). DomainError ``split_overlap``."""
    from sessions.services.assignment import _matches
    from units.models import Student

    if not rule[0]:
        return
    others = list(
        SlotUnit.objects.filter(
            unit=unit,
            session__campaign_id=session.campaign_id,
            session__kind=CaptureSession.Kind.REGULAR,
        )
        .exclude(session=session)
        .exclude(split_by="")
        .select_related("session")
    )
    if not others:
        return
    mine = {"split_by": rule[0], "split_values": rule[1]}
    students = Student.objects.filter(unit=unit, withdrawn=False).values(
        "student_no", "major", "level"
    )
    for other in others:
        theirs = {"split_by": other.split_by, "split_values": other.split_values}
        both = 0
        for row in students:
            student = {f"student__{k}": v for k, v in row.items()}
            if _matches(mine, student) and _matches(theirs, student):
                both += 1
        if both:
            raise DomainError(
                _(
                    "这条规则与 %(date)s %(place)s 场次的规则重叠：%(n)d 名学生会同时属于两个场次。"
                    "请调整取值，使每名学生只属于一个场次。"
                )
                % {
                    "date": f"{other.session.date:%Y-%m-%d}",
                    "place": f"{other.session.campus} {other.session.place}".strip(),
                    "n": both,
                },
                "split_overlap",
            )


def _refuse_closed(session):
    if session.closed_at is not None:
        raise DomainError(_("该场次已关闭，不能再修改时间表。"), "session_closed")


def schedule_move_unit(*, actor, session_id, unit_id, slot_id, split_by=None, split_values=()):
    """Put a unit into a window of the session (last in that window). With `split_by`
    (major, level or list) and its values, the placement takes only those students of the
    unit (split across sessions); "" takes the rest; None keeps the placement's rule.

    A unit placed whole in another session is refused here without a rule
    (``split_required``): each student belongs to exactly one session."""
    _require_office(actor)
    with transaction.atomic():
        session = _lock_session(session_id)
        slot = TimeSlot.objects.filter(pk=slot_id, session=session).first()
        unit = TrainingUnit.objects.filter(pk=unit_id).first()
        if slot is None or unit is None:
            raise DomainError(_("找不到该时段或培养单位。"), "not_found")
        _refuse_closed(session)
        placed = SlotUnit.objects.filter(session=session, unit=unit).first()
        if split_by is None:
            rule = (placed.split_by, placed.split_values) if placed else ("", [])
        else:
            rule = _clean_rule(session, unit, split_by, split_values)
            _check_overlap(session, unit, rule)
        if session.kind == CaptureSession.Kind.REGULAR and rule[0] == "":
            whole = (
                SlotUnit.objects.filter(
                    unit=unit,
                    split_by="",
                    session__campaign_id=session.campaign_id,
                    session__kind=CaptureSession.Kind.REGULAR,
                )
                .exclude(session=session)
                .select_related("session")
                .first()
            )
            if whole is not None:
                raise DomainError(
                    _(
                        "%(unit)s已整体安排在 %(date)s %(place)s 场次；"
                        "若要分在两个场次，请为其中一个设置拆分规则（按专业、层次或名单）。"
                    )
                    % {
                        "unit": unit.name,
                        "date": f"{whole.session.date:%Y-%m-%d}",
                        "place": whole.session.place,
                    },
                    "split_required",
                )
        last = SlotUnit.objects.filter(slot=slot).order_by("-order").first()
        order = (last.order + 1) if last else 1
        if placed is None:
            SlotUnit.objects.create(
                session=session,
                slot=slot,
                unit=unit,
                order=order,
                split_by=rule[0],
                split_values=rule[1],
            )
        else:
            if placed.slot_id != slot.pk:
                placed.slot, placed.order = slot, order
            placed.split_by, placed.split_values = rule
            placed.save(update_fields=["slot", "order", "split_by", "split_values"])
        captures_assign_sessions(actor=actor, campaign_id=session.campaign_id)
    logger.info("session %s: unit %s moved to slot %s by %s", session_id, unit_id, slot_id, actor)


def schedule_remove_unit(*, actor, session_id, unit_id):
    """Take a unit out of this session's schedule (its students then go to the session
    that still places them, or to none). Refused while the schedule is published."""
    _require_office(actor)
    with transaction.atomic():
        session = _lock_session(session_id)
        _refuse_closed(session)
        if session.schedule_published:
            raise DomainError(_("时间表已发布；请先撤回发布，再移出培养单位。"), "published")
        removed, _n = SlotUnit.objects.filter(session=session, unit_id=unit_id).delete()
        if not removed:
            raise DomainError(_("该培养单位不在本场次的时间表中。"), "not_found")
        captures_assign_sessions(actor=actor, campaign_id=session.campaign_id)
    logger.info("session %s: unit %s removed by %s", session_id, unit_id, actor)


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
    """Publish (or withdraw) one session's schedule; the other sessions are untouched.
    Publishing needs every active unit placed in some session of the campaign, and no
    empty window here."""
    _require_office(actor)
    with transaction.atomic():
        session = _lock_session(session_id)
        if publish and session.kind == CaptureSession.Kind.MAKEUP:
            # A make-up session may have no windows: its students come in its whole time.
            if TimeSlot.objects.filter(session=session, slot_units__isnull=True).exists():
                raise DomainError(
                    _("有时段没有安排任何培养单位；请删除或调整后再发布。"), "incomplete"
                )
        elif publish:
            # Every unit must be placed somewhere in the campaign (this session or another,
            # published or not yet): a student placed nowhere has no date at all.
            placed = set(
                SlotUnit.objects.filter(
                    session__campaign_id=session.campaign_id,
                    session__kind=CaptureSession.Kind.REGULAR,
                ).values_list("unit_id", flat=True)
            )
            left_out = [
                u.name for u in TrainingUnit.objects.filter(active=True) if u.pk not in placed
            ]
            if left_out:
                raise DomainError(
                    _("还有培养单位没有安排时段：%(units)s。") % {"units": "、".join(left_out)},
                    "incomplete",
                )
            stranded = unassigned_students(session.campaign_id)
            if stranded:
                raise DomainError(
                    _(
                        "%(n)d 名学生不属于任何场次（%(units)s）：拆分规则没有覆盖他们。"
                        "请在其中一个场次为这些单位选择“全部学生（或其余学生）”。"
                    )
                    % {
                        "n": sum(stranded.values()),
                        "units": pgettext("list separator", "、").join(stranded),
                    },
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
