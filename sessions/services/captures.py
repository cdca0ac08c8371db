"""Capture changes (DESIGN.md §4): the only code that writes `Capture.status` and
`Capture.shooting_no`.

Every change goes through one function, `_perform`, shaped like pretix's `perform_checkin`:

1. open a transaction (`transaction.atomic`);
2. `select_for_update()` the capture row(s), with `select_related` for what the rules read
   (student, unit) and the campaign's status; a bulk change locks in primary-key order, in
   chunks of CHUNK rows, so that no statement exceeds a database's parameter limit and two
   bulk changes cannot deadlock;
3. check each row against RULES: who may do it, from which statuses, to which status; for a
   step that refers to an earlier one (undoing a scan, a shooting number after a
   photograph), that the step is still the capture's latest status change; for a door
   scan of a student with an attention note, that the operator confirmed it;
4. write the new state (one UPDATE per target status) and one `CaptureLog` row per capture;
5. refuse with a coded `DomainError` otherwise, writing nothing.

The public functions below are that one function with its arguments named for a caller:
a door scan (`capture_scan`: the row is found by the scanned student number, pass or pick
and read once, under its lock), `capture_arrive` and `capture_photograph` by id, an undo,
a shooting number, a counsellor's or the office's step, and `captures_transition_many`
for closing a session or sending a unit's absentees off-site.

Codes: ``not_found`` (no such capture, or not in the device's campaign), ``forbidden``
(the actor's role or scope), ``not_allowed`` (not from the current status),
``campaign_closed``, ``superseded`` (the step referred to is no longer the latest),
``other_session`` (a door scan of a student of another session that does not accept them),
``attention`` (a note the operator has not confirmed yet), ``reason_required``,
``key_conflict`` (a client key already used for another student or door). A refusal of
one capture carries it in ``DomainError.details["capture"]``.

Repeats are idempotent: a change whose result is already there returns ``changed=False``
and writes nothing; a repeated client idempotency key returns the first result (the key's
unique constraint, not a read, keeps a writing request from repeating).
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.models import Campaign, Capture, CaptureLog, SlotUnit
from units.models import Student
from units.selectors import may_act_for_unit

logger = logging.getLogger(__name__)
S = Capture.Status
CHUNK = 5_000  # rows per statement in a bulk change (PostgreSQL allows 65,535 parameters)


@dataclass(frozen=True)
class TransitionResult:
    capture: Capture
    changed: bool
    log: CaptureLog | None = None


@dataclass(frozen=True)
class Rule:
    sources: frozenset
    # The status moved to: one status, a {from: to} mapping (undo), or None (the status
    # stays; the change is the shooting number).
    target: object
    who: str  # STATION | UNIT (office or the student's counsellor) | OFFICE
    attention: bool = False  # an attention note needs the operator's confirmation first


STATION, UNIT, OFFICE = "station", "unit", "office"
ANY = "any"  # a target chosen by the caller (`to_status`)
_ALL = frozenset(S)
RULES = {
    "arrive": Rule(frozenset({S.EXPECTED}), S.ARRIVED, STATION, attention=True),
    "photograph": Rule(frozenset({S.EXPECTED, S.ARRIVED}), S.PHOTOGRAPHED, STATION, attention=True),
    # Undo steps back along the station path only (a wrong scan at a door), to where the
    # undone scan found the student: the first status listed unless told (`back_to`).
    "undo": Rule(
        frozenset({S.PHOTOGRAPHED, S.ARRIVED}),
        {S.PHOTOGRAPHED: (S.ARRIVED, S.EXPECTED), S.ARRIVED: (S.EXPECTED,)},
        STATION,
    ),
    # A paper sign-in sheet recorded by the office afterwards (sessions.paper).
    "paper_arrive": Rule(frozenset({S.EXPECTED}), S.ARRIVED, OFFICE),
    "paper_photograph": Rule(frozenset({S.EXPECTED, S.ARRIVED}), S.PHOTOGRAPHED, OFFICE),
    "paper_shooting_no": Rule(frozenset({S.PHOTOGRAPHED}), None, OFFICE),
    "mark_absent": Rule(frozenset({S.EXPECTED, S.ARRIVED}), S.ABSENT, OFFICE),
    "send_offsite": Rule(frozenset({S.EXPECTED, S.ABSENT}), S.OFFSITE, UNIT),
    # After the day: a wrong photo redone at a Xinhua centre instead (the exception queue).
    "recapture_offsite": Rule(
        frozenset({S.PHOTOGRAPHED, S.SHEET_RECEIVED, S.VERIFIED}), S.OFFSITE, OFFICE
    ),
    "receive_sheet": Rule(frozenset({S.OFFSITE}), S.SHEET_RECEIVED, UNIT),
    "verify_sheet": Rule(frozenset({S.SHEET_RECEIVED}), S.VERIFIED, UNIT),
    "exempt": Rule(_ALL - {S.EXEMPT}, S.EXEMPT, OFFICE),
    # Into a make-up session (补拍): expected again there (sessions.services.makeup).
    "makeup": Rule(frozenset({S.ABSENT, S.OFFSITE}), S.EXPECTED, OFFICE),
    # A walk-in the office matched to this student afterwards: photographed at the door.
    "walk_in": Rule(frozenset({S.EXPECTED, S.ARRIVED, S.ABSENT}), S.PHOTOGRAPHED, OFFICE),
    # After the day: a wrong or missing photo is taken again (expected again, in a make-up
    # session: sessions.services.aftercare).
    "recapture": Rule(
        frozenset({S.PHOTOGRAPHED, S.SHEET_RECEIVED, S.VERIFIED}), S.EXPECTED, OFFICE
    ),
    # The office moves a capture to any status, with a reason (`to_status`); also how an
    # exemption is undone.
    "correct": Rule(_ALL, ANY, OFFICE),
    "shooting_no": Rule(frozenset({S.PHOTOGRAPHED}), None, STATION),
    "correct_shooting_no": Rule(frozenset({S.PHOTOGRAPHED}), None, OFFICE),
}
# Log actions that record a number, not a status change: "the latest step" skips them.
NUMBER_ACTIONS = ("shooting_no", "correct_shooting_no", "paper_shooting_no")
# Log actions of after-the-day notes on a capture (sessions.services.corrections,
# confirmation, aftercare) that leave its status alone: not a step either.
NOTE_ACTIONS = ("attention", "chsi", "resolve_issue", "print_received")
# Steps away from a photograph: its shooting number goes with it.
CLEARS_NUMBER = ("undo", "makeup", "correct", "recapture", "recapture_offsite")


def client_key(device_id, key):
    """A device's idempotency key as stored: namespaced by the device, so that one device's
    keys never meet another's, nor the server's own (server_key)."""
    return f"d{device_id}:{key}" if key else None


def server_key(purpose, ident):
    return f"srv:{purpose}:{ident}"


def _allowed(actor, capture, who, unit_checks):
    if who == STATION:
        if not actor.is_station:
            return False
        # A device acts only in its own station's campaign.
        return actor.device is None or actor.campaign_id == capture.campaign_id
    if who == OFFICE:
        return actor.is_office
    unit_id = capture.unit_id
    if unit_id not in unit_checks:
        unit_checks[unit_id] = may_act_for_unit(actor, unit_id)
    return unit_checks[unit_id]


def _target(capture, rule, shooting_no, back_to=None):
    """The status the capture moves to, or None when the change is already there.
    Raises DomainError ``not_allowed``."""
    if capture.status not in rule.sources:
        if rule.target is None:
            message = _("只能给已采集的学生登记拍摄号。")
        elif isinstance(rule.target, dict):
            message = _("当前状态“%(status)s”没有可撤销的操作。")
        else:
            message = _("当前状态为“%(status)s”，不能执行此操作。")
        if capture.status == rule.target:
            return None
        raise DomainError(message % {"status": capture.get_status_display()}, "not_allowed")
    if rule.target is None:
        return None if capture.shooting_no == shooting_no else capture.status
    if rule.target == ANY:
        if back_to not in S.values:
            raise DomainError(_("未知的状态。"), "invalid")
        return None if back_to == capture.status else back_to
    if isinstance(rule.target, dict):
        allowed = rule.target[capture.status]
        if back_to is None:
            return allowed[0]
        if back_to not in allowed:
            raise DomainError(
                _("当前状态为“%(status)s”，不能执行此操作。")
                % {"status": capture.get_status_display()},
                "not_allowed",
            )
        return back_to
    return rule.target


def _latest_step(capture_id):
    return (
        CaptureLog.objects.filter(capture_id=capture_id)
        .exclude(action__in=NUMBER_ACTIONS + NOTE_ACTIONS)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )


def key_replay(idempotency_key, capture_id, station):
    """The first result of a repeated key, or None (also for no key). A key reused for
    another student or at another door is refused: it must not answer with somebody
    else's green."""
    if not idempotency_key:
        return None
    log = (
        CaptureLog.objects.select_related("capture__student__unit", "capture__campaign")
        .filter(idempotency_key=idempotency_key)
        .first()
    )
    if log is None:
        return None
    if log.capture_id != capture_id or log.station != station:
        raise DomainError(_("这个请求编号已用于另一名学生或另一个站点。"), "key_conflict")
    return TransitionResult(capture=log.capture, changed=True, log=log)


