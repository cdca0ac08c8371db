"""The doors on the day: scans, their undo, shooting numbers, closing the session.

A scan comes from a paired station device (sessions.devices). It resolves what the device
typed (a pass token, a student number or a name) to a capture of the station's campaign,
then calls the transition of the station's kind. The answer has a colour the operator can
read from a metre away:

- green: recorded now;
- yellow: already recorded earlier (nothing written; says when and where);
- orange: the student carries an attention note; nothing is written until confirmed;
- red: refused, with the reason and what was scanned (unknown, another campaign, not
  allowed now);
- choose: several students share that name; the station picks one.

A client idempotency key, scoped to the device, makes retries and offline re-uploads
return the first answer; the same key sent for another student or door is refused.
"""

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from capture_portal.localised import localised
from sessions.models import Campaign, Capture, CaptureLog, CaptureSession, SlotUnit, Station
from sessions.services.captures import (
    capture_scan,
    capture_set_shooting_no,
    capture_undo,
    captures_transition_many,
    client_key,
    key_replay,
    server_key,
)
from sessions.tokens import BadToken, read_pass_token
from units.models import Student
from units.names import normalise_name
from units.selectors import may_act_for_unit

logger = logging.getLogger(__name__)
S = Capture.Status
UNDO_WINDOW = dt.timedelta(minutes=10)
# A device's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=5)
NUMBER_RE = re.compile(r"^[0-9A-Za-z-]{4,32}$")


@dataclass
class ScanAnswer:
    outcome: str  # green | yellow | orange | red | choose
    code: str
    message: str
    capture: Capture | None = None
    log: CaptureLog | None = None
    candidates: list = field(default_factory=list)
    scanned: str = ""
    hint: str = ""  # a quiet second line: outside the student's window or session

    def as_json(self):
        student = self.capture.student if self.capture else None
        return {
            "outcome": self.outcome,
            "code": self.code,
            "message": self.message,
            "scanned": self.scanned,
            "hint": self.hint,
            "capture_id": self.capture.pk if self.capture else None,
            "student": (
                {"name": student.name, "unit": localised(student.unit, "name")} if student else None
            ),
            "status": self.capture.status if self.capture else None,
            "log_id": self.log.pk if self.log else None,
            "occurred_at": self.log.occurred_at.isoformat() if self.log else None,
            "candidates": [
                {
                    "capture_id": c.pk,
                    "name": c.student.name,
                    "unit": localised(c.student.unit, "name"),
                    "student_no_tail": c.student.student_no[-4:],
                }
                for c in self.candidates
            ],
        }


def _who(capture):
    return f"{capture.student.name} · {localised(capture.student.unit, 'name')}"


def _captures(campaign_id):
    return Capture.objects.select_related("student__unit").filter(
        campaign_id=campaign_id, student__withdrawn=False
    )


def _read_code(code):
    """What a station typed: (how to find it, the value, the campaign a pass names, error).

    How: "student" (a pass token's student id), "student_no", "name" or None."""
    code = unicodedata.normalize("NFKC", code or "").strip()
    if not code:
        return None, None, None, "empty"
    if ":" in code:  # a pass token
        try:
            student_id, campaign_id = read_pass_token(code)
        except BadToken:
            return None, None, None, "unknown"
        return "student", student_id, campaign_id, None
    if NUMBER_RE.match(code):
        return "student_no", code, None, None
    return "name", normalise_name(code), None, None


def _by_name(campaign_id, name_key):
    """(capture, candidates, error) for a name: one student, several, or nobody."""
    found = list(
        _captures(campaign_id)
        .filter(student__name_key=name_key)
        .order_by("student__student_no")[:11]
    )
    if len(found) == 1:
        return found[0], [], None
    return None, found[:10], "several" if found else "unknown"


def _red_for_nobody(campaign_id, by, value):
    """Why a number or pass named nobody here: another campaign's student, a one-word name
    that looked like a number ("Alice"), or nobody. (capture, candidates, error)."""
    if by == "student_no":
        if Capture.objects.filter(student__student_no=value).exists():
            return None, [], "other_campaign"
        if not value.isdigit():
            return _by_name(campaign_id, normalise_name(value))
    return None, [], "unknown"


def _when(at):
    return timezone.localtime(at).strftime("%H:%M") if at else ""


def _already(capture):
    values = {
        "who": _who(capture),
        "at": _when(capture.status_at),
        "station": capture.status_station or "—",
    }
    if capture.status == S.PHOTOGRAPHED:
        message = _("已采集：%(who)s，%(at)s 于 %(station)s") % values
    else:
        message = _("已到场：%(who)s，%(at)s 于 %(station)s") % values
    return ScanAnswer("yellow", "already", message, capture=capture)


