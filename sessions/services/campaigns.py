"""A campaign's lifecycle: draft → published → closed, each step logged (CampaignEvent).

Publishing opens the student lookup; closing ends coordinator links and refuses every
further capture change. There is no way back from closed: a closed campaign's records are
what the registry and the purge rely on.

Next year's campaign starts as a copy of this one without its people
(`campaign_copy_next`); students whose graduation image exists from an earlier campaign can
be exempted at once (`captures_exempt_already_photographed`).
"""

import datetime
import logging
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.history import already_photographed_captures
from sessions.models import (
    Campaign,
    CampaignEvent,
    Capture,
    CaptureSession,
    SlotUnit,
    Station,
    TimeSlot,
)
from sessions.services.common import open_campaign

logger = logging.getLogger(__name__)
S = Campaign.Status
STEPS = {"publish": (S.DRAFT, S.PUBLISHED), "close": (S.PUBLISHED, S.CLOSED)}


def campaign_step(*, actor, campaign_id, action, note=""):
    """Publish or close a campaign (office only). Repeating a step changes nothing.
    Codes: ``forbidden``, ``not_found``, ``not_allowed``."""
    if not actor.is_office or actor.device is not None:
        raise DomainError(_("只有研究生学院工作人员可以发布或结束采集活动。"), "forbidden")
    if action not in STEPS:
        raise DomainError(_("未知操作。"), "invalid")
    source, target = STEPS[action]
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise DomainError(_("找不到该采集活动。"), "not_found")
        if campaign.status == target:
            return campaign
        if campaign.status != source:
            raise DomainError(
                _("采集活动当前为“%(status)s”，不能执行此操作。")
                % {"status": campaign.get_status_display()},
                "not_allowed",
            )
        CampaignEvent.objects.create(
            campaign=campaign,
            action=action,
            from_status=campaign.status,
            to_status=target,
            actor=actor.user,
            note=(note or "").strip()[:200],
        )
        campaign.status = target
        campaign.save(update_fields=["status"])
    logger.info("campaign %s %s by %s", campaign.pk, action, actor)
    return campaign


# --- next year's campaign -------------------------------------------------------------------

# What the next cohort's campaign takes over as it is: the notice's texts and facts. Anything
# else of a campaign is either set by `campaign_copy_next` (title, cohort, status, the dates)
# or is not copied at all (tests/sessions/test_next_year.py keeps this list complete).
# After-the-day dates: one year later, to be edited.
DATES_MOVED = ("confirmation_opens", "confirmation_deadline", "offsite_deadline")
COPIED_FIELDS = (
    "onsite_fee",
    "offsite_fee",
    "print_spec",
    "print_spec_en",
    "school_code",
    "school_name",
    "school_name_en",
    "capture_centre",
    "capture_centre_en",
    "issuer",
    "issuer_en",
    "contact_office",
    "contact_office_en",
    "contact_phones",
    "dress_intro",
    "dress_intro_en",
    "dress_rules",
    "dress_rules_en",
    "offsite_centres_url",
    "offsite_region",
    "offsite_region_en",
    "offsite_studio_name",
    "offsite_studio_name_en",
    "offsite_studio_address",
    "offsite_studio_address_en",
    "offsite_studio_phone",
)
# Texts that name the cohort ("2025届", "预计 2025 年毕业", "the 2025 expected graduates"):
# copied with the year moved on, in both languages.
COHORT_TEXT_FIELDS = (
    "title",
    "title_en",
    "intro",
    "intro_en",
    "participants",
    "participants_en",
)
SESSION_FIELDS = (
    "start",
    "end",
    "place",
    "place_en",
    "campus",
    "campus_en",
    "kind",
    "allow_cross_session",
    "entry_door",
    "entry_door_en",
    "exit_door",
    "exit_door_en",
    "cameras",
    "per_camera_per_minute",
)


