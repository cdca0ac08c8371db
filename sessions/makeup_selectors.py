"""Reads of make-up sessions (补拍), each in a fixed number of queries.

Who may move into a make-up session is one rule, `candidate_captures`: the service that
moves (sessions.services.makeup) and the pages that count read it from here."""

from dataclasses import dataclass

from django.db.models import Count, Q

from sessions.models import Capture, CaptureSession
from units.models import TrainingUnit

S = Capture.Status
# Who missed their session: absent there, or gone off-site instead.
MOVABLE = (S.ABSENT, S.OFFSITE)


def candidate_captures(campaign_id):
    """The campaign's captures that may move into a make-up session: absent or off-site,
    on the roster, in a session that has closed (a student of a session still open is not
    an absentee yet; one with no session was never expected anywhere)."""
    return Capture.objects.filter(
        campaign_id=campaign_id,
        status__in=MOVABLE,
        session__closed_at__isnull=False,
        student__withdrawn=False,
    )


def makeup_candidates(campaign_id, unit_ids=None):
    """The units with absentees who could move, in display order, each with `absent`,
    `offsite` and `n` (both) counted. `unit_ids`: only those units. Two queries."""
    captures = candidate_captures(campaign_id)
    if unit_ids is not None:
        captures = captures.filter(student__unit_id__in=unit_ids)
    counts = {
        row["student__unit_id"]: row
        for row in captures.order_by()
        .values("student__unit_id")
        .annotate(
            absent=Count("pk", filter=Q(status=S.ABSENT)),
            offsite=Count("pk", filter=Q(status=S.OFFSITE)),
        )
    }
    units = list(TrainingUnit.objects.filter(pk__in=counts).order_by("display_order", "pk"))
    for unit in units:
        unit.absent = counts[unit.pk]["absent"]
        unit.offsite = counts[unit.pk]["offsite"]
        unit.n = unit.absent + unit.offsite
    return units


def makeup_sessions(campaign):
    """The campaign's make-up sessions in date order. One query."""
    return list(
        CaptureSession.objects.filter(campaign=campaign, kind=CaptureSession.Kind.MAKEUP).order_by(
            "date", "start", "pk"
        )
    )


def makeup_students(session):
    """The captures now in `session`, by unit and student number, with student and unit.
    One query, whatever their number."""
    return list(
        Capture.objects.filter(session=session)
        .select_related("student__unit")
        .order_by("student__unit__display_order", "student__student_no")
    )


@dataclass
class UnitSessions:
    moved: list  # the unit's captures now in a make-up session, with their session
    several: bool  # the campaign has more than one session: each row names its own


def unit_sessions(campaign, rows):
    """Fill in each roster row's session (`capture.session`, from one read of the
    campaign's sessions) and pick those moved into a make-up session. One query, whatever
    the roster size."""
    sessions = {s.pk: s for s in CaptureSession.objects.filter(campaign=campaign)}
    moved = []
    for capture in rows:
        # Assigning the related object fills the cache: no query per row.
        capture.session = sessions.get(capture.session_id)
        if capture.session is not None and capture.session.kind == CaptureSession.Kind.MAKEUP:
            moved.append(capture)
    # By session (the page groups them so), then student number.
    moved.sort(key=lambda c: (c.session.date, c.session.start, c.session.pk, c.student.student_no))
    return UnitSessions(moved=moved, several=len(sessions) > 1)