def _perform(
    *,
    actor,
    action,
    find=None,
    capture_ids=(),
    station="",
    occurred_at=None,
    note="",
    idempotency_key=None,
    after_log=None,
    back_to=None,
    shooting_no="",
    confirmed=True,
    session_id=None,
    source="",
):
    """The one write path of captures (see the module docstring).

    Either `find`, lookups that name one capture (its id, or a scan's student number in a
    campaign), which is refused with a DomainError when the change does not apply; or
    `capture_ids`, a bulk change in chunks, which leaves the captures it does not apply to
    alone. `after_log`: the id of the step this change refers to, which must still be the
    capture's latest status change (``superseded``); `back_to`: the status an undo returns
    to (where the undone scan found the student). `confirmed`: a door scan of a student
    with an attention note goes ahead only once the operator confirmed (``attention``).
    `idempotency_key`: as stored (client_key / server_key). `session_id`: the session the
    capture moves to with the change (a make-up move). `source`: where it was recorded from
    ("paper": a paper sign-in sheet recorded afterwards), kept on the log rows.

    Returns [TransitionResult] of the one capture (`find`), or how many moved (bulk).
    """
    rule = RULES[action]
    strict = find is not None
    now = timezone.now()
    occurred_at = occurred_at or now
    ids = list(capture_ids)
    batches = (
        [find] if strict else [{"pk__in": ids[i : i + CHUNK]} for i in range(0, len(ids), CHUNK)]
    )
    results, moved, unit_checks, found = [], 0, {}, None
    try:
        with transaction.atomic():
            for lookups in batches:
                captures = _lock(lookups, strict, rule)
                if strict and not captures:
                    raise DomainError(_("找不到该学生的采集记录。"), "not_found")
                moves = []
                for capture in captures:
                    found = capture
                    _check_scope(actor, capture, rule, unit_checks)
                    try:
                        target = _target(capture, rule, shooting_no, back_to)
                        if target is not None:
                            capture.window_tag = _check_door(actor, capture, rule, occurred_at)
                            _check_step(capture, rule, after_log, confirmed)
                    except DomainError as refusal:
                        if not strict:
                            continue
                        replayed = key_replay(idempotency_key, capture.pk, station)
                        if replayed:
                            return [replayed]
                        refusal.details["capture"] = capture
                        raise
                    if target is None:
                        if strict:
                            replayed = key_replay(idempotency_key, capture.pk, station)
                            results.append(replayed or TransitionResult(capture, changed=False))
                        continue
                    moves.append((capture, target))
                written = _write(
                    moves,
                    actor=actor,
                    action=action,
                    station=station,
                    occurred_at=occurred_at,
                    now=now,
                    note=note,
                    idempotency_key=idempotency_key,
                    shooting_no=shooting_no,
                    session_id=session_id,
                    source=source,
                )
                moved += len(written)
                if strict:
                    results.extend(written)
    except IntegrityError:
        # The client key was used before (or by a request racing this one): everything
        # above rolled back; answer with the first result, if it was for the same scan.
        replayed = strict and found and key_replay(idempotency_key, found.pk, station)
        if replayed:
            return [replayed]
        raise
    return results if strict else moved