def scan_time(session, occurred_at, now=None):
    """The time a scan happened, as the device stamped it (an offline queue uploads late).

    Accepted from the start of the session's day to now plus CLOCK_SKEW, with a time zone;
    anything else is refused (``bad_time``) and stores nothing: a scan stamped in year 1
    once made pages fail to read the row back."""
    now = now or timezone.now()
    if occurred_at is None:
        return now
    if timezone.is_naive(occurred_at):
        raise DomainError(_("扫描时间缺少时区。"), "bad_time")
    opens = timezone.make_aware(dt.datetime.combine(session.date, dt.time.min))
    if not opens <= occurred_at <= now + CLOCK_SKEW:
        raise DomainError(
            _("扫描时间 %(at)s 不在本场次当天到现在之间，未登记。")
            % {"at": occurred_at.isoformat()[:25]},
            "bad_time",
        )
    return occurred_at


def _red_message(error, scanned):
    shown = scanned[:40] + ("…" if len(scanned) > 40 else "")
    if error == "empty":
        return _("请扫描凭证，或输入学号、姓名。")
    if error == "other_campaign":
        return _("不是本次采集活动的学生或凭证：%(code)s") % {"code": shown}
    return _("查无此人：%(code)s（请核对学号、姓名或凭证）") % {"code": shown}


def scan_record(
    *,
    actor,
    code="",
    capture_id=None,
    idempotency_key=None,
    occurred_at=None,
    confirm=False,
    station_id=None,
    paper=False,
):
    """Record a scan at the actor's station (a device). `paper`: the station reads a paper
    sign-in sheet's row codes afterwards ("from paper" mode): the step is stamped with the
    student's window start on the session's day and logged with the source "paper".

    Returns a ScanAnswer; refusals about the student are red answers, not exceptions, so
    that the operator always sees one line.

    A pass, a student number or a pick from a list is read once, under the row's lock, by
    the transition itself (captures.capture_scan); a name is looked up first.

    Raises DomainError: ``forbidden`` (not a device), ``station_mismatch`` (the scan was
    queued for another station than the device serves now), ``bad_time`` (see scan_time),
    ``key_conflict`` (the key was used for another student or door)."""
    if actor.device is None:
        raise DomainError(_("只有已配对的采集站设备可以登记。"), "forbidden")
    station = actor.device.station
    if station_id is not None and station_id != station.pk:
        raise DomainError(_("这条扫描属于另一个站点，未登记。"), "station_mismatch")
    scanned = (code or "").strip()
    when = scan_time(station.session, occurred_at)
    key = client_key(actor.device.pk, idempotency_key)
    campaign_id = station.session.campaign_id
    if station.session.campaign.status == Campaign.Status.CLOSED:
        return ScanAnswer("red", "campaign_closed", _("本次采集活动已结束。"), scanned=scanned)
    if station.session.closed_at is not None:
        return ScanAnswer(
            "red",
            "session_closed",
            _("本场次已于 %(at)s 关闭，不再登记；请与研究生学院联系。")
            % {"at": timezone.localtime(station.session.closed_at).strftime("%m-%d %H:%M")},
            scanned=scanned,
        )
    if capture_id:
        by, value, pass_campaign_id, error = "capture", capture_id, None, None
    else:
        by, value, pass_campaign_id, error = _read_code(code)
    if error is None and pass_campaign_id not in (None, campaign_id):
        error = "other_campaign"
    capture, candidates = None, []
    if error is None and by == "name":
        capture, candidates, error = _by_name(campaign_id, value)
        by, value = "capture", capture.pk if capture else None
    if error is None:
        try:
            return _recorded(actor, station, by, value, when, key, confirm, scanned, paper)
        except DomainError as exc:
            if exc.code != "not_found":
                raise
        capture, candidates, error = _red_for_nobody(campaign_id, by, value)
        if capture is not None:  # a one-word name after all
            return _recorded(
                actor, station, "capture", capture.pk, when, key, confirm, scanned, paper
            )
    if candidates:
        return ScanAnswer(
            "choose",
            "several",
            _("有 %(n)d 名同名学生，请选择：") % {"n": len(candidates)},
            candidates=candidates,
            scanned=scanned,
        )
    key_replay(key, None, station.name)  # a key used before names somebody: a conflict
    return ScanAnswer("red", error, _red_message(error, scanned), scanned=scanned)


_FIND = {"capture": "pk", "student": "student_id", "student_no": "student__student_no"}


