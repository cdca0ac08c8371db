"""Make-up sessions (补拍, DESIGN.md §1 and §4).

After a session closes, its students still expected there are absent (scans.session_close).
The office then creates a make-up session and moves chosen absentees into it, per unit or
by student: each capture goes back to "expected" in the new session, in the same UPDATE
that names its new session, with one CaptureLog row ("makeup", the session's date and
place as the note). Their page, pass and calendar entry follow `Capture.session`; the
schedule (sessions.services.assignment) never moves them out of a make-up session again.

Who may move is one rule (sessions.makeup_selectors.candidate_captures): absent or
off-site in a session that has closed. A student of a session still open is not an
absentee yet, and moving again changes nothing (they are expected now).

Codes: ``forbidden``, ``not_found``, ``campaign_closed``, ``invalid`` (a missing place or
door, no camera), ``invalid_times`` (the end not after the start), ``not_makeup`` (the
target is a regular session), ``session_closed``, ``nothing_chosen``.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.makeup_selectors import candidate_captures
from sessions.models import Campaign, CaptureSession, Station
from sessions.services.captures import CHUNK, captures_transition_many
from sessions.services.common import open_campaign

logger = logging.getLogger(__name__)


def _office_only(actor, message):
    if actor.device is not None or not actor.is_office:
        raise DomainError(message, "forbidden")


def makeup_session_create(
    *,
    actor,
    campaign_id,
    date,
    start,
    end,
    place,
    campus="",
    entry_door,
    exit_door,
    cameras,
):
    """Create a make-up session (kind 补拍) of an open campaign, with one arrival station
    at `entry_door` and one "photographed" station at `exit_door`, so that devices can be
    paired to it and it runs like any session. Office only.

    Raises DomainError ``forbidden``, ``not_found``, ``campaign_closed``, ``invalid``,
    ``invalid_times``. Returns the session."""
    _office_only(actor, _("只有研究生学院工作人员可以新建补拍场次。"))
    place, campus = (place or "").strip(), (campus or "").strip()
    entry_door, exit_door = (entry_door or "").strip(), (exit_door or "").strip()
    if not place:
        raise DomainError(_("请填写补拍地点。"), "invalid")
    if not entry_door or not exit_door:
        raise DomainError(_("请填写入口和出口。"), "invalid")
    if not cameras or cameras < 1:
        raise DomainError(_("机位数至少为 1。"), "invalid")
    if end <= start:
        raise DomainError(_("结束时间必须晚于开始时间。"), "invalid_times")
    with transaction.atomic():
        # The campaign's lock: a campaign closing now cannot gain a session afterwards.
        campaign = open_campaign(
            campaign_id,
            closed_message=_("采集活动已结束，不能再新建补拍场次。"),
            lock=True,
        )
        # A make-up session takes in absentees of sessions held before it.
        first = (
            CaptureSession.objects.filter(campaign=campaign, kind=CaptureSession.Kind.REGULAR)
            .order_by("date")
            .values_list("date", flat=True)
            .first()
        )
        if first is not None and date < first:
            raise DomainError(
                _("补拍日期不能早于第一个集中采集场次（%(date)s）。")
                % {"date": f"{first:%Y-%m-%d}"},
                "invalid_times",
            )
        session = CaptureSession.objects.create(
            campaign=campaign,
            kind=CaptureSession.Kind.MAKEUP,
            date=date,
            start=start,
            end=end,
            place=place,
            campus=campus,
            entry_door=entry_door,
            exit_door=exit_door,
            cameras=cameras,
        )
        Station.objects.bulk_create(
            [
                Station(
                    session=session,
                    name=_("补拍-%(door)s-1") % {"door": entry_door},
                    kind=Station.Kind.ARRIVAL,
                    order=1,
                ),
                Station(
                    session=session,
                    # Station names are unique in a session: one door, two stations.
                    name=_("补拍-%(door)s-%(n)d")
                    % {"door": exit_door, "n": 2 if exit_door == entry_door else 1},
                    kind=Station.Kind.PHOTOGRAPHED,
                    order=2,
                ),
            ]
        )
        transaction.on_commit(
            lambda: logger.info(
                "make-up session %s created in campaign %s by %s", session.pk, campaign_id, actor
            )
        )
    return session


def makeup_note(session):
    """The log note of a move into `session`."""
    return _("转入补拍：%(date)s %(place)s") % {
        "date": f"{session.date:%Y-%m-%d}",
        "place": session.place,
    }


def makeup_move_refusal(session):
    """Why nobody can move into `session` now (a DomainError to raise or show), or None:
    it is a regular session, its campaign has closed, or it has closed itself. Reads
    `session.campaign`."""
    if session.kind != CaptureSession.Kind.MAKEUP:
        return DomainError(_("只能转入补拍场次。"), "not_makeup")
    if session.campaign.status == Campaign.Status.CLOSED:
        return DomainError(_("采集活动已结束，不能再转入补拍。"), "campaign_closed")
    if session.closed_at is not None:
        return DomainError(_("该补拍场次已关闭，不能再转入学生。"), "session_closed")
    return None


def makeup_move(*, actor, session_id, unit_ids=None, capture_ids=None):
    """Move absentees into the make-up session `session_id`: every candidate of the units
    `unit_ids`, or the candidates among `capture_ids` (both given: those of the captures in
    those units). A candidate is absent or off-site in a closed session of the same
    campaign (makeup_selectors.candidate_captures); anyone else named is left alone.

    One transaction: the target session is locked (two moves into it run one after the
    other), the candidates read, then moved by captures_transition_many, which locks each
    row and re-checks its status (a capture moved meanwhile is expected and stays). Office
    only. Raises DomainError ``forbidden``, ``nothing_chosen``, ``not_found``,
    ``not_makeup``, ``campaign_closed``, ``session_closed``. Returns how many moved; a
    repeat moves nobody and returns 0."""
    _office_only(actor, _("只有研究生学院工作人员可以转入补拍。"))
    if not unit_ids and not capture_ids:
        raise DomainError(_("请选择要转入补拍的培养单位或学生。"), "nothing_chosen")
    with transaction.atomic():
        target = (
            CaptureSession.objects.select_for_update(of=("self",))
            .select_related("campaign")
            .filter(pk=session_id)
            .first()
        )
        if target is None:
            raise DomainError(_("找不到该场次。"), "not_found")
        refusal = makeup_move_refusal(target)
        if refusal is not None:
            raise refusal
        candidates = candidate_captures(target.campaign_id)
        if unit_ids:
            candidates = candidates.filter(student__unit_id__in=list(unit_ids))
        if capture_ids:
            wanted = sorted({int(pk) for pk in capture_ids})
            ids = []
            # In chunks: no statement beyond a database's parameter limit.
            for i in range(0, len(wanted), CHUNK):
                ids += candidates.filter(pk__in=wanted[i : i + CHUNK]).values_list("pk", flat=True)
        else:
            ids = list(candidates.values_list("pk", flat=True))
        moved = 0
        if ids:
            moved = captures_transition_many(
                actor=actor,
                capture_ids=sorted(ids),
                action="makeup",
                note=makeup_note(target),
                session_id=target.pk,
            )
        transaction.on_commit(
            lambda: logger.info(
                "make-up session %s: %d students moved in by %s", session_id, moved, actor
            )
        )
    return moved
