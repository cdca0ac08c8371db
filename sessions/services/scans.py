"""The doors on the day: scans, their undo, shooting numbers, closing the session.

A scan resolves what the station typed (a pass token, a student number or a name) to a
capture of the station's campaign, then calls the transition service of the station's
kind. The answer has a colour the operator can read from a metre away:

- green: recorded now;
- yellow: already recorded earlier (nothing written; says when and where);
- orange: the student carries an attention note; nothing is written until confirmed;
- red: refused, with the reason (unknown, another campaign, not allowed now);
- choose: several students share that name; the station picks one.

A client idempotency key makes retries and offline re-uploads return the first answer.
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
from sessions.models import Campaign, Capture, CaptureLog, CaptureSession, SlotUnit, Station
from sessions.services import rows
from sessions.services.captures import (
    capture_arrive,
    capture_photograph,
    capture_undo,
    captures_transition_many,
    replayed_log,
)
from sessions.tokens import BadToken, read_pass_token
from units.selectors import may_act_for_unit

logger = logging.getLogger(__name__)
S = Capture.Status
UNDO_WINDOW = dt.timedelta(minutes=10)
FUTURE_TOLERANCE = dt.timedelta(minutes=2)
NUMBER_RE = re.compile(r"^[0-9A-Za-z-]{4,32}$")


@dataclass
class ScanAnswer:
    outcome: str  # green | yellow | orange | red | choose
    code: str
    message: str
    capture: Capture | None = None
    log: CaptureLog | None = None
    candidates: list = field(default_factory=list)

    def as_json(self):
        student = self.capture.student if self.capture else None
        return {
            "outcome": self.outcome,
            "code": self.code,
            "message": self.message,
            "capture_id": self.capture.pk if self.capture else None,
            "student": {"name": student.name, "unit": student.unit.name} if student else None,
            "status": self.capture.status if self.capture else None,
            "log_id": self.log.pk if self.log else None,
            "occurred_at": self.log.occurred_at.isoformat() if self.log else None,
            "candidates": [
                {
                    "capture_id": c.pk,
                    "name": c.student.name,
                    "unit": c.student.unit.name,
                    "student_no_tail": c.student.student_no[-4:],
                }
                for c in self.candidates
            ],
        }


def _who(capture):
    return f"{capture.student.name} · {capture.student.unit.name}"


def _one(queryset):
    """The first row of an unordered queryset, or None. Unlike first(), no ORDER BY:
    on the scan path, compiling the model's default ordering cost more than the query."""
    rows = list(queryset.order_by()[:1])
    return rows[0] if rows else None


def _station(station_id):
    station = _one(
        Station.objects.select_related("session__campaign").filter(pk=station_id, active=True)
    )
    if station is None:
        raise DomainError(_("找不到该站点。"), "not_found")
    return station


def _captures(campaign):
    return Capture.objects.select_related("student__unit").filter(
        campaign=campaign, student__withdrawn=False
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
    return "name", "".join(code.split()), None, None


def resolve_code(station_id, code, capture_id=None):
    """(station, capture, candidates, error code) for what a station typed or scanned, or
    for the capture it picked from a list. A pass, a number or a pick is one query, the
    station included; a name, or a number of nobody in this campaign, one more.
    Raises DomainError ``not_found`` for a station that does not exist or is switched off.
    """
    if capture_id:
        by, value, pass_campaign_id, error = "capture", capture_id, None, None
    else:
        by, value, pass_campaign_id, error = _read_code(code)
    if by in rows.TARGETS:
        station, capture = rows.station_target(station_id, by, value)
    else:
        station, capture = rows.station_target(station_id)
    if station is None:
        raise DomainError(_("找不到该站点。"), "not_found")
    campaign = station.session.campaign
    if error:
        return station, None, [], error
    if pass_campaign_id is not None and pass_campaign_id != campaign.pk:
        return station, None, [], "other_campaign"
    if capture is not None:
        return station, capture, [], None
    if by == "student_no" and Capture.objects.filter(student__student_no=value).exists():
        return station, None, [], "other_campaign"
    if by != "name":
        return station, None, [], "unknown"
    found = list(
        _captures(campaign).filter(student__name=value).order_by("student__student_no")[:11]
    )
    if len(found) == 1:
        return station, found[0], [], None
    if found:
        return station, None, found[:10], "several"
    return station, None, [], "unknown"


def _when(at):
    return timezone.localtime(at).strftime("%H:%M") if at else ""


def _already(capture):
    if capture.status == S.PHOTOGRAPHED:
        message = _("已采集：%(who)s，%(at)s 于 %(station)s") % {
            "who": _who(capture),
            "at": _when(capture.status_at),
            "station": capture.status_station or "—",
        }
    else:
        message = _("已到场：%(who)s，%(at)s 于 %(station)s") % {
            "who": _who(capture),
            "at": _when(capture.status_at),
            "station": capture.status_station or "—",
        }
    return ScanAnswer("yellow", "already", message, capture=capture)


def _clean_time(occurred_at):
    now = timezone.now()
    if occurred_at is None:
        return now
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at, dt.UTC)
    return min(occurred_at, now + FUTURE_TOLERANCE)


