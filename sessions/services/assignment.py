"""Which session each student belongs to: exactly one at a time (`Capture.session`).

The schedule decides it. A campaign with a single regular session takes every student
into it (the notice's one afternoon). With several, a student joins the session their
unit is placed in; a unit split across sessions sends each student to the placement whose
rule matches them (by major, by level, or by a list of student numbers), and the placement
without a rule takes the rest. A student the schedule places nowhere has no session yet.

Only students still open to the schedule move: those of a make-up session (moved there by
the office, sessions.services.makeup) and those of a session already closed (their history
is that session's) stay where they are.

Called by every service that changes what it depends on (the schedule, a split rule, a
roster import, a new session), inside their transaction.
"""

import logging

from django.db.models import Q

from sessions.models import Capture, CaptureSession, SlotUnit

logger = logging.getLogger(__name__)
CHUNK = 5_000


def _matches(placement, student):
    by, values = placement["split_by"], placement["split_values"] or []
    if by == SlotUnit.SplitBy.MAJOR:
        return student["student__major"] in values
    if by == SlotUnit.SplitBy.LEVEL:
        return student["student__level"] in values
    if by == SlotUnit.SplitBy.LIST:
        return student["student__student_no"] in values
    return True


def session_for(placements, student):
    """The session id among a unit's `placements` (rules first, in session order, then the
    placement without a rule) that takes `student`, or None."""
    for placement in placements:
        if _matches(placement, student):
            return placement["session_id"]
    return None


def _movable(campaign_id):
    return Capture.objects.filter(campaign_id=campaign_id).filter(
        Q(session__isnull=True)
        | Q(session__kind=CaptureSession.Kind.REGULAR, session__closed_at__isnull=True)
    )


def captures_assign_sessions(*, actor, campaign_id):
    """Put every movable capture of the campaign into the session the schedule gives it.
    Returns how many changed session. Runs in the caller's transaction; a fixed number of
    queries per 5,000 changes."""
    sessions = list(
        CaptureSession.objects.filter(
            campaign_id=campaign_id, kind=CaptureSession.Kind.REGULAR
        ).order_by("date", "start", "pk")
    )
    if len(sessions) == 1:
        only = sessions[0]
        ids = []
        if only.closed_at is None:  # a closed session takes nobody new
            ids = list(
                _movable(campaign_id).exclude(session_id=only.pk).values_list("pk", flat=True)
            )
        targets = {only.pk: ids}
    else:
        order = {s.pk: i for i, s in enumerate(sessions)}
        placements = {}
        for p in SlotUnit.objects.filter(session__in=sessions).values(
            "unit_id", "session_id", "split_by", "split_values"
        ):
            placements.setdefault(p["unit_id"], []).append(p)
        for unit_placements in placements.values():
            # Rules first (in session order), then the placement that takes the rest.
            unit_placements.sort(key=lambda p: (p["split_by"] == "", order[p["session_id"]]))
        open_ids = {s.pk for s in sessions if s.closed_at is None}
        targets = {}
        for row in _movable(campaign_id).values(
            "pk",
            "session_id",
            "student__unit_id",
            "student__major",
            "student__level",
            "student__student_no",
        ):
            target = session_for(placements.get(row["student__unit_id"], []), row)
            if target is not None and target not in open_ids:
                continue  # a closed session takes nobody new
            if target != row["session_id"]:
                targets.setdefault(target, []).append(row["pk"])
    changed = 0
    for target, ids in targets.items():
        for i in range(0, len(ids), CHUNK):
            changed += Capture.objects.filter(pk__in=ids[i : i + CHUNK]).update(session_id=target)
    if changed:
        logger.info("campaign %s: %d students changed session (%s)", campaign_id, changed, actor)
    return changed
