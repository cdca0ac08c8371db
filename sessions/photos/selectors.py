"""Reads of the delivered photos (issue 15, points 3 and 4): the office's overview per
session and per unit, a unit's missing and faulty photos, the photo a request may see,
and what a hand-over archive holds. Each in a fixed number of queries, whatever the roster
(tests/sessions/test_photo_handover.py counts them).

Whose photo is expected is one rule, `EXPECTS_PHOTO`: the overview, the unit's list, the
re-capture service (sessions.photos.recapture) and the hand-over's list of missing photos
all read it from here. A photo is "faulty" when the image standard found a fault
(`Photo.faults`), "warned" when it found only warnings (`Photo.warnings`, no fault); the
two never overlap, so received = fine + faulty + warned.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.http import Http404

from capture_portal.permissions import is_office
from sessions.models import Capture, CaptureSession, Photo
from sessions.photos.standard import labels
from units.models import TrainingUnit
from units.selectors import counsellor_unit_ids

S = Capture.Status
# The photographer's delivery holds the students photographed at the school's sessions
# (centralised or make-up). Off-site students are photographed at a Xinhua centre of their
# own choice and bring their paper prints to the unit (sheet_received / verified): the
# delivery is not expected to hold them, nor anyone absent, exempt or still expected.
EXPECTS_PHOTO = (S.PHOTOGRAPHED,)

_EXPECTED = Q(status__in=EXPECTS_PHOTO)
_RECEIVED = Q(photo__isnull=False)
_FAULTY = _RECEIVED & ~Q(photo__faults=[])
_WARNED = _RECEIVED & Q(photo__faults=[]) & ~Q(photo__warnings=[])
# What the unit's list shows: expected, and missing or with a fault or a warning.
NEEDS_ATTENTION = _EXPECTED & (Q(photo__isnull=True) | ~Q(photo__faults=[], photo__warnings=[]))


def check_labels(codes):
    """Fault or warning codes of the image standard in words (an unknown code as it is)."""
    return [str(label) for label in labels(codes or ())]


@dataclass
class PhotoCounts:
    expected: int = 0  # photographed (EXPECTS_PHOTO)
    received: int = 0  # of those, with a delivered photo
    faulty: int = 0  # of those, with a fault
    warned: int = 0  # of those, with warnings only
    other: int = 0  # photos of students not expected (off-site, re-capture scheduled…)

    @property
    def missing(self):
        return self.expected - self.received

    @property
    def fine(self):
        return self.received - self.faulty - self.warned

    def add(self, other):
        self.expected += other.expected
        self.received += other.received
        self.faulty += other.faulty
        self.warned += other.warned
        self.other += other.other


@dataclass
class UnitPhotos:
    unit: TrainingUnit
    counts: PhotoCounts


@dataclass
class SessionPhotos:
    session: CaptureSession | None  # None: students not placed in any session
    counts: PhotoCounts


@dataclass
class PhotoOverview:
    campaign: object
    sessions: list  # SessionPhotos, in the sessions' order (unplaced last)
    session: CaptureSession | None  # the session chosen (None: all of them)
    units: list  # UnitPhotos of the chosen session (or all), in display order
    total: PhotoCounts  # of the chosen session (or all)


def _counts(captures, *group):
    """{group values: PhotoCounts} of `captures`, one query."""
    rows = (
        captures.order_by()
        .values(*group)
        .annotate(
            expected=Count("pk", filter=_EXPECTED),
            received=Count("pk", filter=_EXPECTED & _RECEIVED),
            faulty=Count("pk", filter=_EXPECTED & _FAULTY),
            warned=Count("pk", filter=_EXPECTED & _WARNED),
            other=Count("pk", filter=~_EXPECTED & _RECEIVED),
        )
    )
    return {
        tuple(row[g] for g in group): PhotoCounts(
            row["expected"], row["received"], row["faulty"], row["warned"], row["other"]
        )
        for row in rows
    }


def _roster(campaign):
    return Capture.objects.filter(campaign=campaign, student__withdrawn=False)


def photo_overview(campaign, session_id=None):
    """Photos received, faulty and missing per session and per unit of `campaign`; the
    units' rows for the session `session_id` (an unknown one: every session). Three
    queries."""
    sessions = list(CaptureSession.objects.filter(campaign=campaign).order_by("date", "start"))
    units = list(TrainingUnit.objects.filter(active=True).order_by("display_order", "pk"))
    by_pair = _counts(_roster(campaign), "session_id", "student__unit_id")
    chosen = next((s for s in sessions if s.pk == session_id), None)
    per_session, per_unit = {}, {}
    for (sid, uid), counts in by_pair.items():
        per_session.setdefault(sid, PhotoCounts()).add(counts)
        if chosen is None or sid == chosen.pk:
            per_unit.setdefault(uid, PhotoCounts()).add(counts)
    session_rows = [SessionPhotos(s, per_session.get(s.pk, PhotoCounts())) for s in sessions]
    if None in per_session:
        session_rows.append(SessionPhotos(None, per_session[None]))
    # Units in the chosen session (all active ones when none is chosen), and any inactive
    # unit that still has students here.
    known = {u.pk for u in units}
    unit_rows = [
        UnitPhotos(u, per_unit.get(u.pk, PhotoCounts()))
        for u in units
        if chosen is None or u.pk in per_unit
    ]
    if per_unit.keys() - known:
        extra = TrainingUnit.objects.filter(pk__in=per_unit.keys() - known)
        unit_rows += [UnitPhotos(u, per_unit[u.pk]) for u in extra]  # rare: a fourth query
    total = PhotoCounts()
    for counts in per_unit.values():
        total.add(counts)
    return PhotoOverview(
        campaign=campaign, sessions=session_rows, session=chosen, units=unit_rows, total=total
    )


@dataclass
class UnitPhotoList:
    unit: TrainingUnit
    counts: PhotoCounts
    missing: list = field(default_factory=list)  # captures without a photo
    faulty: list = field(default_factory=list)  # captures whose photo has a fault
    warned: list = field(default_factory=list)  # captures whose photo has warnings only
    makeup_sessions: list = field(default_factory=list)  # open ones, for the re-capture


def unit_photo_list(campaign, unit):
    """A unit's photographed students whose photo is missing, faulty or has warnings, with
    the photo (`capture.photo_or_none`, its checks in words as `fault_labels` and
    `warning_labels`), the unit's counts and the campaign's open make-up sessions. Three
    queries."""
    roster = _roster(campaign).filter(student__unit=unit)
    counts = _counts(roster, "student__unit_id").get((unit.pk,), PhotoCounts())
    result = UnitPhotoList(unit=unit, counts=counts)
    rows = (
        roster.filter(NEEDS_ATTENTION)
        .select_related("student", "session", "photo")
        .order_by("student__student_no")
    )
    for capture in rows:
        # Missing: select_related cached None, and the accessor raises an AttributeError.
        photo = getattr(capture, "photo", None)
        capture.photo_or_none = photo
        if photo is None:
            result.missing.append(capture)
            continue
        capture.fault_labels = check_labels(photo.faults)
        capture.warning_labels = check_labels(photo.warnings)
        (result.faulty if photo.faults else result.warned).append(capture)
    result.makeup_sessions = list(
        CaptureSession.objects.filter(
            campaign=campaign, kind=CaptureSession.Kind.MAKEUP, closed_at__isnull=True
        ).order_by("date", "start", "pk")
    )
    return result


def photo_problem(capture, photo):
    """Why a capture's photo needs a re-capture: "missing", "faulty", "warned", or None
    (not expected, or received without a remark). The rule the unit's list shows."""
    if capture.status not in EXPECTS_PHOTO:
        return None
    if photo is None:
        return "missing"
    if photo.faults:
        return "faulty"
    if photo.warnings:
        return "warned"
    return None


