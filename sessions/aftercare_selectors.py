"""Reads of after the day (issue 14): the off-site follow-up, the prints, and the
after-the-day states a student row shows beside the capture status. Each in a fixed
number of queries, whatever the roster size.

The rules of after the day live here once, and the services, pages and exports read them:
who has prints to collect (`has_prints`), when an off-site sheet is overdue
(`offsite_standing`), and the plain words of each state (`after_tags`, `chsi_text`).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.localised import pick
from sessions.history import HAS_IMAGE
from sessions.models import Capture, ChsiState, UnitPrints
from units.models import TrainingUnit

S = Capture.Status
# Prints (8 small two-inch photos) come to the unit for the students photographed on site;
# an off-site student's prints are posted to them by the Xinhua centre.
PRINT_STATUSES = (S.PHOTOGRAPHED,)
# Before the off-site deadline, the last days are flagged as "due soon".
DUE_SOON_DAYS = 7
OVERDUE, DUE_SOON = "overdue", "due_soon"


def has_prints(capture):
    """Whether the unit holds prints for this student (the one rule of who can be ticked)."""
    return capture.status in PRINT_STATUSES


def offsite_standing(campaign, today=None):
    """Where the campaign's off-site students who have not handed in their sheet stand:
    OVERDUE once the local date is past `Campaign.offsite_deadline`, DUE_SOON in the last
    DUE_SOON_DAYS days before it, "" otherwise (also when no deadline is set)."""
    deadline = campaign.offsite_deadline
    if deadline is None:
        return ""
    today = today or timezone.localdate()
    if today > deadline:
        return OVERDUE
    if (deadline - today).days <= DUE_SOON_DAYS:
        return DUE_SOON
    return ""


def days_left(campaign, today=None):
    """Days until the off-site deadline (negative: days overdue), or None without one."""
    if campaign.offsite_deadline is None:
        return None
    return (campaign.offsite_deadline - (today or timezone.localdate())).days


def _chsi_parts(state, status):
    """(label, reason wanted) of a CHSI state, or None when there is nothing to say."""
    if not state:
        return (str(ChsiState.NONE.label), False) if status in HAS_IMAGE else None
    return (str(ChsiState(state).label) if state in ChsiState.values else state), True


def chsi_text(state, reason, status):
    """The CHSI confirmation in plain words, e.g. "有异议：照片模糊"; "未记录" for a student
    with a photo and nothing recorded yet; "" for one without a photo and nothing recorded."""
    parts = _chsi_parts(state, status)
    if parts is None:
        return ""
    label, with_reason = parts
    if with_reason and reason:
        return _("%(label)s：%(value)s") % {"label": label, "value": reason}
    return label


@dataclass(frozen=True)
class Tag:
    """One after-the-day state of a student in plain words: what (`label`), its state
    (`value`, shown as a badge of `tone`) and a detail (a CHSI dispute's reason)."""

    label: str
    value: str
    tone: str = ""  # "ok" | "warn" | "bad" | ""
    detail: str = ""

    @property
    def text(self):
        text = _("%(label)s：%(value)s") % {"label": self.label, "value": self.value}
        return (
            _("%(label)s：%(value)s") % {"label": text, "value": self.detail}
            if self.detail
            else text
        )


CHSI_TONES = {
    ChsiState.CONFIRMED: "ok",
    ChsiState.DISPUTED: "bad",
    ChsiState.NO_IMAGE: "bad",
}


def after_tags(capture, *, arrived, standing, reasons=True):
    """The after-the-day states of one capture: the CHSI confirmation, the prints, and an
    off-site sheet overdue or due soon. `arrived`: the unit's prints have arrived;
    `standing`: offsite_standing(campaign); `reasons`: show a CHSI dispute's reason (not to
    a coordinator, a fellow student)."""
    tags = []
    chsi = _chsi_parts(capture.chsi_state, capture.status)
    if chsi is not None:
        value, with_reason = chsi
        detail = capture.chsi_reason if reasons and with_reason else ""
        tags.append(Tag(_("学信网校对"), value, CHSI_TONES.get(capture.chsi_state, ""), detail))
    if capture.print_received_at is not None:
        tags.append(Tag(_("照片"), _("已领取"), "ok"))
    elif has_prints(capture):
        tags.append(
            Tag(_("照片"), _("未领取"), "warn") if arrived else Tag(_("照片"), _("未到单位"))
        )
    if capture.status == S.OFFSITE and standing == OVERDUE:
        tags.append(Tag(_("分散采集照片"), _("逾期未交"), "bad"))
    elif capture.status == S.OFFSITE and standing == DUE_SOON:
        tags.append(Tag(_("分散采集照片"), _("即将截止"), "warn"))
    return tags


def tag_rows(captures, campaign, *, arrived, reasons=True, today=None):
    """Set `after` (a list of Tag) on each capture read for a page. No query."""
    standing = offsite_standing(campaign, today)
    for capture in captures:
        capture.after = after_tags(capture, arrived=arrived, standing=standing, reasons=reasons)


def prints_arrival(unit, campaign):
    """The unit's UnitPrints (when its prints arrived), or None. One query."""
    return (
        UnitPrints.objects.filter(campaign=campaign, unit=unit)
        .select_related("recorded_by")
        .first()
    )


# --- the off-site follow-up ------------------------------------------------------------------


@dataclass
class OffsitePending:
    """The unit page's section: its off-site students whose sheet has not come in."""

    deadline: object  # date or None
    standing: str
    days_left: int | None
    captures: list  # oldest first (the longest waiting)


def unit_offsite_pending(rows, campaign, today=None):
    """The unit's off-site students not yet received, from its roster rows (no query)."""
    pending = sorted(
        (c for c in rows if c.status == S.OFFSITE),
        key=lambda c: (c.status_at is None, c.status_at or 0, c.student.student_no),
    )
    return OffsitePending(
        deadline=campaign.offsite_deadline,
        standing=offsite_standing(campaign, today),
        days_left=days_left(campaign, today),
        captures=pending,
    )


@dataclass
class OffsiteUnit:
    pk: int
    name: str
    offsite: int = 0  # sheet not received yet
    sheet_received: int = 0
    verified: int = 0
    overdue: int = 0


@dataclass
class OffsiteFollowup:
    deadline: object
    standing: str
    days_left: int | None
    units: list  # OffsiteUnit, units with any off-site student, in display order
    total: OffsiteUnit
    pending: list  # captures still off-site (student and unit read), oldest first


def offsite_followup(campaign, today=None):
    """The office's off-site follow-up: per unit, students off-site (sheet not received),
    sheets received, verified and overdue; and every student still off-site with unit,
    reason and since when (the time they went off-site). Two queries."""
    standing = offsite_standing(campaign, today)
    captures = Capture.objects.filter(campaign=campaign, student__withdrawn=False)
    units = []
    total = OffsiteUnit(pk=0, name="")
    for row in (
        captures.filter(status__in=(S.OFFSITE, S.SHEET_RECEIVED, S.VERIFIED))
        .values(
            "student__unit_id",
            "student__unit__name",
            "student__unit__name_en",
            "student__unit__display_order",
        )
        .annotate(
            offsite=Count("pk", filter=Q(status=S.OFFSITE)),
            sheet_received=Count("pk", filter=Q(status=S.SHEET_RECEIVED)),
            verified=Count("pk", filter=Q(status=S.VERIFIED)),
        )
        .order_by("student__unit__display_order", "student__unit_id")
    ):
        unit = OffsiteUnit(
            pk=row["student__unit_id"],
            name=pick(row["student__unit__name"], row["student__unit__name_en"]),
            offsite=row["offsite"],
            sheet_received=row["sheet_received"],
            verified=row["verified"],
            overdue=row["offsite"] if standing == OVERDUE else 0,
        )
        units.append(unit)
        for attr in ("offsite", "sheet_received", "verified", "overdue"):
            setattr(total, attr, getattr(total, attr) + getattr(unit, attr))
    pending = list(
        captures.filter(status=S.OFFSITE)
        .select_related("student__unit")
        .order_by("status_at", "student__unit__display_order", "student__student_no")
    )
    return OffsiteFollowup(
        deadline=campaign.offsite_deadline,
        standing=standing,
        days_left=days_left(campaign, today),
        units=units,
        total=total,
        pending=pending,
    )


# --- prints ------------------------------------------------------------------------------------


@dataclass
class PrintSheet:
    """A unit's prints: whether they arrived, and the students to tick."""

    arrival: object  # UnitPrints or None
    captures: list  # with prints (has_prints) or marked received, by student number
    received: int = 0
    out: int = 0

    @property
    def arrived(self):
        return self.arrival is not None


def print_sheet(unit, campaign, rows=None):
    """The unit's print sheet. `rows`: the unit's roster captures (with their students)
    when the page has read them already; otherwise they are read here. One or two
    queries."""
    if rows is None:
        rows = Capture.objects.filter(
            Q(status__in=PRINT_STATUSES) | Q(print_received_at__isnull=False),
            campaign=campaign,
            student__unit=unit,
            student__withdrawn=False,
        ).select_related("student")
        rows = list(rows.order_by("student__student_no"))
    captures = [c for c in rows if has_prints(c) or c.print_received_at is not None]
    return PrintSheet(
        arrival=prints_arrival(unit, campaign),
        captures=captures,
        received=sum(1 for c in captures if has_prints(c) and c.print_received_at is not None),
        out=sum(1 for c in captures if has_prints(c) and c.print_received_at is None),
    )


def prints_outstanding_ids(unit, campaign):
    """The ids of the unit's students with prints not yet received ("tick all"). One query."""
    return list(
        Capture.objects.filter(
            campaign=campaign,
            student__unit=unit,
            student__withdrawn=False,
            status__in=PRINT_STATUSES,
            print_received_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass
class UnitPrintsRow:
    unit: TrainingUnit
    arrival: object = None  # UnitPrints or None
    photographed: int = 0
    received: int = 0

    @property
    def out(self):
        return self.photographed - self.received


@dataclass
class PrintsOverview:
    units: list  # UnitPrintsRow, every active unit in display order
    total: UnitPrintsRow = field(default_factory=lambda: UnitPrintsRow(unit=None))

    @property
    def arrived(self):
        return sum(1 for u in self.units if u.arrival is not None)


def prints_overview(campaign):
    """The office's prints page: per active unit, whether its prints arrived, how many of
    its students have prints (photographed on site), received and still out. Three
    queries."""
    units = {u.pk: UnitPrintsRow(unit=u) for u in TrainingUnit.objects.filter(active=True)}
    for row in (
        Capture.objects.filter(
            campaign=campaign, student__withdrawn=False, status__in=PRINT_STATUSES
        )
        .values("student__unit_id")
        .annotate(n=Count("pk"), received=Count("pk", filter=Q(print_received_at__isnull=False)))
        .order_by()
    ):
        if row["student__unit_id"] in units:
            units[row["student__unit_id"]].photographed = row["n"]
            units[row["student__unit_id"]].received = row["received"]
    for arrival in UnitPrints.objects.filter(campaign=campaign):
        if arrival.unit_id in units:
            units[arrival.unit_id].arrival = arrival
    overview = PrintsOverview(units=list(units.values()))
    for u in overview.units:
        overview.total.photographed += u.photographed
        overview.total.received += u.received
    return overview
