"""Walk-ins (名单外人员): people photographed at a door who are not on the roster.

A door records one as typed (student number, name, unit), so that the photographer's count
and the portal's agree; the office resolves it afterwards, matched to an imported student
(whose capture becomes photographed at the walk-in's time, through the "walk_in" rule of
sessions.services.captures) or dismissed with a note.

Codes: ``forbidden`` (not a paired device / not the office), ``invalid`` (what was typed),
``station_mismatch`` (queued for another station), ``bad_time`` (see scans.scan_time),
``campaign_closed``, ``session_closed``, ``on_roster`` (the number is a student of the
campaign: scan them normally), ``key_conflict`` (a client key already used for another person),
``not_found``, ``already_resolved``, ``reason_required``, ``not_allowed``.
"""

import logging
import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.models import Campaign, Capture, WalkIn
from sessions.services.captures import capture_transition, client_key
from sessions.services.scans import scan_time
from units.names import normalise_name

logger = logging.getLogger(__name__)
S = Capture.Status
NOTE_LIMIT = 200  # WalkIn.resolution_note, CaptureLog.note


def _clean(value):
    return unicodedata.normalize("NFKC", value or "").strip()


def _field(value, limit, *, required, missing, too_long, unreadable):
    """One typed field, NFKC-normalised and stripped, or DomainError ``invalid``. Control
    characters (a scanner's tab or newline, a NUL that PostgreSQL text cannot hold) are
    refused, not silently dropped: the office must read what the door read."""
    if value is not None and not isinstance(value, str):
        raise DomainError(unreadable, "invalid")
    value = _clean(value)
    if not value:
        if required:
            raise DomainError(missing, "invalid")
        return ""
    if not value.isprintable():
        raise DomainError(unreadable, "invalid")
    if len(value) > limit:
        raise DomainError(too_long % {"n": limit}, "invalid")
    return value


def _typed(student_no, name, unit_text):
    student_no = _field(
        student_no,
        32,
        required=True,
        missing=_("请填写学号。"),
        too_long=_("学号不能超过 %(n)d 个字符。"),
        unreadable=_("学号含有无法识别的字符（如换行、制表符），请重新输入。"),
    )
    name = _field(
        name,
        64,
        required=True,
        missing=_("请填写姓名。"),
        too_long=_("姓名不能超过 %(n)d 个字符。"),
        unreadable=_("姓名含有无法识别的字符（如换行、制表符），请重新输入。"),
    )
    unit_text = _field(
        unit_text,
        100,
        required=False,
        missing="",
        too_long=_("培养单位不能超过 %(n)d 个字符。"),
        unreadable=_("培养单位含有无法识别的字符（如换行、制表符），请重新输入。"),
    )
    return student_no, name, unit_text


def _replay(key, student_no, name):
    """The walk-in first recorded with this (stored) key, or None. The same key sent for
    somebody else is refused: it must not answer with another person's record."""
    if not key:
        return None
    first = WalkIn.objects.filter(idempotency_key=key).first()
    if first is None:
        return None
    if first.student_no != student_no or first.name != name:
        raise DomainError(_("这个请求编号已用于登记另一个人。"), "key_conflict")
    return first


def walkin_record(
    *,
    actor,
    student_no,
    name,
    unit_text="",
    idempotency_key=None,
    occurred_at=None,
    station_id=None,
):
    """Record a walk-in at the actor's station (a paired device), as typed.

    `idempotency_key`: the client's key (namespaced by the device, as scans are); a repeat
    returns the first walk-in and writes nothing, also when two uploads race. `occurred_at`:
    the device's time (an offline queue uploads late), checked by scans.scan_time.
    `station_id`: the station the record was queued for (``station_mismatch`` when the
    device serves another one now).

    Refuses a student number of the station's campaign (``on_roster``): that person is
    scanned normally, or the two counts would count them twice. Returns the WalkIn.

    Nothing existing changes, so nothing is locked: the key's unique constraint, not a
    read, keeps a retried upload from writing a second row."""
    if actor.device is None:
        raise DomainError(_("只有已配对的采集站设备可以登记名单外人员。"), "forbidden")
    station = actor.device.station
    if station_id is not None and station_id != station.pk:
        raise DomainError(_("这条登记属于另一个站点，未登记。"), "station_mismatch")
    session = station.session
    student_no, name, unit_text = _typed(student_no, name, unit_text)
    key = client_key(actor.device.pk, idempotency_key)
    replayed = _replay(key, student_no, name)
    if replayed is not None:
        return replayed
    when = scan_time(session, occurred_at)
    if session.campaign.status == Campaign.Status.CLOSED:
        raise DomainError(_("本次采集活动已结束，不能再登记。"), "campaign_closed")
    if session.closed_at is not None:
        raise DomainError(_("本场次已关闭，不再登记；请与研究生学院联系。"), "session_closed")
    if Capture.objects.filter(
        campaign_id=session.campaign_id,
        student__student_no=student_no,
        student__withdrawn=False,
    ).exists():
        raise DomainError(
            _(
                "学号 %(no)s 在本次采集名单中：请直接扫描凭证或输入学号正常登记，"
                "不要登记为名单外人员。"
            )
            % {"no": student_no},
            "on_roster",
        )
    try:
        with transaction.atomic():
            walkin = WalkIn.objects.create(
                session_id=session.pk,
                student_no=student_no,
                name=name,
                unit_text=unit_text,
                station=station.name,
                recorded_by_device=actor.device,
                recorded_at=when,
                idempotency_key=key,
            )
            # Ids only: no names or student numbers in the logs.
            transaction.on_commit(
                lambda: logger.info(
                    "walk-in %s recorded in session %s by device %s",
                    walkin.pk,
                    session.pk,
                    actor.device.pk,
                )
            )
    except IntegrityError:
        # A request with the same key won the race: answer with its record.
        replayed = _replay(key, student_no, name)
        if replayed is not None:
            return replayed
        raise
    return walkin