def plus_one_year(value):
    """The same day (and local time) one year later; 29 February becomes 28 February."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    try:
        return value.replace(year=value.year + 1)
    except ValueError:  # 29 February in a leap year
        return value.replace(year=value.year + 1, day=28)


def _next_cohort_text(text, cohort):
    # The year as a number of its own: "2025届" and "2025 届" move, "120251" does not.
    return re.sub(rf"(?<!\d){cohort}(?!\d)", str(cohort + 1), text or "")


def campaign_copy_next(*, actor, campaign_id):
    """Start next year's campaign from this one (office only): a new DRAFT for cohort + 1.

    Copied: the notice's texts and facts (COPIED_FIELDS), the title, intro and participants
    with the cohort year moved on, the coordinator deadline and issue date one year later
    (29 February → 28 February); every session one year later, its schedule unpublished
    and open, with its windows, their units (split rules kept, except a student-number list,
    which is personal data: that placement takes the unit's students again) and its
    stations. Nothing personal: no captures, coordinators, coordinator links, devices,
    roster imports, walk-ins or logs. A CampaignEvent "copied" on the new campaign names
    the source. Returns the new campaign.

    Make-up sessions are not copied. Codes: ``forbidden``, ``not_found``, ``exists`` (the
    next cohort has a campaign), ``draft`` (the source is a draft: next year's plan itself).
    """
    if not actor.is_office or actor.device is not None:
        raise DomainError(_("只有研究生学院工作人员可以新建采集活动。"), "forbidden")
    with transaction.atomic():
        # The source's lock makes two clicks on the same button wait for each other; the
        # second then finds the first one's campaign and is refused.
        source = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if source is None:
            raise DomainError(_("找不到该采集活动。"), "not_found")
        if source.status == Campaign.Status.DRAFT:
            # A draft is next year's plan itself: copying it would skip a year.
            raise DomainError(_("草稿活动不能再复制；请从已发布或已结束的活动新建。"), "draft")
        cohort = source.cohort + 1
        if Campaign.objects.filter(cohort=cohort).exists():
            raise DomainError(
                _("%(cohort)d届的采集活动已经存在，没有重复新建。") % {"cohort": cohort}, "exists"
            )
        campaign = Campaign(
            cohort=cohort,
            status=Campaign.Status.DRAFT,
            coordinator_deadline=plus_one_year(source.coordinator_deadline),
            issued_on=plus_one_year(source.issued_on),
            **{f: plus_one_year(getattr(source, f)) for f in DATES_MOVED},
            **{f: getattr(source, f) for f in COPIED_FIELDS},
            **{f: _next_cohort_text(getattr(source, f), source.cohort) for f in COHORT_TEXT_FIELDS},
        )
        campaign.full_clean()
        campaign.save()
        _copy_sessions(source, campaign)
        CampaignEvent.objects.create(
            campaign=campaign,
            action="copied",
            from_status=Campaign.Status.DRAFT,
            to_status=Campaign.Status.DRAFT,
            actor=actor.user,
            note=(_("复制自“%(title)s”（编号 %(id)d）") % {"title": source.title, "id": source.pk})[
                :200
            ],
        )
    logger.info("campaign %s copied to %s by %s", source.pk, campaign.pk, actor)
    return campaign


def _copy_sessions(source, campaign):
    """The source's sessions, windows, placements and stations, under the new campaign.
    Five reads whatever their number; one insert per session and window (their ids are
    needed), one bulk insert each for placements and stations."""
    # Make-up sessions were this year's answer to this year's absentees: not copied.
    regular = {"campaign": source, "kind": CaptureSession.Kind.REGULAR}
    within = {"session__campaign": source, "session__kind": CaptureSession.Kind.REGULAR}
    sessions = list(CaptureSession.objects.filter(**regular).order_by("date", "start", "pk"))
    slots = list(TimeSlot.objects.filter(**within).order_by("order", "pk"))
    placements = list(SlotUnit.objects.filter(**within).order_by("order", "pk"))
    stations = list(Station.objects.filter(**within).order_by("order", "pk"))
    new_session, new_slot = {}, {}
    for s in sessions:
        new_session[s.pk] = CaptureSession.objects.create(
            campaign=campaign,
            date=plus_one_year(s.date),
            schedule_published=False,
            closed_at=None,
            **{f: getattr(s, f) for f in SESSION_FIELDS},
        )
    for slot in slots:
        new_slot[slot.pk] = TimeSlot.objects.create(
            session=new_session[slot.session_id], start=slot.start, end=slot.end, order=slot.order
        )
    SlotUnit.objects.bulk_create(
        SlotUnit(
            session=new_session[p.session_id],
            slot=new_slot[p.slot_id],
            unit_id=p.unit_id,
            order=p.order,
            # A list of student numbers is this year's students: not carried over.
            split_by="" if p.split_by == SlotUnit.SplitBy.LIST else p.split_by,
            split_values=[] if p.split_by == SlotUnit.SplitBy.LIST else list(p.split_values),
        )
        for p in placements
    )
    Station.objects.bulk_create(
        Station(
            session=new_session[st.session_id],
            name=st.name,
            kind=st.kind,
            order=st.order,
            active=st.active,
        )
        for st in stations
    )


# --- students photographed in an earlier campaign ---------------------------------------------

ALREADY_PHOTOGRAPHED_NOTE = "已有毕业图像"
KEEP_ON_EXEMPT = (Capture.Status.PHOTOGRAPHED, Capture.Status.VERIFIED, Capture.Status.EXEMPT)


def captures_exempt_already_photographed(*, actor, campaign_id):
    """Exempt every capture of the campaign whose student was photographed (or had an
    off-site photo verified) in another campaign: their graduation image exists already.

    Only captures still without a photo of this campaign move (a student photographed or
    verified here keeps that: it is what the fees and the delivery count). Goes through
    `captures_transition_many` ("exempt", note "已有毕业图像"), which locks and re-checks
    each row. Returns how many were exempted; a second call finds none (0). Office only.

    Codes: ``forbidden``, ``not_found``, ``campaign_closed``.
    """
    from sessions.services.captures import captures_transition_many

    if not actor.is_office or actor.device is not None:
        raise DomainError(_("只有研究生学院工作人员可以免采。"), "forbidden")
    with transaction.atomic():
        campaign = open_campaign(
            campaign_id, lock=True, closed_message=_("本次采集活动已结束，不能再修改状态。")
        )
        ids = list(
            already_photographed_captures(campaign.pk)
            .exclude(status__in=KEEP_ON_EXEMPT)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        moved = captures_transition_many(
            actor=actor, capture_ids=ids, action="exempt", note=ALREADY_PHOTOGRAPHED_NOTE
        )
    logger.info("campaign %s: %d already photographed exempted by %s", campaign_id, moved, actor)
    return moved
