"""Reads across campaigns: earlier campaigns stay readable, and a student whose graduation
image exists from an earlier campaign is recognised at the next roster import.

Selectors like those of sessions.selectors, each in a fixed number of queries (kept in a
module of their own so that they can grow without crowding the day's reads).
"""

from dataclasses import dataclass

from django.db.models import Count, Prefetch

from sessions.models import Campaign, Capture, CaptureSession

# A capture in one of these states means the student has a graduation image.
HAS_IMAGE = (Capture.Status.PHOTOGRAPHED, Capture.Status.VERIFIED)
CHUNK = 5_000  # student numbers per query (PostgreSQL allows 65,535 parameters)


def _with_image_elsewhere(campaign_id):
    """Student ids with an image from a campaign other than `campaign_id` (a subquery)."""
    return (
        Capture.objects.filter(status__in=HAS_IMAGE)
        .exclude(campaign_id=campaign_id)
        .values("student_id")
    )


def already_photographed_captures(campaign_id):
    """The campaign's captures (students on its roster) whose student already has an image
    from another campaign. A queryset: one query when read."""
    return Capture.objects.filter(
        campaign_id=campaign_id,
        student__withdrawn=False,
        student_id__in=_with_image_elsewhere(campaign_id),
    )


def already_photographed_numbers(student_nos, campaign_id):
    """The student numbers among `student_nos` that already have an image from a campaign
    other than `campaign_id`: one query per 5,000 numbers."""
    student_nos = list(student_nos)
    found = set()
    for i in range(0, len(student_nos), CHUNK):
        found.update(
            Capture.objects.filter(
                student__student_no__in=student_nos[i : i + CHUNK],
                student_id__in=_with_image_elsewhere(campaign_id),
            )
            .order_by()
            .values_list("student__student_no", flat=True)
            .distinct()
        )
    return found


def already_photographed_summary(rows, campaign_id, sample=200):
    """What a roster import's summary records of the file's students (`rows`: objects with
    `student_no` and `name`) who already have an image from another campaign: their number
    and the first `sample` of them as [student number, name], in the file's order."""
    found = already_photographed_numbers({r.student_no for r in rows}, campaign_id)
    listed = [[r.student_no, r.name] for r in rows if r.student_no in found]
    return {
        "already_photographed": len(listed),
        "already_photographed_sample": listed[:sample],
    }


@dataclass
class CampaignRow:
    campaign: Campaign
    sessions: list
    counts: list  # [(status value, label, n)] in the statuses' order
    total: int


def campaign_overview():
    """Every campaign, newest first, with its sessions and its students per capture
    status: three queries whatever the number of campaigns (the counts are one GROUP BY
    over all campaigns)."""
    campaigns = list(
        Campaign.objects.order_by("-cohort", "-id").prefetch_related(
            Prefetch(
                "sessions",
                queryset=CaptureSession.objects.order_by("date", "start", "pk"),
                to_attr="session_list",
            )
        )
    )
    per_campaign = {}
    rows = (
        Capture.objects.filter(student__withdrawn=False)
        .values_list("campaign_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for campaign_id, status, n in rows:
        per_campaign.setdefault(campaign_id, {})[status] = n
    result = []
    for campaign in campaigns:
        counts = per_campaign.get(campaign.pk, {})
        result.append(
            CampaignRow(
                campaign=campaign,
                sessions=campaign.session_list,
                counts=[(s.value, s.label, counts.get(s.value, 0)) for s in Capture.Status],
                total=sum(counts.values()),
            )
        )
    return result