def _lock(lookups, strict, rule):
    """The captures `lookups` names, locked until the transaction ends, each with
    `campaign_status` and `unit_id` for the rules.

    One capture (a scan, a button) comes with its student and unit in the same read. A bulk
    chunk locks the capture rows alone, by primary key in order (no deadlocks between two
    bulk changes), and reads the few columns the rules need apart: one table per query, so
    that no plan can loop over a 5,000-key list against a join."""
    if strict:
        # The student's own window in their own session, for a door's early/late hint.
        placed = SlotUnit.objects.filter(
            session_id=OuterRef("session_id"), unit_id=OuterRef("student__unit_id")
        )
        captures = list(
            Capture.objects.select_for_update(of=("self",))
            .select_related("student__unit", "session")
            # The rules read one column of the campaign: not its notice texts.
            .annotate(
                campaign_status=F("campaign__status"),
                slot_start=Subquery(placed.values("slot__start")[:1]),
                slot_end=Subquery(placed.values("slot__end")[:1]),
            )
            .filter(**lookups)
            .order_by()[:1]
        )
        for capture in captures:
            capture.unit_id = capture.student.unit_id
        return captures
    captures = list(Capture.objects.select_for_update().filter(**lookups).order_by("pk"))
    statuses = dict(
        Campaign.objects.filter(pk__in={c.campaign_id for c in captures}).values_list(
            "pk", "status"
        )
    )
    units = {}
    if rule.who == UNIT:
        units = dict(
            Student.objects.filter(pk__in=[c.student_id for c in captures]).values_list(
                "pk", "unit_id"
            )
        )
    for capture in captures:
        capture.campaign_status = statuses[capture.campaign_id]
        capture.unit_id = units.get(capture.student_id)
    return captures


