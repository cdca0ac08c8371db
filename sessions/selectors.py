"""Reads for the pages, each in a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from sessions.models import Campaign, CaptureSession, SlotUnit, TimeSlot


@dataclass
class Window:
    slot: TimeSlot
    units: list = field(default_factory=list)


@dataclass
class Notice:
    campaign: Campaign
    session: CaptureSession | None
    windows: list


def current_campaign():
    """The campaign the public pages speak about: the newest published one."""
    return Campaign.objects.filter(status=Campaign.Status.PUBLISHED).first()


def schedule_windows(session):
    """The session's windows in order, each with its units in order (2 queries)."""
    slots = TimeSlot.objects.filter(session=session).prefetch_related(
        Prefetch(
            "slot_units",
            queryset=SlotUnit.objects.select_related("unit").order_by("order", "id"),
        )
    )
    return [Window(slot=s, units=[su.unit for su in s.slot_units.all()]) for s in slots]


def public_notice():
    """What `/` shows: the current campaign, its session and the published schedule.

    Returns None when no campaign is published. At most 4 queries.
    """
    campaign = current_campaign()
    if campaign is None:
        return None
    session = campaign.sessions.first()
    windows = schedule_windows(session) if session and session.schedule_published else []
    return Notice(campaign=campaign, session=session, windows=windows)
