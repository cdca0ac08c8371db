"""Reads of the CHSI photo confirmation (学信档案 图像校对) and the exception queue, each in
a fixed number of queries (issue 14, point 3).

Who is in the exception queue is one rule, `exception_captures`: the queue page, its
export and the services that act on a row (sessions.services.confirmation) all read it
from here."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.localised import pick
from capture_portal.xlsx import Sheet, write_workbook
from sessions.exports import SESSION_FIELDS, session_label
from sessions.models import Capture, CaptureSession, ChsiState

S = Capture.Status
# A photo of the student exists: taken on the day, or the off-site sheet handed in. These
# are the sources of the "recapture" rule (sessions.services.captures.RULES; a test keeps
# the two equal): a photo that exists can be wrong, and can be taken again.
HAS_PHOTO = (S.PHOTOGRAPHED, S.SHEET_RECEIVED, S.VERIFIED)
# What CHSI reports as a problem; "" (nothing recorded) is one only after the deadline.
PROBLEM_STATES = (ChsiState.DISPUTED, ChsiState.NO_IMAGE)
# The queue page lists at most this many rows at once; per unit it lists them all.
ROW_LIMIT = 500


def deadline_passed(campaign, today=None):
    """Whether the campaign's confirmation deadline is over (the day after it, local)."""
    deadline = campaign.confirmation_deadline
    return deadline is not None and (today or timezone.localdate()) > deadline


def exception_captures(campaign, today=None):
    """The campaign's captures in the exception queue: on the roster, not resolved, and
    either with a problem reported by CHSI (有异议, 无图像) or — once the confirmation
    deadline has passed — with a photo that nobody confirmed."""
    problem = Q(chsi_state__in=PROBLEM_STATES)
    if deadline_passed(campaign, today):
        problem |= Q(chsi_state=ChsiState.NONE, status__in=HAS_PHOTO)
    return Capture.objects.filter(
        problem,
        campaign_id=campaign.pk,
        student__withdrawn=False,
        issue_resolved_at__isnull=True,
    ).exclude(status=S.EXEMPT)  # exempt: no photo is wanted of them


@dataclass
class UnitCount:
    unit_id: int
    name: str
    n: int


@dataclass
class ExceptionQueue:
    campaign: object
    deadline_passed: bool
    units: list  # UnitCount, in display order
    total: int
    rows: list  # captures with student, unit and session
    unit_id: int | None  # the unit shown (None: every unit)
    shown_total: int  # how many the chosen unit (or all) has; rows may be fewer
    makeup_sessions: list = field(default_factory=list)  # open ones, for the action

    @property
    def truncated(self):
        return len(self.rows) < self.shown_total


def exception_queue(campaign, unit_id=None, today=None):
    """The exception queue page: per-unit counts, the rows (of one unit, or of all up to
    ROW_LIMIT), and the campaign's make-up sessions still open. Three queries, whatever
    the roster size."""
    captures = exception_captures(campaign, today)
    units = [
        UnitCount(
            row["student__unit_id"],
            pick(row["student__unit__name"], row["student__unit__name_en"]),
            row["n"],
        )
        for row in captures.order_by()
        .values(
            "student__unit_id",
            "student__unit__name",
            "student__unit__name_en",
            "student__unit__display_order",
        )
        .annotate(n=Count("pk"))
        .order_by("student__unit__display_order", "student__unit_id")
    ]
    total = sum(u.n for u in units)
    if unit_id is not None and not any(u.unit_id == unit_id for u in units):
        unit_id = None  # a unit with nothing open (or unknown): show them all
    shown = captures if unit_id is None else captures.filter(student__unit_id=unit_id)
    rows = list(
        shown.select_related("student__unit", "session").order_by(
            "student__unit__display_order", "student__student_no"
        )[:ROW_LIMIT]
    )
    for capture in rows:
        capture.problem = problem_label(capture.chsi_state, capture.chsi_reason)
    sessions = list(
        CaptureSession.objects.filter(
            campaign=campaign, kind=CaptureSession.Kind.MAKEUP, closed_at__isnull=True
        ).order_by("date", "start", "pk")
    )
    return ExceptionQueue(
        campaign=campaign,
        deadline_passed=deadline_passed(campaign, today),
        units=units,
        total=total,
        rows=rows,
        unit_id=unit_id,
        shown_total=total if unit_id is None else next(u.n for u in units if u.unit_id == unit_id),
        makeup_sessions=sessions,
    )


