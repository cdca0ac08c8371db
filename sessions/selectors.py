"""Reads for the pages, each in a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import pgettext

from capture_portal.localised import localised, pick
from sessions.models import Campaign, CaptureSession, SlotUnit, TimeSlot


@dataclass
class Window:
    slot: TimeSlot
    units: list = field(default_factory=list)


def _placed_unit(placement):
    """The placement's unit, labelled with its split rule when it takes only part of the
    unit (a list's student numbers are never shown: only that it is a list)."""
    unit = placement.unit
    unit.split = ""
    comma = pgettext("list separator", "、")
    if placement.split_by == SlotUnit.SplitBy.MAJOR:
        unit.split = comma.join(placement.split_values)
    elif placement.split_by == SlotUnit.SplitBy.LEVEL:
        from units.models import Student

        labels = dict(Student.Level.choices)
        unit.split = comma.join(str(labels.get(v, v)) for v in placement.split_values)
    elif placement.split_by == SlotUnit.SplitBy.LIST:
        unit.split = str(SlotUnit.SplitBy.LIST.label)
    return unit


@dataclass
class SessionSchedule:
    session: CaptureSession
    windows: list  # Window; empty until the session's schedule is published


@dataclass
class Notice:
    campaign: Campaign
    schedules: list  # SessionSchedule, every session of the campaign in date order

    @property
    def session(self):
        """The session when the campaign has a single one (the notice's one afternoon)."""
        return self.schedules[0].session if len(self.schedules) == 1 else None

    @property
    def windows(self):
        return self.schedules[0].windows if len(self.schedules) == 1 else []

    @property
    def published(self):
        return [s for s in self.schedules if s.windows]


def current_campaign():
    """The campaign the public pages speak about: the newest published one."""
    return Campaign.objects.filter(status=Campaign.Status.PUBLISHED).first()


def _windows_by_session(sessions):
    """{session id: [Window]} for the sessions whose schedule is published: 2 queries
    whatever the number of sessions (none when nothing is published)."""
    published = [s.pk for s in sessions if s.schedule_published]
    result = {pk: [] for pk in published}
    if not published:
        return result
    slots = TimeSlot.objects.filter(session_id__in=published).prefetch_related(
        Prefetch(
            "slot_units",
            queryset=SlotUnit.objects.select_related("unit").order_by("order", "id"),
        )
    )
    for s in slots.order_by("session_id", "order", "start"):
        result[s.session_id].append(
            Window(slot=s, units=[_placed_unit(su) for su in s.slot_units.all()])
        )
    return result


def public_sessions():
    """The published campaign's sessions, in date order (one query)."""
    newest = Campaign.objects.filter(status=Campaign.Status.PUBLISHED).values("pk")[:1]
    return list(
        CaptureSession.objects.filter(campaign_id__in=newest)
        .select_related("campaign")
        .order_by("date", "start", "pk")
    )


def public_session(session_id):
    """One session of a published campaign, or None (one query)."""
    return (
        CaptureSession.objects.filter(pk=session_id, campaign__status=Campaign.Status.PUBLISHED)
        .select_related("campaign")
        .first()
    )


def schedule_windows(session):
    """The session's windows in order, each with its units in order (2 queries)."""
    slots = TimeSlot.objects.filter(session=session).prefetch_related(
        Prefetch(
            "slot_units",
            queryset=SlotUnit.objects.select_related("unit").order_by("order", "id"),
        )
    )
    return [Window(slot=s, units=[_placed_unit(su) for su in s.slot_units.all()]) for s in slots]


def public_notice():
    """What `/` shows: the current campaign, its sessions and their published schedules
    (Annex 1, one table per session). Returns None when no campaign is published. At most
    4 queries, whatever the number of sessions."""
    campaign = current_campaign()
    if campaign is None:
        return None
    # A make-up session is for the students moved into it: their own pages name it.
    sessions = list(
        CaptureSession.objects.filter(campaign=campaign, kind=CaptureSession.Kind.REGULAR).order_by(
            "date", "start"
        )
    )
    windows = _windows_by_session(sessions)
    return Notice(
        campaign=campaign,
        schedules=[SessionSchedule(session=s, windows=windows.get(s.pk, [])) for s in sessions],
    )


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


def session_headcounts(session):
    """[(unit, students)] for the units this session schedules, in display order.

    A campaign's single session: every active unit with its roster (the notice's one
    afternoon). With several: the units placed in this session or in no session yet, each
    with the students the schedule gives this session (or nobody yet). A make-up session:
    the units of the students moved into it. Three queries, whatever the number of
    sessions."""
    from django.db.models import Count, Q

    from sessions.models import Capture
    from units.models import TrainingUnit

    others = list(
        CaptureSession.objects.filter(campaign_id=session.campaign_id, kind=session.kind)
        .exclude(pk=session.pk)
        .values_list("pk", flat=True)
    )
    placed_elsewhere = SlotUnit.objects.filter(session_id__in=others).values("unit_id")
    counted = Q(session_id=session.pk)
    if session.kind == CaptureSession.Kind.REGULAR:
        # Students not in a session yet count where their unit could go while the unit is
        # placed nowhere; once placed, the ones without a session are a split's stragglers
        # (unassigned_students), nobody's.
        placed_anywhere = SlotUnit.objects.filter(
            session__campaign_id=session.campaign_id, session__kind=CaptureSession.Kind.REGULAR
        ).values("unit_id")
        counted |= Q(session__isnull=True) & ~Q(student__unit_id__in=placed_anywhere)
    counts = dict(
        Capture.objects.filter(counted, campaign_id=session.campaign_id, student__withdrawn=False)
        .values_list("student__unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    units = TrainingUnit.objects.filter(active=True)
    if session.kind == CaptureSession.Kind.REGULAR:
        units = units.filter(
            Q(slot_units__session=session) | ~Q(pk__in=placed_elsewhere)
        ).distinct()
    else:
        units = units.filter(Q(pk__in=counts) | Q(slot_units__session=session)).distinct()
    return [(u, counts.get(u.pk, 0)) for u in units]


def unassigned_students(campaign_id):
    """{unit name: students of the campaign on the roster whose unit is placed in a
    session but who belong to none (split rules that leave them out)}. One query."""
    from django.db.models import Count

    from sessions.models import Capture

    placed = SlotUnit.objects.filter(
        session__campaign_id=campaign_id, session__kind=CaptureSession.Kind.REGULAR
    ).values("unit_id")
    rows = (
        Capture.objects.filter(
            campaign_id=campaign_id,
            session__isnull=True,
            student__withdrawn=False,
            student__unit_id__in=placed,
        )
        .values_list("student__unit__name", "student__unit__name_en")
        .annotate(n=Count("id"))
        .order_by("student__unit__name")
    )
    return {pick(name, name_en): n for name, name_en, n in rows}


def schedule_load(session):
    """The session's current windows with students, camera minutes, load and warnings.

    Four queries, whatever the roster size and the number of sessions."""
    from sessions import scheduling

    counts = dict((u.pk, n) for u, n in session_headcounts(session))
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
    """Active units placed in no session of the campaign (the office must place them
    somewhere before publishing). One query."""
    from units.models import TrainingUnit

    placed_elsewhere = SlotUnit.objects.filter(
        session__campaign_id=session.campaign_id, session__kind=CaptureSession.Kind.REGULAR
    ).values("unit_id")
    placed = {u.pk for w in windows for u, _n in w.units}
    return [
        u
        for u in TrainingUnit.objects.filter(active=True).exclude(pk__in=placed_elsewhere)
        if u.pk not in placed
    ]


def office_campaign():
    """The campaign the office works on: the newest published one, else the newest draft,
    else the newest (closed) one; None before the first campaign. One query.

    Published comes before draft: next year's draft (sessions.services.campaigns.
    campaign_copy_next) must not take the office's pages over while this year's campaign
    is still running; it becomes the office's campaign once this one has closed.
    "Newest" is the campaigns' order: the highest cohort, then the latest created."""
    from django.db.models import Case, IntegerField, Value, When

    S = Campaign.Status
    return (
        Campaign.objects.annotate(
            rank=Case(
                When(status=S.PUBLISHED, then=Value(0)),
                When(status=S.DRAFT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "-cohort", "-id")
        .first()
    )


class NoCampaign(Exception):
    """No campaign exists yet (a fresh install): sessions.middleware shows how to start."""


def campaign_or_start():
    """The office's campaign for a page that needs one; NoCampaign when there is none."""
    campaign = office_campaign()
    if campaign is None:
        raise NoCampaign
    return campaign


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


def lookup_capture(student_no, name):
    """(student id, campaign id) of the student in the published campaign, if number and
    name match; else None. One query, and the same work whether the number is unknown or
    the name is wrong: the name is always compared in constant time, against a stand-in
    when nobody matched.

    The day's hottest anonymous read. From the student (a unique key) and without ORDER
    BY: composing the ORM's SQL is most of its cost (bench/lookup.py), and this form is
    the cheapest to compose. Should two campaigns be published at once, the newest wins.
    """
    from django.utils.crypto import constant_time_compare

    from units.models import Student
    from units.names import normalise_name

    rows = list(
        Student.objects.filter(
            student_no=student_no,
            withdrawn=False,
            captures__campaign__status=Campaign.Status.PUBLISHED,
        )
        .order_by()
        .values_list("pk", "captures__campaign_id", "name_key")[:2]
    )
    found = max(rows, key=lambda row: row[1]) if rows else None
    stored = found[2] if found else "\u0000no-such-student"
    matches = constant_time_compare(stored, normalise_name(name))
    return found[:2] if found and matches else None


@dataclass
class StudentPage:
    capture: object
    session: object  # the student's own session (Capture.session), or None
    slot: object  # the published window of the student's unit in that session, or None
    coordinators: list

    @property
    def window(self):
        """(start, end) the student should come: their unit's published window; in a
        make-up session without windows, the whole session; else None (待公布)."""
        if self.slot is not None:
            return self.slot.start, self.slot.end
        if self.session is not None and self.session.kind == CaptureSession.Kind.MAKEUP:
            return self.session.start, self.session.end
        return None

    @property
    def off_site(self):
        """The student missed their session or goes off-site: their page is the off-site
        steps (45 yuan at the centre), with no pass, window, calendar entry or on-site fee."""
        return self.capture.status in ("absent", "offsite")

    @property
    def on_site(self):
        """The student comes (or came) to their session: the pass, the window, the door,
        the on-site fee and the calendar entry are theirs."""
        return self.capture.status in ("expected", "arrived", "photographed")


def student_page(student_id, campaign_id):
    """Everything a student's page shows, or None (unknown, withdrawn, campaign not open).
    The session, window and place are the student's own (their capture's session).

    Three queries, whatever the roster size and the number of sessions."""
    from sessions.models import Capture, Coordinator

    capture = (
        Capture.objects.select_related("student__unit", "campaign", "session")
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
    session = capture.session
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


# --- the day ---------------------------------------------------------------------------------

OFFSITE_FAMILY = ("offsite", "sheet_received", "verified")


@dataclass
class UnitProgress:
    unit: object
    counts: dict
    expected_on_site: int  # everyone who should come today (not exempt, not off-site)

    @property
    def photographed(self):
        return self.counts["photographed"]

    @property
    def percent(self):
        if not self.expected_on_site:
            return 100
        return round(100 * self.photographed / self.expected_on_site)


@dataclass
class WindowProgress:
    slot: object
    units: list  # UnitProgress

    @property
    def photographed(self):
        return sum(u.photographed for u in self.units)

    @property
    def expected_on_site(self):
        return sum(u.expected_on_site for u in self.units)


@dataclass
class SessionProgress:
    session: object
    windows: list
    current: object  # WindowProgress or None
    following: object
    photographed: int
    expected_on_site: int
    counts: dict
    per_minute: float  # photographed in the last 10 minutes, per minute
    ahead_minutes: float | None  # + ahead of the schedule, - behind; None outside the day
    now: object
    # {"early", "late", "other_session": students recorded outside their own window or
    # session at this session's doors; "walk_ins": people not on the roster (not dismissed)}
    off: dict = field(default_factory=dict)

    @property
    def behind_minutes(self):
        """How far behind, as a positive number ("1.2 minutes behind", not "-1.2")."""
        return None if self.ahead_minutes is None else -self.ahead_minutes


def _window_state(windows, session, now):
    """(current, next) window: by the clock on the day, else by progress."""
    from django.utils import timezone

    local = timezone.localtime(now)
    if local.date() == session.date:
        t = local.time()
        for i, w in enumerate(windows):
            if w.slot.start <= t < w.slot.end:
                return w, windows[i + 1] if i + 1 < len(windows) else None
        if windows and t < windows[0].slot.start:
            return None, windows[0]
        if windows and t >= windows[-1].slot.end:
            return None, None
    for i, w in enumerate(windows):
        if w.photographed < w.expected_on_site:
            return w, windows[i + 1] if i + 1 < len(windows) else None
    return None, None


def session_progress(session, now=None, off=True):
    """Per-window and per-unit progress of a session: the board and the office dashboard
    both read this. Four queries (five with students moved in from another session's
    units), two more for `off` (the dashboard's off-schedule counts), whatever the roster
    size and the number of sessions."""
    import datetime as dt

    from django.db.models import Count
    from django.utils import timezone

    from sessions.models import Capture, CaptureLog
    from sessions.scheduling import session_rate

    now = now or timezone.now()
    windows = schedule_windows(session)
    unit_ids = [u.pk for w in windows for u in w.units]
    per_unit = {uid: dict.fromkeys(Capture.Status.values, 0) for uid in unit_ids}
    # The session's own students (a split unit's other half counts in its own session).
    rows = (
        Capture.objects.filter(session_id=session.pk, student__withdrawn=False)
        .values_list("student__unit_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    others = {}  # students whose unit has no window here (moved into a make-up session)
    for unit_id, status, n in rows:
        if unit_id not in per_unit:
            others.setdefault(unit_id, dict.fromkeys(Capture.Status.values, 0))
        (per_unit.get(unit_id) or others[unit_id])[status] = n
    if others:
        from units.models import TrainingUnit

        extra = [Window(slot=None, units=list(TrainingUnit.objects.filter(pk__in=others)))]
        per_unit.update(others)
        windows = windows + extra
    progress_windows = []
    totals = dict.fromkeys(Capture.Status.values, 0)
    for w in windows:
        units = []
        for u in w.units:
            counts = per_unit[u.pk]
            for k, v in counts.items():
                totals[k] += v
            expected = (
                sum(counts.values()) - counts["exempt"] - sum(counts[s] for s in OFFSITE_FAMILY)
            )
            units.append(UnitProgress(unit=u, counts=counts, expected_on_site=expected))
        progress_windows.append(WindowProgress(slot=w.slot, units=units))
    current, following = _window_state(
        [w for w in progress_windows if w.slot is not None], session, now
    )
    recent = CaptureLog.objects.filter(
        capture__session_id=session.pk,
        action="photograph",
        occurred_at__gte=now - dt.timedelta(minutes=10),
        occurred_at__lte=now,
    ).count()
    off = _off_schedule(session) if off else {}
    photographed = sum(w.photographed for w in progress_windows)
    expected = sum(w.expected_on_site for w in progress_windows)
    ahead = None
    local = timezone.localtime(now)
    timed = [w for w in progress_windows if w.slot is not None]
    if local.date() == session.date and timed:
        planned = 0.0
        for w in timed:
            start = dt.datetime.combine(session.date, w.slot.start, tzinfo=local.tzinfo)
            end = dt.datetime.combine(session.date, w.slot.end, tzinfo=local.tzinfo)
            share = min(max((local - start) / (end - start), 0), 1)
            planned += w.expected_on_site * share
        rate = float(session_rate(session)) or 1.0
        ahead = round((photographed - planned) / rate, 1)
    return SessionProgress(
        session=session,
        windows=progress_windows,
        current=current,
        following=following,
        photographed=photographed,
        expected_on_site=expected,
        counts=totals,
        per_minute=round(recent / 10, 1),
        ahead_minutes=ahead,
        now=now,
        off=off,
    )


def _off_schedule(session):
    """Students recorded outside their own window or session at this session's doors, and
    walk-ins (people not on the roster, not dismissed). Two queries."""
    from django.db.models import Count, Q

    from sessions.models import CaptureLog, WalkIn

    off = CaptureLog.objects.filter(
        actor_device__station__session_id=session.pk,
        action__in=["arrive", "photograph"],
    ).aggregate(
        early=Count("capture_id", filter=Q(window="early"), distinct=True),
        late=Count("capture_id", filter=Q(window="late"), distinct=True),
        other_session=Count("capture_id", filter=Q(window="other_session"), distinct=True),
    )
    off["walk_ins"] = (
        WalkIn.objects.filter(session_id=session.pk).exclude(status=WalkIn.Status.DISMISSED).count()
    )
    return off


def board_data(session, now=None):
    """The waiting-area board as JSON-ready data: unit names and counts, no person."""
    from django.utils import timezone

    from sessions.announcements import announcements_json, live_announcements

    p = session_progress(session, now, off=False)

    def window(w):
        if w is None:
            return None
        return {
            "start": f"{w.slot.start:%H:%M}",
            "end": f"{w.slot.end:%H:%M}",
            "units": [localised(u.unit, "name") for u in w.units],
        }

    # On another day no window is being photographed, nor to get ready for: the progress
    # fallback (the first unfinished window) is for the office, not for the waiting area.
    on_the_day = timezone.localtime(p.now).date() == session.date
    return {
        "time": timezone.localtime(p.now).strftime("%H:%M"),
        "date": f"{session.date:%Y-%m-%d}",
        "place": localised(session, "place"),
        "campus": localised(session, "campus"),
        "current": window(p.current) if on_the_day else None,
        "next": window(p.following) if on_the_day else None,
        "units": [
            {
                "name": localised(u.unit, "name"),
                "done": u.photographed,
                "total": u.expected_on_site,
                "percent": u.percent,
            }
            for w in p.windows
            for u in w.units
        ],
        "overall": {"done": p.photographed, "total": p.expected_on_site},
        # The campaign's and this session's, shown large at the top of the board.
        "announcements": announcements_json(
            live_announcements(session.campaign_id, session.pk, now=p.now)
        ),
    }


def not_arrived(session, unit_ids=None):
    """Students still expected, per unit, for the coordinators to phone. One query."""
    from sessions.models import Capture

    qs = Capture.objects.filter(
        session_id=session.pk, status="expected", student__withdrawn=False
    ).select_related("student")
    if unit_ids is not None:
        qs = qs.filter(student__unit_id__in=unit_ids)
    result = {}
    for c in qs.order_by("student__student_no"):
        result.setdefault(c.student.unit_id, []).append(c.student)
    return result


def station_devices(campaign):
    """The campaign's sessions' stations, each with its devices (newest first): 2 queries."""
    from sessions.models import Device, Station

    return list(
        Station.objects.filter(session__campaign=campaign)
        .select_related("session")
        .prefetch_related(
            Prefetch(
                "devices",
                queryset=Device.objects.select_related("created_by").order_by("-id"),
            )
        )
        .order_by("session__date", "session__start", "order", "name")
    )


def station_recent(station, limit=10):
    """The last scans recorded by the station's devices (scans and their undoing, not
    shooting numbers), with the students' names (for undo)."""
    from sessions.models import CaptureLog

    return list(
        CaptureLog.objects.filter(
            actor_device__station_id=station.pk, action__in=["arrive", "photograph", "undo"]
        )
        .select_related("capture__student__unit")
        .order_by("-id")[:limit]
    )


# A number further than this from every other one is probably a typo (8888888 among 1–5).
OUTLIER_DISTANCE = 100
GAP_RANGES_SHOWN = 100


@dataclass
class ShootingCheck:
    entries: list  # {"capture", "number", "flags"} in the order students were photographed
    gaps: list  # [(first, last)] missing between the smallest and largest plausible number
    gaps_more: int  # ranges not listed beyond GAP_RANGES_SHOWN
    missing: int  # numbers missing in all
    outliers: int


def shooting_numbers(session):
    """The shooting numbers of a session's photographed students, each flagged: ``repeat``
    (the same number twice), ``order`` (smaller than the one before), ``text`` (not a
    number), ``outlier`` (far from every other number: a probable typo). Gaps are ranges
    between plausible numbers, so that the check stays small whatever was typed."""
    from collections import Counter

    from sessions.models import Capture

    rows = list(
        Capture.objects.filter(session_id=session.pk, status="photographed")
        .exclude(shooting_no="")
        .select_related("student__unit")
        .order_by("status_at", "id")
    )
    seen = Counter(c.shooting_no for c in rows)
    values = sorted({int(c.shooting_no) for c in rows if c.shooting_no.isdigit()})
    outliers = _outliers(values)
    entries, previous = [], None
    for c in rows:
        flags = ["repeat"] if seen[c.shooting_no] > 1 else []
        value = int(c.shooting_no) if c.shooting_no.isdigit() else None
        if value is None:
            flags.append("text")
        elif value in outliers:
            flags.append("outlier")
        else:
            if previous is not None and value < previous:
                flags.append("order")
            previous = value
        entries.append({"capture": c, "number": c.shooting_no, "flags": flags})
    gaps = []
    plausible = [v for v in values if v not in outliers]
    for before, after in zip(plausible, plausible[1:], strict=False):
        if after - before > 1:
            gaps.append((before + 1, after - 1))
    return ShootingCheck(
        entries=entries,
        gaps=gaps[:GAP_RANGES_SHOWN],
        gaps_more=max(0, len(gaps) - GAP_RANGES_SHOWN),
        missing=sum(last - first + 1 for first, last in gaps),
        outliers=len(outliers),
    )


def _outliers(values):
    """The sorted distinct values further than OUTLIER_DISTANCE from both neighbours."""
    if len(values) < 3:
        return set()
    far = set()
    for i, value in enumerate(values):
        left = value - values[i - 1] if i > 0 else None
        right = values[i + 1] - value if i + 1 < len(values) else None
        gaps = [g for g in (left, right) if g is not None]
        if min(gaps) > OUTLIER_DISTANCE:
            far.add(value)
    return far


def absentee_counts(campaign):
    """[(unit, absent, off-site family)] for every active unit. One query."""
    from django.db.models import Count, Q

    from units.models import TrainingUnit

    units = TrainingUnit.objects.filter(active=True).annotate(
        absent=Count(
            "students__captures",
            filter=Q(
                students__captures__campaign=campaign,
                students__captures__status="absent",
                students__withdrawn=False,
            ),
        ),
        offsite=Count(
            "students__captures",
            filter=Q(
                students__captures__campaign=campaign,
                students__captures__status__in=OFFSITE_FAMILY,
                students__withdrawn=False,
            ),
        ),
    )
    return list(units)


class LinkRefused(Exception):
    """A coordinator link that is genuine but no longer valid: `reason` says why."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "revoked" | "expired"


def access_coordinator_link(token):
    """(unit, campaign) a coordinator link opens. Http404 for a forged or garbled token,
    LinkRefused for a revoked one or one whose campaign has closed. Two queries."""
    from django.http import Http404

    from sessions.models import CoordinatorLink
    from sessions.tokens import BadToken, read_link_token

    try:
        unit_id, campaign_id, nonce = read_link_token(token)
    except BadToken:
        raise Http404 from None
    link = (
        CoordinatorLink.objects.select_related("unit", "campaign")
        .filter(unit_id=unit_id, campaign_id=campaign_id)
        .first()
    )
    if link is None:
        raise Http404
    from django.utils.crypto import constant_time_compare

    if not constant_time_compare(link.nonce, nonce):
        raise LinkRefused("revoked")
    if link.campaign.status == Campaign.Status.CLOSED:
        raise LinkRefused("expired")
    return link.unit, link.campaign


def coordinator_link_token(unit, campaign):
    """The unit's current coordinator link token, or None if none was made. One query."""
    from sessions.models import CoordinatorLink
    from sessions.tokens import link_token

    link = CoordinatorLink.objects.filter(unit=unit, campaign=campaign).first()
    return link_token(unit.pk, campaign.pk, link.nonce) if link else None


def after_the_day_counts(campaign):
    """The office dashboard's after-the-day figures: students in the CHSI exception queue,
    off-site students whose sheet is overdue, pending correction requests. Two queries."""
    from django.db.models import Count, Q

    from sessions.aftercare_selectors import OVERDUE, offsite_standing
    from sessions.confirmation_selectors import exception_captures
    from sessions.models import Capture, CorrectionRequest

    queue = exception_captures(campaign).values("pk")
    counts = Capture.objects.filter(campaign=campaign, student__withdrawn=False).aggregate(
        exceptions=Count("pk", filter=Q(pk__in=queue)),
        offsite=Count("pk", filter=Q(status=Capture.Status.OFFSITE)),
    )
    overdue = counts["offsite"] if offsite_standing(campaign) == OVERDUE else 0
    return {
        "exceptions": counts["exceptions"],
        "overdue": overdue,
        "corrections": CorrectionRequest.objects.filter(
            status=CorrectionRequest.Status.PENDING, capture__campaign=campaign
        ).count(),
    }


def photographed_timeline(session):
    """Net "photographed" changes of the session's students per minute, for the live
    dashboard's chart: [(aware minute, +n)], oldest first. An undo or a correction away
    from "photographed" counts -1, so the running total ends at the dashboard's count.
    One aggregated query (a row per minute with a change, not per student)."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncMinute
    from django.utils import timezone

    from sessions.models import Capture, CaptureLog

    done = Capture.Status.PHOTOGRAPHED
    rows = (
        CaptureLog.objects.filter(capture__session_id=session.pk, capture__student__withdrawn=False)
        .filter(Q(to_status=done) | Q(from_status=done))
        .annotate(minute=TruncMinute("occurred_at", tzinfo=timezone.get_current_timezone()))
        .values("minute")
        .annotate(
            up=Count("id", filter=Q(to_status=done)),
            down=Count("id", filter=Q(from_status=done)),
        )
        .order_by("minute")
    )
    return [(r["minute"], r["up"] - r["down"]) for r in rows if r["up"] != r["down"]]