RED = {
    "empty": lambda: _("请扫描凭证，或输入学号、姓名。"),
    "unknown": lambda: _("查无此人：请核对学号、姓名或凭证。"),
    "other_campaign": lambda: _("不是本次采集活动的学生或凭证。"),
}


def scan_record(
    *,
    actor,
    station_id,
    code="",
    capture_id=None,
    idempotency_key=None,
    occurred_at=None,
    confirm=False,
):
    """Record a scan at a station. Returns a ScanAnswer; refusals are red answers, not
    exceptions, so that the operator always sees one line. Raises DomainError only for an
    unknown station (``not_found``) or an actor who is not a station (``forbidden``)."""
    if not actor.is_station:
        raise DomainError(_("只有采集站账号可以登记。"), "forbidden")
    station, capture, candidates, error = resolve_code(station_id, code, capture_id)
    if station.session.campaign.status == Campaign.Status.CLOSED:
        return ScanAnswer("red", "campaign_closed", _("本次采集活动已结束。"))
    target = S.ARRIVED if station.kind == Station.Kind.ARRIVAL else S.PHOTOGRAPHED
    refusal = _without_writing(capture, candidates, error, target, confirm)
    if refusal is not None:
        # A retry or a late upload of a scan that was recorded the first time (so that the
        # student is now "already" there) answers as it did then. A scan that writes is
        # kept from repeating by the key's unique constraint (sessions.services.captures).
        first = replayed_log(idempotency_key) if idempotency_key else None
        return _green(first.capture, first, station) if first is not None else refusal
    transition = capture_arrive if station.kind == Station.Kind.ARRIVAL else capture_photograph
    try:
        result = transition(
            actor=actor,
            capture_id=capture.pk,
            station=station.name,
            occurred_at=_clean_time(occurred_at),
            idempotency_key=idempotency_key or None,
            seen=capture,
        )
    except DomainError as exc:
        capture.refresh_from_db(fields=["status", "status_at", "status_station"])
        if target == S.ARRIVED and capture.status == S.PHOTOGRAPHED:
            return _already(capture)
        return ScanAnswer("red", exc.code, f"{exc.message}（{_who(capture)}）", capture=capture)
    if not result.changed:
        return _already(result.capture)
    return _green(result.capture, result.log, station)


def _without_writing(capture, candidates, error, target, confirm):
    """The answer to a scan that records nothing (a list to choose from, red, yellow,
    orange), or None when the scan is to be recorded."""
    if candidates:
        return ScanAnswer(
            "choose",
            "several",
            _("有 %(n)d 名同名学生，请选择：") % {"n": len(candidates)},
            candidates=candidates,
        )
    if capture is None:
        return ScanAnswer("red", error, RED[error]())
    if capture.status == target or (target == S.ARRIVED and capture.status == S.PHOTOGRAPHED):
        return _already(capture)
    if capture.attention_note and not confirm:
        return ScanAnswer(
            "orange",
            "attention",
            _("请注意：%(note)s（%(who)s）。确认后再登记。")
            % {"note": capture.attention_note, "who": _who(capture)},
            capture=capture,
        )
    return None


def _green(capture, log, station):
    if log.to_status == S.PHOTOGRAPHED:
        message = _("已采集 — %(who)s") % {"who": _who(capture)}
    elif log.to_status == S.ARRIVED:
        message = _("已到场 — %(who)s") % {"who": _who(capture)}
    else:
        message = f"{capture.get_status_display()} — {_who(capture)}"
    return ScanAnswer("green", "recorded", message, capture=capture, log=log)


