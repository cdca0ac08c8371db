"""Announcements: a short notice from the office (zh, optionally en) for a whole campaign
or one session, shown on the home page, the students' pages, the stations and the boards
until its end time or until it is withdrawn. Rows are never deleted: the office page
lists them all (history).

Writes: `announcement_post`, `announcement_withdraw` (office only). Read:
`live_announcements`, one query, used by every page that shows them.

Codes: ``forbidden``, ``not_found``, ``campaign_closed``, ``invalid`` (text missing, too
long, not printable), ``invalid_end`` (the end time not after now),
``already_withdrawn``.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.models import Announcement, CaptureSession
from sessions.services.common import open_campaign

MAX_LENGTH = 300


def _office_only(actor, message):
    if actor.device is not None or not actor.is_office:
        raise DomainError(message, "forbidden")


def _clean_text(value, *, required, label):
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_("请填写%(label)s。") % {"label": label}, "invalid")
    if len(text) > MAX_LENGTH:
        raise DomainError(
            _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": MAX_LENGTH}, "invalid"
        )
    # A control character (a pasted tab, newline or zero-width mark) would break the
    # station's one-line banner and the board's layout.
    if any(not ch.isprintable() for ch in text):
        raise DomainError(
            _("%(label)s含有不可显示的字符，请删去换行和特殊符号。") % {"label": label}, "invalid"
        )
    return text


def announcement_post(*, actor, campaign_id, session_id=None, text, text_en="", ends_at=None):
    """Post an announcement of an open campaign, for the whole campaign (`session_id`
    None) or one of its sessions, shown from now until `ends_at` (None: until withdrawn).

    Needs an office actor. Raises DomainError ``forbidden``, ``not_found`` (no such
    campaign, or a session of another campaign), ``campaign_closed``, ``invalid``,
    ``invalid_end``. A double submission (the same text, session and end while the
    first is still live) returns the first announcement instead of a second one.
    Returns the Announcement."""
    _office_only(actor, _("只有研究生学院工作人员可以发布公告。"))
    text = _clean_text(text, required=True, label=_("公告内容"))
    text_en = _clean_text(text_en, required=False, label=_("英文内容"))
    now = timezone.now()
    if ends_at is not None:
        if timezone.is_naive(ends_at):
            raise DomainError(_("结束时间无效。"), "invalid_end")
        if ends_at <= now:
            raise DomainError(_("结束时间必须晚于现在。"), "invalid_end")
    with transaction.atomic():
        # The campaign's row lock serialises posts, so a double click finds the first.
        campaign = open_campaign(
            campaign_id, closed_message=_("采集活动已结束，不能再发布公告。"), lock=True
        )
        if (
            session_id is not None
            and not CaptureSession.objects.filter(pk=session_id, campaign_id=campaign.pk).exists()
        ):
            raise DomainError(_("找不到该场次。"), "not_found")
        repeat = (
            Announcement.objects.filter(
                campaign_id=campaign.pk,
                session_id=session_id,
                text=text,
                text_en=text_en,
                ends_at=ends_at,
                withdrawn_at__isnull=True,
            )
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
            .first()
        )
        if repeat is not None:
            return repeat
        return Announcement.objects.create(
            campaign=campaign,
            session_id=session_id,
            text=text,
            text_en=text_en,
            starts_at=now,
            ends_at=ends_at,
            created_by=actor.user,
        )


def announcement_withdraw(*, actor, announcement_id):
    """Take an announcement off every screen now; the row stays (history).

    Needs an office actor. Raises DomainError ``forbidden``, ``not_found``,
    ``already_withdrawn``. Returns the Announcement."""
    _office_only(actor, _("只有研究生学院工作人员可以撤下公告。"))
    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().filter(pk=announcement_id).first()
        if announcement is None:
            raise DomainError(_("找不到该公告。"), "not_found")
        if announcement.withdrawn_at is not None:
            raise DomainError(_("该公告已撤下。"), "already_withdrawn")
        announcement.withdrawn_at = timezone.now()
        announcement.save(update_fields=["withdrawn_at"])
    return announcement


def live_announcements(campaign_id, session_id=None, now=None):
    """The campaign's announcements showing now: the campaign-wide ones plus, with
    `session_id`, that session's. Newest first. One query (none without a campaign)."""
    if campaign_id is None:
        return []
    now = now or timezone.now()
    scope = Q(session__isnull=True)
    if session_id is not None:
        scope |= Q(session_id=session_id)
    return list(
        Announcement.objects.filter(
            scope,
            campaign_id=campaign_id,
            withdrawn_at__isnull=True,
            starts_at__lte=now,
        )
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .only("id", "text", "text_en", "session_id", "starts_at", "ends_at")
        .order_by("-starts_at", "-id")
    )


def announcement_history(campaign_id):
    """Every announcement of the campaign, newest first, with its session and author
    (the office page). One query."""
    return list(
        Announcement.objects.filter(campaign_id=campaign_id)
        .select_related("session", "created_by")
        .order_by("-created_at", "-id")
    )


def announcements_json(announcements):
    """[{text, text_en}] for the station API and the boards."""
    return [{"text": a.text, "text_en": a.text_en} for a in announcements]