def _check_scope(actor, capture, rule, unit_checks):
    if capture.campaign_status == Campaign.Status.CLOSED:
        raise DomainError(_("本次采集活动已结束，不能再修改状态。"), "campaign_closed")
    if not _allowed(actor, capture, rule.who, unit_checks):
        if actor.device is not None and rule.who == STATION:
            # Another campaign's student looks like nobody to a door.
            raise DomainError(_("找不到该学生的采集记录。"), "not_found")
        raise DomainError(_("您无权对该学生执行此操作。"), "forbidden")


def _check_door(actor, capture, rule, occurred_at):
    """Where a door scan falls for the student: "" (their own session and window, or not
    a door), "early"/"late" (another window of their own session: recorded, with a hint),
    "other_session" (another session of the campaign that accepts them). A student of
    another session is refused (``other_session``, naming their own) unless the station's
    session accepts cross-session arrivals."""
    if not rule.attention or actor.device is None or capture.session_id is None:
        return ""
    here = actor.device.station.session
    if capture.session_id != here.pk:
        if here.allow_cross_session:
            return "other_session"
        own = capture.session
        raise DomainError(
            _("这名学生属于另一场次：%(date)s %(start)s–%(end)s %(place)s（%(who)s）。")
            % {
                "date": f"{own.date:%m-%d}",
                "start": f"{own.start:%H:%M}",
                "end": f"{own.end:%H:%M}",
                "place": f"{own.campus} {own.place}".strip(),
                "who": f"{capture.student.name} · {capture.student.unit.name}",
            },
            "other_session",
        )
    local = timezone.localtime(occurred_at)
    if capture.slot_start is None or local.date() != here.date:
        return ""
    if local.time() < capture.slot_start:
        return "early"
    if local.time() >= capture.slot_end:
        return "late"
    return ""


def _check_step(capture, rule, after_log, confirmed):
    """What a change that applies must still satisfy: the step it refers to is the latest,
    and an attention note was seen by the operator."""
    if after_log is not None and _latest_step(capture.pk) != after_log:
        raise DomainError(_("这名学生之后已有新的登记，不能再修改这一条。"), "superseded")
    if rule.attention and capture.attention_note and not confirmed:
        raise DomainError(
            _("请注意：%(note)s（%(who)s）。确认后再登记。")
            % {
                "note": capture.attention_note,
                "who": f"{capture.student.name} · {capture.student.unit.name}",
            },
            "attention",
        )