def scan_undo(*, actor, station_id, log_id):
    """Undo a scan made at this station a few minutes ago, if nothing happened since.

    Codes: ``not_found``, ``too_late``, ``superseded``, and those of capture_undo. Undoing
    twice (a double click) undoes once: the undo carries a key derived from the scan.
    """
    if not actor.is_station:
        raise DomainError(_("只有采集站账号可以撤销。"), "forbidden")
    station = _station(station_id)
    log = (
        CaptureLog.objects.select_related("capture")
        .filter(
            pk=log_id,
            station=station.name,
            capture__campaign=station.session.campaign,
            action__in=["arrive", "photograph"],
        )
        .first()
    )
    if log is None:
        raise DomainError(_("找不到这条登记。"), "not_found")
    undo_key = f"undo-{log.pk}"
    if CaptureLog.objects.filter(idempotency_key=undo_key).exists():
        return capture_undo(
            actor=actor, capture_id=log.capture_id, station=station.name, idempotency_key=undo_key
        )
    if timezone.now() - log.recorded_at > UNDO_WINDOW:
        raise DomainError(
            _("只能撤销 %(m)d 分钟内的登记。") % {"m": UNDO_WINDOW.seconds // 60}, "too_late"
        )
    latest = CaptureLog.objects.filter(capture_id=log.capture_id).order_by("-id").first()
    if latest.pk != log.pk:
        raise DomainError(_("这名学生之后已有新的登记，不能撤销这一条。"), "superseded")
    return capture_undo(
        actor=actor,
        capture_id=log.capture_id,
        station=station.name,
        note=_("撤销登记 #%(id)d") % {"id": log.pk},
        idempotency_key=undo_key,
    )


def capture_set_shooting_no(*, actor, station_id, capture_id, shooting_no):
    """Record the shooting number (拍摄号) the Xinhua reader gave a photographed student."""
    if not actor.is_station:
        raise DomainError(_("只有采集站账号可以登记拍摄号。"), "forbidden")
    station = _station(station_id)
    shooting_no = unicodedata.normalize("NFKC", shooting_no or "").strip()
    if not shooting_no or len(shooting_no) > 30:
        raise DomainError(_("请输入拍摄号（不超过 30 个字符）。"), "invalid")
    with transaction.atomic():
        capture = (
            Capture.objects.select_for_update()
            .filter(pk=capture_id, campaign=station.session.campaign)
            .first()
        )
        if capture is None:
            raise DomainError(_("找不到该学生的采集记录。"), "not_found")
        if capture.status != S.PHOTOGRAPHED:
            raise DomainError(_("只能给已采集的学生登记拍摄号。"), "not_allowed")
        if capture.shooting_no == shooting_no:
            return capture
        CaptureLog.objects.create(
            capture=capture,
            action="shooting_no",
            from_status=capture.status,
            to_status=capture.status,
            actor_user=actor.user,
            actor_label=actor.label,
            station=station.name,
            occurred_at=timezone.now(),
            note=_("拍摄号 %(old)s → %(new)s")
            % {"old": capture.shooting_no or "—", "new": shooting_no},
        )
        capture.shooting_no = shooting_no
        capture.save(update_fields=["shooting_no", "updated_at"])
    return capture


def _session_unit_ids(session):
    return list(SlotUnit.objects.filter(session=session).values_list("unit_id", flat=True))


def session_close(*, actor, session_id, now=None):
    """Close a session after its end: everyone still expected or arrived becomes absent.

    One transaction: the captures are locked, updated and logged together. Closing twice
    changes nothing the second time. Codes: ``forbidden``, ``not_found``, ``not_ended``.
    Returns the number of students marked absent.
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
        pending = list(
            Capture.objects.select_for_update()
            .filter(
                campaign=session.campaign,
                status__in=[S.EXPECTED, S.ARRIVED],
                student__unit_id__in=_session_unit_ids(session),
                student__withdrawn=False,
            )
            .only("id", "status")
        )
        moved = captures_transition_many(
            actor=actor, captures=pending, action="mark_absent", note=_("场次关闭"), now=now
        )
        session.closed_at = now
        session.save(update_fields=["closed_at"])
    logger.info("session %s closed by %s: %d absent", session_id, actor, moved)
    return moved


def absentees_send_offsite(*, actor, campaign_id, unit_id, reason):
    """Send every absent student of a unit to off-site capture at once (office, or the
    unit's counsellor). Returns how many were sent."""
    if not may_act_for_unit(actor, unit_id):
        raise DomainError(_("您无权对该单位执行此操作。"), "forbidden")
    reason = (reason or "").strip() or _("集中采集缺席")
    now = timezone.now()
    with transaction.atomic():
        absent = list(
            Capture.objects.select_for_update()
            .filter(
                campaign_id=campaign_id,
                student__unit_id=unit_id,
                status=S.ABSENT,
                student__withdrawn=False,
            )
            .only("id", "status")
        )
        moved = captures_transition_many(
            actor=actor, captures=absent, action="send_offsite", note=reason, now=now
        )
    return moved