def unit_roster_photos(unit, campaign, rows):
    """The delivered photos of a unit's roster `rows` (its captures in `campaign`), for the
    counsellor's page. Sets on each row `photo_or_none` (token, pixel size and checks; None
    without a photo), its checks in words as `photo_fault_labels` and
    `photo_warning_labels`, and `photo_missing` (expected to have a photo, EXPECTS_PHOTO,
    and without one). Returns how many rows miss their photo, or None while the campaign
    has no delivered photo at all: before the delivery every photographed student would
    count, and no row is marked. One query; two while the unit has no photo."""
    photos = {
        p.capture_id: p
        for p in Photo.objects.filter(capture__campaign=campaign, capture__student__unit=unit).only(
            "capture_id", "token", "width", "height", "faults", "warnings"
        )
    }
    delivered = bool(photos) or Photo.objects.filter(capture__campaign=campaign).exists()
    missing = 0
    for capture in rows:
        photo = photos.get(capture.pk)
        capture.photo_or_none = photo
        capture.photo_fault_labels = check_labels(photo.faults) if photo else []
        capture.photo_warning_labels = check_labels(photo.warnings) if photo else []
        capture.photo_missing = delivered and photo is None and capture.status in EXPECTS_PHOTO
        missing += capture.photo_missing
    return missing if delivered else None


def access_photo(user, token):
    """The photo of `token` with its capture and student, if `user` may see it: the office,
    or a counsellor of the student's unit. Http404 otherwise, exactly like a missing one
    (anonymous visitors, coordinator links and station devices are nobody here). One
    query, and the user's roles."""
    if user is None or not user.is_authenticated or not user.is_active or not token:
        raise Http404
    photo = Photo.objects.select_related("capture__student").filter(token=token).first()
    if photo is None:
        raise Http404
    if is_office(user) or photo.capture.student.unit_id in counsellor_unit_ids(user):
        return photo
    raise Http404


HANDOVER_FIELDS = (
    "file",
    "size",
    "width",
    "height",
    "faults",
    "warnings",
    "capture__shooting_no",
    "capture__status",
    "capture__student__student_no",
    "capture__student__name",
    "capture__student__unit__name",
    "capture__student__unit__name_en",
)


def handover_photos(campaign, unit=None, received_before=None):
    """The delivered photos a hand-over archive holds: of `unit` (every unit when None),
    students on the roster, in the units' order then by student number, each with its
    capture, student and unit. A queryset, to be read with .iterator()."""
    photos = Photo.objects.filter(capture__campaign=campaign, capture__student__withdrawn=False)
    if unit is not None:
        photos = photos.filter(capture__student__unit=unit)
    if received_before is not None:
        photos = photos.filter(received_at__lte=received_before)
    # Only what the archive reads: a row costs memory while its chunk is being read.
    return (
        photos.select_related("capture__student__unit")
        .only(*HANDOVER_FIELDS)
        .order_by(
            "capture__student__unit__display_order",
            "capture__student__unit_id",
            "capture__student__student_no",
        )
    )


def handover_missing(campaign, unit=None):
    """The expected students of `unit` (or of all) without a delivered photo, for the
    hand-over's list: (student number, name, unit name, its English name, shooting number)
    in the units' order. A queryset of tuples, to be read with .iterator()."""
    captures = _roster(campaign).filter(_EXPECTED, photo__isnull=True)
    if unit is not None:
        captures = captures.filter(student__unit=unit)
    return captures.order_by(
        "student__unit__display_order", "student__unit_id", "student__student_no"
    ).values_list(
        "student__student_no",
        "student__name",
        "student__unit__name",
        "student__unit__name_en",
        "shooting_no",
    )