def walkin_resolve(
    *,
    actor,
    walkin_id,
    student_no=None,
    dismiss=False,
    note="",
    session_id=None,
    other_name=False,
):
    """The office resolves an open walk-in: matched to the campaign's student with
    `student_no` (the walk-in's own typed number when None), whose capture becomes
    photographed at the walk-in's time and station (a "walk_in" log row); or dismissed
    (`dismiss`), which needs a `note`. `session_id`: the page's session (a walk-in of
    another session answers ``not_found``). A student whose name is not the one typed at
    the door is matched only with `other_name` (``name_mismatch`` otherwise).

    The walk-in's row is locked for the whole change, and the capture's by the transition
    (in that order; scans lock captures only), so that two clerks cannot resolve one
    walk-in twice nor match two walk-ins to one student. Codes: ``forbidden``,
    ``not_found``, ``already_resolved``, ``reason_required``, ``invalid``,
    ``not_allowed`` (the student is already photographed, or in a status the rule does not
    take), ``campaign_closed``. Returns the WalkIn."""
    if actor.device is not None or not actor.is_office:
        raise DomainError(_("只有研究生学院工作人员可以处理名单外人员。"), "forbidden")
    # A note typed in a text area may span lines: one line, as the log shows it.
    note = " ".join(_clean(note).split())
    if not note.isprintable():
        raise DomainError(_("说明含有无法识别的字符，请重新输入。"), "invalid")
    if len(note) > NOTE_LIMIT:
        raise DomainError(_("说明不能超过 %(n)d 个字符。") % {"n": NOTE_LIMIT}, "invalid")
    if dismiss and not note:
        raise DomainError(
            _("忽略名单外人员必须填写说明（如：重复登记、非本届学生）。"), "reason_required"
        )
    with transaction.atomic():
        lookups = {"pk": walkin_id}
        if session_id is not None:
            lookups["session_id"] = session_id
        walkin = (
            WalkIn.objects.select_for_update(of=("self",))
            .select_related("session")
            .filter(**lookups)
            .first()
        )
        if walkin is None:
            raise DomainError(_("找不到这条名单外人员记录。"), "not_found")
        if walkin.status != WalkIn.Status.OPEN:
            raise DomainError(
                _("这条记录已处理（%(status)s），不能再次处理。")
                % {"status": walkin.get_status_display()},
                "already_resolved",
            )
        if dismiss:
            walkin.status = WalkIn.Status.DISMISSED
        else:
            walkin.capture = _match(actor, walkin, student_no, note, other_name)
            walkin.status = WalkIn.Status.MATCHED
        walkin.resolved_by = actor.user
        walkin.resolved_at = timezone.now()
        walkin.resolution_note = note
        walkin.save(
            update_fields=["status", "capture", "resolved_by", "resolved_at", "resolution_note"]
        )
        capture_id = walkin.capture_id
        transaction.on_commit(
            lambda: logger.info(
                "walk-in %s %s (capture %s) by user %s",
                walkin.pk,
                walkin.status,
                capture_id,
                getattr(actor.user, "pk", None),
            )
        )
    return walkin


def _match(actor, walkin, student_no, note, other_name=False):
    """The capture the walk-in is matched to, moved to photographed (under the caller's
    transaction and the walk-in's lock)."""
    student_no = walkin.student_no if student_no is None else _clean(student_no)
    if not student_no:
        raise DomainError(_("请填写要匹配的学号。"), "invalid")
    capture = (
        Capture.objects.filter(
            campaign_id=walkin.session.campaign_id,
            student__student_no=student_no,
            student__withdrawn=False,
        )
        .select_related("student")
        .only("pk", "status", "student__name", "student__name_key")
        .order_by("pk")
        .first()
    )
    if capture is None:
        raise DomainError(
            _("本次采集名单中没有学号 %(no)s：请核对学号，或先导入该学生，再来匹配。")
            % {"no": student_no[:40]},
            "not_found",
        )
    duplicate = DomainError(
        _("学号 %(no)s 的学生已采集：这条记录可能是重复登记，请填写说明后“忽略”。")
        % {"no": student_no},
        "not_allowed",
    )
    if capture.status == S.PHOTOGRAPHED:
        raise duplicate
    if not other_name and capture.student.name_key != normalise_name(walkin.name):
        raise DomainError(
            _(
                "学号 %(no)s 的学生是 %(name)s，与现场登记的姓名 %(typed)s 不一致。"
                "确认是同一人时，请勾选“姓名不一致，仍然匹配”后再匹配。"
            )
            % {"no": student_no, "name": capture.student.name, "typed": walkin.name},
            "name_mismatch",
        )
    text = _("名单外人员 #%(id)d 匹配") % {"id": walkin.pk}
    result = capture_transition(
        actor=actor,
        capture_id=capture.pk,
        action="walk_in",
        occurred_at=walkin.recorded_at,
        station=walkin.station,
        note=f"{text}；{note}"[:NOTE_LIMIT] if note else text,
    )
    if not result.changed:
        # Photographed since the read above (a scan at a door): checked again under the
        # capture's lock by the transition, which wrote nothing.
        raise duplicate
    return result.capture