def problem_label(state, reason):
    """A CHSI state in plain words, as the pages and the export show it: "有异议：原因",
    "无图像", "未校对（已过截止日期）" for nothing recorded."""
    if not state:
        return _("未校对（已过截止日期）")
    label = str(ChsiState(state).label)
    return _("%(label)s：%(value)s") % {"label": label, "value": reason} if reason else label


def _export_rows(campaign, today):
    statuses = {k: str(v) for k, v in S.choices}
    tz = timezone.get_current_timezone()
    for (
        unit,
        number,
        name,
        status,
        state,
        reason,
        at,
        s_date,
        s_start,
        s_end,
        s_campus,
        s_place,
        s_kind,
    ) in (
        exception_captures(campaign, today)
        .order_by("student__unit__display_order", "student__student_no")
        .values_list(
            "student__unit__name",
            "student__student_no",
            "student__name",
            "status",
            "chsi_state",
            "chsi_reason",
            "chsi_at",
            *SESSION_FIELDS,
        )
        .iterator(chunk_size=2000)
    ):
        yield [
            unit,
            number,
            name,
            statuses.get(status, status),
            problem_label(state, reason),
            at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else "",
            session_label(s_date, s_start, s_end, s_campus, s_place, s_kind),
        ]


def exceptions_workbook(campaign, today=None):
    """The exception queue as an .xlsx: the rows, and the counts per unit. Two queries."""
    queue_counts = (
        exception_captures(campaign, today)
        .order_by()
        .values("student__unit__name", "student__unit__display_order")
        .annotate(n=Count("pk"))
        .order_by("student__unit__display_order")
    )
    return write_workbook(
        [
            Sheet(
                title=_("图像校对异常"),
                headers=[
                    _("培养单位"),
                    _("学号"),
                    _("姓名"),
                    _("采集状态"),
                    _("校对问题"),
                    _("校对记录时间"),
                    _("场次"),
                ],
                rows=_export_rows(campaign, today),
                widths=[22, 16, 12, 12, 36, 18, 36],
            ),
            Sheet(
                title=_("各单位人数"),
                headers=[_("培养单位"), _("人数")],
                rows=([r["student__unit__name"], r["n"]] for r in queue_counts),
                widths=[28, 10],
            ),
        ]
    )


# --- the counsellor's page ------------------------------------------------------------------


@dataclass
class UnitConfirmation:
    rows: list  # captures with their student
    counts: dict  # {state value: n} for every state; nothing recorded is "none"


def unit_confirmation(unit, campaign):
    """The unit's students who have a photo (or a CHSI state already recorded), by student
    number, with the counts per CHSI state. One query."""
    rows = list(
        Capture.objects.filter(campaign=campaign, student__unit=unit, student__withdrawn=False)
        .filter(Q(status__in=HAS_PHOTO) | ~Q(chsi_state=ChsiState.NONE))
        .select_related("student")
        .order_by("student__student_no")
    )
    counts = dict.fromkeys(ChsiState.values, 0)
    for capture in rows:
        counts[capture.chsi_state] += 1
    counts["none"] = counts.pop(ChsiState.NONE)
    return UnitConfirmation(rows=rows, counts=counts)


# --- the student's page ---------------------------------------------------------------------


@dataclass
class NextStep:
    """What a photographed student does next: check the photo in 学信档案."""

    opens: dt.date | None
    deadline: dt.date | None
    state: str
    state_label: str
    reason: str
    contact_office: str
    contact_phones: list


def student_next_step(capture, today=None):
    """The "下一步" of a student's page, or None: shown from the day after the photo was
    taken (or the off-site sheet handed in), in the capture's own campaign. No query (the
    page reads the capture with its campaign)."""
    if capture.status not in HAS_PHOTO or capture.status_at is None:
        return None
    if timezone.localtime(capture.status_at).date() >= (today or timezone.localdate()):
        return None
    campaign = capture.campaign
    return NextStep(
        opens=campaign.confirmation_opens,
        deadline=campaign.confirmation_deadline,
        state=capture.chsi_state,
        state_label=str(ChsiState(capture.chsi_state).label) if capture.chsi_state else "",
        reason=capture.chsi_reason,
        contact_office=campaign.contact_office,
        contact_phones=list(campaign.contact_phones or []),
    )