def _write(
    moves,
    *,
    actor,
    action,
    station,
    occurred_at,
    now,
    note,
    idempotency_key,
    shooting_no,
    session_id,
    source="",
):
    """Apply checked moves under their locks: one UPDATE per target status, one INSERT of
    the log rows. Returns their results."""
    if not moves:
        return []
    numbers = RULES[action].target is None
    logs = [
        CaptureLog(
            capture_id=capture.pk,
            action=action,
            from_status=capture.status,
            to_status=target,
            actor_user=actor.user,
            actor_device=actor.device,
            actor_label=actor.label,
            station=station,
            occurred_at=occurred_at,
            recorded_at=now,
            note=_number_note(capture, shooting_no, note) if numbers else note[:200],
            idempotency_key=idempotency_key,
            window=getattr(capture, "window_tag", ""),
            source=source,
        )
        for capture, target in moves
    ]
    by_target = {}
    for capture, target in moves:
        by_target.setdefault(target, []).append(capture.pk)
    for target, ids in by_target.items():
        fields = {"updated_at": now}
        if numbers:
            fields["shooting_no"] = shooting_no
        else:
            fields.update(status=target, status_at=occurred_at, status_station=station)
            if action in CLEARS_NUMBER and target != S.PHOTOGRAPHED:
                # A shooting number belonged to the photograph being undone or redone.
                fields["shooting_no"] = ""
        if session_id is not None:
            fields["session_id"] = session_id
        if not numbers:
            fields.update(_after_fields(action, target, note))
        Capture.objects.filter(pk__in=ids).update(**fields)
    CaptureLog.objects.bulk_create(logs)
    for (capture, target), log in zip(moves, logs, strict=True):
        if numbers or (action in CLEARS_NUMBER and target != S.PHOTOGRAPHED):
            capture.shooting_no = shooting_no
        if session_id is not None:
            capture.session_id = session_id
        if not numbers:
            for name, value in _after_fields(action, target, note).items():
                setattr(capture, name, value)
        if not numbers:
            capture.status, capture.status_at, capture.status_station = target, occurred_at, station
        log.capture = capture
    if len(moves) == 1:
        capture, target = moves[0]
        # Ids only: no names or student numbers in the logs; and only what was committed.
        from_status = logs[0].from_status
        transaction.on_commit(
            lambda: logger.info("capture %s %s: %s -> %s", capture.pk, action, from_status, target)
        )
    return [
        TransitionResult(capture=capture, changed=True, log=log)
        for (capture, _target), log in zip(moves, logs, strict=True)
    ]


def _after_fields(action, target, note):
    """What a status change does to the after-the-day fields: going off-site records why
    (kept while the sheet comes in; gone once the student leaves off-site capture); a new
    photograph at a door starts a new CHSI check (the old dispute was about the old photo)."""
    fields = {}
    if target == S.OFFSITE:
        fields["offsite_reason"] = note[:200]
    elif target not in (S.SHEET_RECEIVED, S.VERIFIED):
        fields["offsite_reason"] = ""
    if target == S.PHOTOGRAPHED and action in ("photograph", "walk_in"):
        fields.update(chsi_state="", chsi_reason="", chsi_at=None)
    return fields


def _number_note(capture, shooting_no, note):
    text = _("拍摄号 %(old)s → %(new)s") % {"old": capture.shooting_no or "—", "new": shooting_no}
    return f"{text}；{note}"[:200] if note else text


def _one(**kwargs):
    return _perform(**kwargs)[0]


def capture_scan(
    *,
    actor,
    action,
    find,
    station="",
    occurred_at=None,
    idempotency_key=None,
    confirmed=False,
    source="",
):
    """A door scan: `action` "arrive" or "photograph" of the capture `find` names (e.g.
    {"campaign_id": …, "student__student_no": …}), read once, under its lock. Refuses a
    student with an attention note until `confirmed` (``attention``)."""
    return _one(
        actor=actor,
        action=action,
        find=find,
        station=station,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
        confirmed=confirmed,
        source=source,
    )


def capture_arrive(*, actor, capture_id, station="", occurred_at=None, idempotency_key=None):
    """Record arrival at the entry door (expected → arrived). A station device."""
    return capture_scan(
        actor=actor,
        action="arrive",
        find={"pk": capture_id},
        station=station,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
        confirmed=True,
    )


def capture_photograph(*, actor, capture_id, station="", occurred_at=None, idempotency_key=None):
    """Record "photographed" at the exit door (expected or arrived → photographed).

    A station may skip arrival. Photographing twice answers with the first time and
    station (``changed=False``) and writes nothing."""
    return capture_scan(
        actor=actor,
        action="photograph",
        find={"pk": capture_id},
        station=station,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
        confirmed=True,
    )


