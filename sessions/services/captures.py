"""Capture status transitions (DESIGN.md §4): the only code that changes `Capture.status`.

Every public function here takes the acting principal (`capture_portal.actors.Actor`),
locks the capture row, re-checks the transition under the lock, writes the new state and
a `CaptureLog` row in one transaction, and raises `DomainError` with a stable code:

- ``not_found``      no such capture (or not visible to the actor);
- ``forbidden``      the actor's role or scope does not allow this change;
- ``not_allowed``    the transition is not allowed from the current status;
- ``campaign_closed`` the campaign no longer accepts changes;
- ``reason_required`` an exemption without a reason.

Repeats are idempotent: a transition whose target is already the current status returns
the current state with ``changed=False`` and writes nothing, and a repeated client
``idempotency_key`` returns the result it produced the first time.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.models import Campaign, Capture, CaptureLog
from units.selectors import may_act_for_unit

logger = logging.getLogger(__name__)
S = Capture.Status


@dataclass(frozen=True)
class TransitionResult:
    capture: Capture
    changed: bool
    log: CaptureLog | None = None


# action -> (statuses it may start from, target status, who may do it)
_STATION = "station"
_UNIT = "unit"  # office, or a counsellor of the student's unit
_OFFICE = "office"
TRANSITIONS = {
    "arrive": (frozenset({S.EXPECTED}), S.ARRIVED, _STATION),
    "photograph": (frozenset({S.EXPECTED, S.ARRIVED}), S.PHOTOGRAPHED, _STATION),
    "mark_absent": (frozenset({S.EXPECTED, S.ARRIVED}), S.ABSENT, _OFFICE),
    "send_offsite": (frozenset({S.EXPECTED, S.ABSENT}), S.OFFSITE, _UNIT),
    "receive_sheet": (frozenset({S.OFFSITE}), S.SHEET_RECEIVED, _UNIT),
    "verify_sheet": (frozenset({S.SHEET_RECEIVED}), S.VERIFIED, _UNIT),
    "exempt": (frozenset(set(S) - {S.EXEMPT}), S.EXEMPT, _OFFICE),
}
# Undo steps back along the station path only (a wrong click at a door).
UNDO = {S.PHOTOGRAPHED: S.ARRIVED, S.ARRIVED: S.EXPECTED}


def _check_actor(actor, capture, who):
    if who == _STATION:
        allowed = actor.is_station
    elif who == _OFFICE:
        allowed = actor.is_office
    else:
        allowed = may_act_for_unit(actor, capture.student.unit_id)
    if not allowed:
        raise DomainError(_("您无权对该学生执行此操作。"), "forbidden")


def _lock(capture_id):
    try:
        return (
            Capture.objects.select_for_update(of=("self",))
            .select_related("student__unit", "campaign")
            .get(pk=capture_id)
        )
    except Capture.DoesNotExist:
        raise DomainError(_("找不到该学生的采集记录。"), "not_found") from None


def replayed_log(idempotency_key):
    """The log row a client key already produced, or None (the common case, kept cheap)."""
    if not CaptureLog.objects.filter(idempotency_key=idempotency_key).exists():
        return None
    return (
        CaptureLog.objects.select_related("capture__student__unit", "capture__campaign")
        .filter(idempotency_key=idempotency_key)
        .first()
    )


def _replay(idempotency_key):
    log = replayed_log(idempotency_key)
    if log is None:
        return None
    return TransitionResult(capture=log.capture, changed=True, log=log)


def _apply(capture, *, actor, action, target, station, occurred_at, note, idempotency_key):
    now = timezone.now()
    log = CaptureLog.objects.create(
        capture=capture,
        action=action,
        from_status=capture.status,
        to_status=target,
        actor_user=actor.user,
        actor_label=actor.label,
        station=station,
        occurred_at=occurred_at or now,
        note=note,
        idempotency_key=idempotency_key or None,
    )
    capture.status = target
    capture.status_at = log.occurred_at
    capture.status_station = station
    capture.save(update_fields=["status", "status_at", "status_station", "updated_at"])
    # Ids only: no names or student numbers in the logs.
    logger.info("capture %s %s: %s -> %s", capture.pk, action, log.from_status, target)
    return TransitionResult(capture=capture, changed=True, log=log)


def _transition(
    *, actor, capture_id, action, station="", occurred_at=None, note="", idempotency_key=None
):
    try:
        with transaction.atomic():
            capture = _lock(capture_id)
            # Checked under the lock: a device retrying while its first request is still
            # running waits here, then gets the first answer.
            if idempotency_key:
                replayed = _replay(idempotency_key)
                if replayed is not None:
                    return replayed
            if capture.campaign.status == Campaign.Status.CLOSED:
                raise DomainError(_("本次采集活动已结束，不能再修改状态。"), "campaign_closed")
            if action == "undo":
                _check_actor(actor, capture, _STATION)
                target = UNDO.get(capture.status)
                if target is None:
                    raise DomainError(
                        _("当前状态“%(status)s”没有可撤销的操作。")
                        % {"status": capture.get_status_display()},
                        "not_allowed",
                    )
            else:
                sources, target, who = TRANSITIONS[action]
                _check_actor(actor, capture, who)
                if capture.status == target:
                    return TransitionResult(capture=capture, changed=False)
                if capture.status not in sources:
                    raise DomainError(
                        _("当前状态为“%(status)s”，不能执行此操作。")
                        % {"status": capture.get_status_display()},
                        "not_allowed",
                    )
            return _apply(
                capture,
                actor=actor,
                action=action,
                target=target,
                station=station,
                occurred_at=occurred_at,
                note=note,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        # Two requests with the same key raced past the replay check; the loser's
        # transaction rolled back, so answer with the winner's result.
        if idempotency_key:
            replayed = _replay(idempotency_key)
            if replayed is not None:
                return replayed
        raise


def capture_arrive(*, actor, capture_id, station="", occurred_at=None, idempotency_key=None):
    """Record arrival at the entry door (expected → arrived). Station or office."""
    return _transition(
        actor=actor,
        capture_id=capture_id,
        action="arrive",
        station=station,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
    )


def capture_photograph(*, actor, capture_id, station="", occurred_at=None, idempotency_key=None):
    """Record "photographed" at the exit door (expected or arrived → photographed).

    A station may skip arrival. Photographing twice answers with the first time and
    station (``changed=False``) and writes nothing.
    """
    return _transition(
        actor=actor,
        capture_id=capture_id,
        action="photograph",
        station=station,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
    )


def capture_undo(*, actor, capture_id, station="", note="", idempotency_key=None):
    """Undo a door scan: photographed → arrived, arrived → expected. A new log row."""
    return _transition(
        actor=actor,
        capture_id=capture_id,
        action="undo",
        station=station,
        note=note,
        idempotency_key=idempotency_key,
    )


def capture_mark_absent(*, actor, capture_id, note=""):
    """After the session: expected or arrived → absent. Office only."""
    return _transition(actor=actor, capture_id=capture_id, action="mark_absent", note=note)


def capture_send_offsite(*, actor, capture_id, note=""):
    """To off-site capture (known in advance, or after being absent). Office or the
    student's counsellor."""
    return _transition(actor=actor, capture_id=capture_id, action="send_offsite", note=note)