def _window_start(find):
    """When the student `find` names was due: their unit's window start in their own
    session (the session's start without a window), as an aware datetime; None if nobody."""
    row = (
        Capture.objects.filter(**find)
        .values("session__date", "session__start", "session_id", "student__unit_id")
        .first()
    )
    if row is None or row["session_id"] is None:
        return None
    placed = (
        SlotUnit.objects.filter(session_id=row["session_id"], unit_id=row["student__unit_id"])
        .values_list("slot__start", flat=True)
        .first()
    )
    start = placed or row["session__start"]
    return timezone.make_aware(dt.datetime.combine(row["session__date"], start))


def _recorded(actor, station, by, value, when, key, confirm, scanned, paper=False):
    """The scan's transition, on the capture `by` names in the station's campaign.
    Raises DomainError ``not_found`` (nobody there) and the caller's errors (_refused)."""
    find = {
        "campaign_id": station.session.campaign_id,
        "student__withdrawn": False,
        _FIND[by]: value,
    }
    if paper:
        when = _window_start(find) or when
    try:
        result = capture_scan(
            actor=actor,
            action="arrive" if station.kind == Station.Kind.ARRIVAL else "photograph",
            find=find,
            station=station.name,
            occurred_at=when,
            idempotency_key=key,
            confirmed=confirm,
            source="paper" if paper else "",
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        return _refused(exc, station, scanned)
    if not result.changed:
        return _already(result.capture)
    return _green(result.capture, result.log)


def _refused(exc, station, scanned):
    """A scan the transition refused: orange to confirm, yellow when an arrival comes after
    the photograph, red otherwise. Conflicts and bad requests are the caller's errors."""
    if exc.code in ("key_conflict", "forbidden"):
        raise exc
    capture = exc.details.get("capture")
    if exc.code == "attention":
        return ScanAnswer("orange", "attention", exc.message, capture=capture, scanned=scanned)
    if exc.code == "other_session":
        return ScanAnswer("yellow", "other_session", exc.message, capture=capture, scanned=scanned)
    if capture is None:
        return ScanAnswer("red", exc.code, exc.message, scanned=scanned)
    if station.kind == Station.Kind.ARRIVAL and capture.status == S.PHOTOGRAPHED:
        return _already(capture)
    return ScanAnswer(
        "red",
        exc.code,
        _("%(message)s（%(who)s）") % {"message": exc.message, "who": _who(capture)},
        capture=capture,
        scanned=scanned,
    )


def _green(capture, log):
    if log.to_status == S.PHOTOGRAPHED:
        message = _("已采集 — %(who)s") % {"who": _who(capture)}
    else:
        message = _("已到场 — %(who)s") % {"who": _who(capture)}
    answer = ScanAnswer("green", "recorded", message, capture=capture, log=log)
    answer.hint = _window_hint(capture, log.window)
    return answer


def _window_hint(capture, window):
    """A quiet line for the operator when the student came outside their own window or
    session (recorded all the same)."""
    if window in ("early", "late"):
        if not hasattr(capture, "slot_start"):  # a replayed answer: read the window again
            placed = (
                SlotUnit.objects.filter(
                    session_id=capture.session_id, unit_id=capture.student.unit_id
                )
                .select_related("slot")
                .first()
            )
            if placed is None:
                return ""
            capture.slot_start, capture.slot_end = placed.slot.start, placed.slot.end
        values = {"start": f"{capture.slot_start:%H:%M}", "end": f"{capture.slot_end:%H:%M}"}
        if window == "early":
            return _("早到：本单位时段 %(start)s–%(end)s") % values
        return _("迟到：本单位时段 %(start)s–%(end)s") % values
    if window == "other_session" and capture.session is not None:
        own = capture.session
        return _("其他场次的学生：%(date)s %(place)s") % {
            "date": f"{own.date:%m-%d}",
            "place": f"{own.campus} {own.place}".strip(),
        }
    return ""


def _station_log(actor, log_id):
    """A scan recorded by a device of this device's station, or DomainError. (By the
    station itself, not its name: every session has its 北门-1.)"""
    log = (
        CaptureLog.objects.select_related("capture")
        .filter(
            pk=log_id,
            actor_device__station_id=actor.device.station_id,
            action__in=["arrive", "photograph"],
        )
        .first()
    )
    if log is None:
        raise DomainError(_("找不到这条登记。"), "not_found")
    return log


def scan_undo(*, actor, log_id):
    """Undo a scan made at this device's station a few minutes ago, if nothing happened to
    the student since (checked under the row's lock).

    Codes: ``forbidden``, ``not_found``, ``too_late``, ``superseded``. Undoing twice (a
    double click) undoes once: the undo carries a server key derived from the scan."""
    if actor.device is None:
        raise DomainError(_("只有已配对的采集站设备可以撤销。"), "forbidden")
    log = _station_log(actor, log_id)
    if timezone.now() - log.recorded_at > UNDO_WINDOW:
        raise DomainError(
            _("只能撤销 %(m)d 分钟内的登记。") % {"m": UNDO_WINDOW.seconds // 60}, "too_late"
        )
    return capture_undo(
        actor=actor,
        capture_id=log.capture_id,
        undoes=log.pk,
        back_to=log.from_status,
        station=log.station,
        note=_("撤销登记 #%(id)d") % {"id": log.pk},
        idempotency_key=server_key("undo", log.pk),
    )


def _clean_number(shooting_no):
    shooting_no = unicodedata.normalize("NFKC", shooting_no or "").strip()
    if not shooting_no or len(shooting_no) > 30 or not shooting_no.isprintable():
        raise DomainError(_("请输入拍摄号（不超过 30 个字符）。"), "invalid")
    return shooting_no


def scan_shooting_no(*, actor, log_id, shooting_no):
    """Record the shooting number (拍摄号) for the photograph `log_id` made at this device's
    station, which must still be the student's latest step (``superseded`` otherwise)."""
    if actor.device is None:
        raise DomainError(_("只有已配对的采集站设备可以登记拍摄号。"), "forbidden")
    shooting_no = _clean_number(shooting_no)
    log = _station_log(actor, log_id)
    if log.action != "photograph":
        raise DomainError(_("只能给已采集的学生登记拍摄号。"), "not_allowed")
    return capture_set_shooting_no(
        actor=actor,
        capture_id=log.capture_id,
        shooting_no=shooting_no,
        after_log=log.pk,
        station=log.station,
    )


def shooting_no_correct(*, actor, capture_id, shooting_no, reason):
    """The office corrects a shooting number, with a reason (logged)."""
    if actor.device is not None or not actor.is_office:
        raise DomainError(_("只有研究生学院工作人员可以修改拍摄号。"), "forbidden")
    return capture_set_shooting_no(
        actor=actor, capture_id=capture_id, shooting_no=_clean_number(shooting_no), note=reason
    )


def session_close(*, actor, session_id, now=None):
    """Close a session after its end: everyone still expected or arrived becomes absent.

    One transaction: the session is locked, the captures are moved in chunks and logged.
    Closing twice changes nothing the second time. Codes: ``forbidden``, ``not_found``,
    ``not_ended``. Returns the number of students marked absent.
    """
    if not actor.is_office:
        raise DomainError(_("只有研究生学院工作人员可以关闭场次。"), "forbidden")
    now = now or timezone.now()
    with transaction.atomic():
        session = CaptureSession.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            raise DomainError(_("找不到该场次。"), "not_found")
        if session.closed_at is not None:
            return 0
        end = timezone.make_aware(dt.datetime.combine(session.date, session.end))
        if now < end:
            raise DomainError(
                _("场次要到 %(end)s 才结束，之后才能关闭。") % {"end": f"{end:%Y-%m-%d %H:%M}"},
                "not_ended",
            )
        moved = captures_transition_many(
            actor=actor,
            capture_ids=_pending(session),
            action="mark_absent",
            note=_("场次关闭"),
            occurred_at=now,
        )
        session.closed_at = now
        session.save(update_fields=["closed_at"])
    logger.info("session %s closed by %s: %d absent", session_id, actor, moved)
    return moved


def _pending(session):
    """Ids of the session's own captures (Capture.session) still expected or arrived, of
    students on the roster; a student of another session, or moved into a make-up
    session, is not touched. One table per query: a join of two tables of tens of
    thousands of rows freshly written (and not yet analysed) once got a nested-loop plan
    that ran for minutes on PostgreSQL."""
    rows = Capture.objects.filter(
        session_id=session.pk, status__in=[S.EXPECTED, S.ARRIVED]
    ).values_list("pk", "student_id")
    withdrawn = set(Student.objects.filter(withdrawn=True).values_list("pk", flat=True))
    return sorted(pk for pk, student_id in rows if student_id not in withdrawn)


def absentees_send_offsite(*, actor, campaign_id, unit_id, reason):
    """Send every absent student of a unit to off-site capture at once (office, or the
    unit's counsellor). Returns how many were sent."""
    if not may_act_for_unit(actor, unit_id):
        raise DomainError(_("您无权对该单位执行此操作。"), "forbidden")
    reason = (reason or "").strip() or _("集中采集缺席")
    absent = Capture.objects.filter(
        campaign_id=campaign_id, student__unit_id=unit_id, status=S.ABSENT, student__withdrawn=False
    ).values_list("pk", flat=True)
    return captures_transition_many(
        actor=actor, capture_ids=list(absent), action="send_offsite", note=reason
    )
