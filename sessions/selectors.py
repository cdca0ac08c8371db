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


def unit_headcounts(campaign):
    """[(unit, students on the campaign's roster)] for every active unit, in display order.

    Two queries."""
    from django.db.models import Count, Q

    from units.models import TrainingUnit

    units = TrainingUnit.objects.filter(active=True).annotate(
        n=Count(
            "students__captures",
            filter=Q(students__captures__campaign=campaign, students__withdrawn=False),
        )
    )
    return [(u, u.n) for u in units]


def schedule_load(session):
    """The session's current windows with students, camera minutes, load and warnings.

    Three queries, whatever the roster size."""
    from sessions import scheduling

    counts = dict((u.pk, n) for u, n in unit_headcounts(session.campaign))
    windows = [
        scheduling.WindowLoad(
            start=w.slot.start,
            end=w.slot.end,
            units=[(u, counts.get(u.pk, 0)) for u in w.units],
            slot=w.slot,
        )
        for w in schedule_windows(session)
    ]
    return scheduling.assess(session, windows)


def unscheduled_units(session, windows):
    from units.models import TrainingUnit

    placed = {u.pk for w in windows for u, _n in w.units}
    return [u for u in TrainingUnit.objects.filter(active=True) if u.pk not in placed]


def office_campaign():
    """The campaign the office works on: the newest one not closed (else the newest)."""
    return (
        Campaign.objects.exclude(status=Campaign.Status.CLOSED).first() or Campaign.objects.first()
    )


def campaign_sessions(campaign):
    return list(CaptureSession.objects.filter(campaign=campaign))


def status_counts(captures):
    """{status: n} for a queryset of captures (one query), every status present."""
    from django.db.models import Count

    from sessions.models import Capture

    counts = dict.fromkeys(Capture.Status.values, 0)
    for row in captures.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def unit_roster(unit, campaign):
    """The unit's captures (students on the roster) with status counts. Two queries."""
    from sessions.models import Capture

    captures = Capture.objects.filter(
        campaign=campaign, student__unit=unit, student__withdrawn=False
    )
    rows = list(captures.select_related("student").order_by("student__student_no"))
    counts = dict.fromkeys(Capture.Status.values, 0)
    for c in rows:
        counts[c.status] += 1
    return rows, counts


def coordinator_overview(campaign):
    """Every active unit with its coordinators and counsellors, for the office. Three queries."""
    from django.db.models import Prefetch

    from sessions.models import Coordinator
    from units.models import TrainingUnit, UnitMembership

    units = TrainingUnit.objects.filter(active=True).prefetch_related(
        Prefetch(
            "coordinators",
            queryset=Coordinator.objects.filter(campaign=campaign)
            .select_related("registered_by")
            .order_by("position"),
            to_attr="campaign_coordinators",
        ),
        Prefetch(
            "memberships",
            queryset=UnitMembership.objects.select_related("user"),
            to_attr="counsellor_memberships",
        ),
    )
    return list(units)


def unit_coordinators(unit, campaign):
    from sessions.models import Coordinator

    return {
        c.position: c
        for c in Coordinator.objects.filter(campaign=campaign, unit=unit).select_related(
            "student", "registered_by"
        )
    }


# --- students (no account) -------------------------------------------------------------


def normalise_name(value):
    """Names as typed on a phone: full-width forms, spaces and middle-dot variants folded."""
    import unicodedata

    text = unicodedata.normalize("NFKC", value or "")
    text = "".join(text.split())
    for dot in ("•", "・", "．", "‧", "∙"):
        text = text.replace(dot, "·")
    return text.casefold()


def _lookup_sql():
    from sessions.models import Capture
    from units.models import Student

    return (
        "SELECT c.student_id, c.campaign_id, s.name"
        f" FROM {Capture._meta.db_table} c"
        f" JOIN {Student._meta.db_table} s ON s.id = c.student_id"
        f" JOIN {Campaign._meta.db_table} k ON k.id = c.campaign_id"
        " WHERE s.student_no = %s AND s.withdrawn = %s AND k.status = %s"
        " ORDER BY c.campaign_id DESC LIMIT 1"
    )


_LOOKUP_SQL = _lookup_sql()


def lookup_capture(student_no, name):
    """(student id, campaign id) of the student in the published campaign, if number and
    name match; else None. The lookup is the day's hot path: three columns, one query.

    One query, and the same work whether the number is unknown or the name is wrong: the
    name is always compared in constant time, against a stand-in when nobody matched.
    (Explicit ordering by id: Capture's default ordering would join again for nothing.)
    """
    from django.db import connection
    from django.utils.crypto import constant_time_compare

    # Plain SQL: building this three-table query through the ORM cost more than running
    # it, and the lookup is the day's hottest anonymous path (bench/lookup.py measures it).
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL, [student_no, False, Campaign.Status.PUBLISHED])
        found = cursor.fetchall()
    stored = found[0][2] if found else "\u0000no-such-student"
    matches = constant_time_compare(normalise_name(stored), normalise_name(name))
    return found[0][:2] if found and matches else None


@dataclass
class StudentPage:
    capture: object
    session: object
    slot: object  # the published window of the student's unit, or None
    coordinators: list


def student_page(student_id, campaign_id):
    """Everything a student's page shows, or None (unknown, withdrawn, campaign not open).

    Four queries, whatever the roster size."""
    from sessions.models import Capture, Coordinator

    capture = (
        Capture.objects.select_related("student__unit", "campaign")
        .filter(
            student_id=student_id,
            campaign_id=campaign_id,
            student__withdrawn=False,
            campaign__status=Campaign.Status.PUBLISHED,
        )
        .first()
    )
    if capture is None:
        return None
    session = capture.campaign.sessions.first()
    slot = None
    if session is not None and session.schedule_published:
        placed = (
            SlotUnit.objects.select_related("slot")
            .filter(session=session, unit_id=capture.student.unit_id)
            .first()
        )
        slot = placed.slot if placed else None
    coordinators = list(
        Coordinator.objects.filter(
            campaign_id=campaign_id, unit_id=capture.student.unit_id
        ).order_by("position")
    )
    return StudentPage(capture=capture, session=session, slot=slot, coordinators=coordinators)


def access_student_page(token):
    """The student page a pass token opens; 404 for a tampered, foreign or closed one."""
    from django.http import Http404

    from sessions.tokens import BadToken, read_pass_token

    try:
        student_id, campaign_id = read_pass_token(token)
    except BadToken:
        raise Http404 from None
    page = student_page(student_id, campaign_id)
    if page is None:
        raise Http404
    return page