def capture_receive_sheet(*, actor, capture_id, note=""):
    """The unit received the off-site paper sheet (offsite → sheet_received)."""
    return _transition(actor=actor, capture_id=capture_id, action="receive_sheet", note=note)


def capture_verify_sheet(*, actor, capture_id, note=""):
    """The unit checked that the photo is the student (sheet_received → verified)."""
    return _transition(actor=actor, capture_id=capture_id, action="verify_sheet", note=note)


def capture_exempt(*, actor, capture_id, reason):
    """Exempt a student from capture, from any state. Office only, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("免采必须填写原因。"), "reason_required")
    return _transition(actor=actor, capture_id=capture_id, action="exempt", note=reason)


def captures_transition_many(*, actor, captures, action, note="", now=None):
    """Move many captures at once (closing a session, sending a unit's absentees off-site).

    The caller selects the captures with ``select_for_update()`` inside its transaction and
    has checked the actor; the target comes from TRANSITIONS[action], and every capture
    whose status is not a source of that action is left alone. One log row per capture,
    one UPDATE for all. Returns how many moved.
    """
    sources, target, _who = TRANSITIONS[action]
    now = now or timezone.now()
    moving = [c for c in captures if c.status in sources]
    CaptureLog.objects.bulk_create(
        CaptureLog(
            capture_id=c.pk,
            action=action,
            from_status=c.status,
            to_status=target,
            actor_user=actor.user,
            actor_label=actor.label,
            occurred_at=now,
            note=note[:200],
        )
        for c in moving
    )
    Capture.objects.filter(pk__in=[c.pk for c in moving]).update(
        status=target, status_at=now, status_station="", updated_at=now
    )
    return len(moving)
