"""Capture status transitions (DESIGN.md §4): the only code that changes `Capture.status`.

Every public function here takes the acting principal (`capture_portal.actors.Actor`),
locks the capture row, re-checks the transition under the lock, writes the new state and
a `CaptureLog` row in one transaction, and raises `DomainError` with a stable code. A door
scan, which has just read the row, may skip reading it again: its UPDATE is then the lock
and re-checks the status it read, and only a row that moved meanwhile is read again under
the lock (`seen=`). The statements are plain SQL (sessions/services/rows.py).

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
from sessions.services import rows
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
    capture = rows.lock_capture(capture_id)
    if capture is None:
        raise DomainError(_("找不到该学生的采集记录。"), "not_found")
    return capture


def replayed_log(idempotency_key):
    """The log row a client key already produced, or None (the common case: one indexed
    read of the key, without the ORM)."""
    log_id = rows.log_id_for_key(idempotency_key)
    if log_id is None:
        return None
    return CaptureLog.objects.select_related("capture__student__unit", "capture__campaign").get(
        pk=log_id
    )


def _replay(idempotency_key):
    log = replayed_log(idempotency_key)
    if log is None:
        return None
    return TransitionResult(capture=log.capture, changed=True, log=log)


def _apply(capture, *, actor, action, target, station, occurred_at, note, idempotency_key):
    """Write the transition, atomically; None if the status moved meanwhile."""
    from_status = capture.status
    log = rows.write_transition(
        capture,
        action=action,
        target=target,
        actor=actor,
        station=station,
        occurred_at=occurred_at,
        note=note,
        key=idempotency_key,
    )
    if log is None:
        return None
    # Ids only: no names or student numbers in the logs; and only what was committed.
    transaction.on_commit(
        lambda: logger.info("capture %s %s: %s -> %s", capture.pk, action, from_status, target)
    )
    return TransitionResult(capture=capture, changed=True, log=log)


def _target(capture, action):
    """The status `action` moves the capture to, or None when it is there already.
    Raises DomainError ``campaign_closed`` or ``not_allowed``."""
    if capture.campaign.status == Campaign.Status.CLOSED:
        raise _campaign_closed()
    if action == "undo":
        target = UNDO.get(capture.status)
        if target is None:
            raise DomainError(
                _("当前状态“%(status)s”没有可撤销的操作。")
                % {"status": capture.get_status_display()},
                "not_allowed",
            )
        return target
    sources, target, _who = TRANSITIONS[action]
    if capture.status == target:
        return None
    if capture.status not in sources:
        raise DomainError(
            _("当前状态为“%(status)s”，不能执行此操作。")
            % {"status": capture.get_status_display()},
            "not_allowed",
        )
    return target


def _transition(
    *,
    actor,
    capture_id,
    action,
    station="",
    occurred_at=None,
    note="",
    idempotency_key=None,
    seen=None,
):
    write = {
        "actor": actor,
        "action": action,
        "station": station,
        "occurred_at": occurred_at,
        "note": note,
        "idempotency_key": idempotency_key,
    }
    try:
        if seen is not None:
            # The caller read the row moments ago (a door scan). When that read allows the
            # transition, the UPDATE itself locks the row and re-checks that its status is
            # still the one read; anything else goes the locked way below.
            if seen.pk != capture_id:
                raise ValueError("seen is not the capture named by capture_id")
            _check_actor(actor, seen, _who_may(action))
            target = _target_or_none(seen, action)
            if target is not None:
                result = _apply(seen, target=target, **write)
                if result is not None:
                    return result
        with transaction.atomic():
            capture = _lock(capture_id)
            _check_actor(actor, capture, _who_may(action))
            try:
                target = _target(capture, action)
            except DomainError:
                # A repeated key whose first request moved the student on answers as it
                # did then (read under the lock, so a retry waits for its first request).
                replayed = _replay(idempotency_key) if idempotency_key else None
                if replayed is None:
                    raise
                return replayed
            if target is None:
                replayed = _replay(idempotency_key) if idempotency_key else None
                return replayed or TransitionResult(capture=capture, changed=False)
            # A repeated key that gets here (its student was moved back since) fails the
            # key's unique constraint and writes nothing: see below.
            result = _apply(capture, target=target, **write)
            if result is None:
                # The row is locked, so only its campaign can have changed: closed since.
                raise _campaign_closed()
            return result
    except IntegrityError:
        # The key was used before (or by a request racing this one): the transaction
        # rolled back, so answer with the first result.
        if idempotency_key:
            replayed = _replay(idempotency_key)
            if replayed is not None:
                return replayed
        raise


def _campaign_closed():
    return DomainError(_("本次采集活动已结束，不能再修改状态。"), "campaign_closed")


def _who_may(action):
    return _STATION if action == "undo" else TRANSITIONS[action][2]


def _target_or_none(capture, action):
    try:
        return _target(capture, action)
    except DomainError:
        return None


def capture_arrive(
    *, actor, capture_id, station="", occurred_at=None, idempotency_key=None, seen=None
):
    """Record arrival at the entry door (expected → arrived). Station or office.

    `seen`: the capture as the caller read it in this request (a scan), which spares
    reading it again when nothing changed since."""
    return _transition(
        actor=actor,
        capture_id=capture_id,
        action="arrive",
        station=station,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
        seen=seen,
    )


def capture_photograph(
    *, actor, capture_id, station="", occurred_at=None, idempotency_key=None, seen=None
):
    """Record "photographed" at the exit door (expected or arrived → photographed).

    A station may skip arrival. Photographing twice answers with the first time and
    station (``changed=False``) and writes nothing. `seen`: as for capture_arrive.
    """
    return _transition(
        actor=actor,
        capture_id=capture_id,
        action="photograph",
        station=station,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
        seen=seen,
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