def capture_undo(
    *, actor, capture_id, undoes, back_to=None, station="", note="", idempotency_key=None
):
    """Undo a door scan: a new log row. `undoes`: the log id of the scan, which must still
    be the capture's latest step, checked under the row's lock (``superseded``); `back_to`:
    the status that scan found (a photograph straight from "expected" goes back there)."""
    return _one(
        actor=actor,
        action="undo",
        find={"pk": capture_id},
        station=station,
        note=note,
        idempotency_key=idempotency_key,
        after_log=undoes,
        back_to=back_to,
    )


def capture_set_shooting_no(
    *, actor, capture_id, shooting_no, after_log=None, station="", note="", idempotency_key=None
):
    """Record the shooting number (拍摄号) of a photographed student: at the exit door, for
    the photograph `after_log` (still the capture's latest step), or by the office as a
    correction with a reason (`note`, required)."""
    office = actor.device is None and actor.is_office
    if office and not (note or "").strip():
        raise DomainError(_("修改拍摄号必须填写原因。"), "reason_required")
    return _one(
        actor=actor,
        action="correct_shooting_no" if office else "shooting_no",
        find={"pk": capture_id},
        station=station,
        note=(note or "").strip(),
        shooting_no=shooting_no,
        after_log=None if office else after_log,
        idempotency_key=idempotency_key,
    )


def capture_mark_absent(*, actor, capture_id, note=""):
    """After the session: expected or arrived → absent. Office only."""
    return _one(actor=actor, action="mark_absent", find={"pk": capture_id}, note=note)


def capture_send_offsite(*, actor, capture_id, note=""):
    """To off-site capture (known in advance, or after being absent). Office or the
    student's counsellor."""
    return _one(actor=actor, action="send_offsite", find={"pk": capture_id}, note=note)


def capture_receive_sheet(*, actor, capture_id, note=""):
    """The unit received the off-site paper sheet (offsite → sheet_received)."""
    return _one(actor=actor, action="receive_sheet", find={"pk": capture_id}, note=note)


def capture_verify_sheet(*, actor, capture_id, note=""):
    """The unit checked that the photo is the student (sheet_received → verified)."""
    return _one(actor=actor, action="verify_sheet", find={"pk": capture_id}, note=note)


def capture_exempt(*, actor, capture_id, reason):
    """Exempt a student from capture, from any state. Office only, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("免采必须填写原因。"), "reason_required")
    return _one(actor=actor, action="exempt", find={"pk": capture_id}, note=reason)


def capture_correct(*, actor, capture_id, to_status, reason):
    """The office moves a capture to any status `to_status`, with a required reason (the
    history shows who, when and why). Undoing an exemption is a correction too."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("更正状态必须填写原因。"), "reason_required")
    return _one(
        actor=actor, action="correct", find={"pk": capture_id}, note=reason, back_to=to_status
    )


def capture_transition(
    *,
    actor,
    capture_id,
    action,
    note="",
    station="",
    occurred_at=None,
    session_id=None,
    shooting_no="",
    source="",
):
    """One capture through one of the RULES by name (an office step such as "makeup" or
    "walk_in", or a paper sheet's "paper_shooting_no" with `shooting_no`); refused with a
    coded DomainError when it does not apply."""
    return _one(
        actor=actor,
        action=action,
        find={"pk": capture_id},
        note=note,
        station=station,
        occurred_at=occurred_at,
        session_id=session_id,
        shooting_no=shooting_no,
        source=source,
    )


def captures_transition_many(
    *,
    actor,
    capture_ids,
    action,
    note="",
    occurred_at=None,
    session_id=None,
    station="",
    source="",
):
    """Move many captures at once (closing a session, a unit's absentees off-site, a
    make-up move with `session_id`), in chunks inside the caller's transaction or one of
    its own. Captures the action does not apply to are left alone. Returns how many
    moved."""
    return _perform(
        actor=actor,
        action=action,
        capture_ids=capture_ids,
        note=note,
        occurred_at=occurred_at,
        session_id=session_id,
        station=station,
        source=source,
    )
