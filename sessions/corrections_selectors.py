"""Reads of the office's correction pages (issue 14): a student's detail and history, the
search, the bulk preview, correction requests. Each in a fixed number of queries, whatever
the roster size (tests/sessions/test_corrections.py counts them).

The pasted list of student numbers is read by one function, `parse_student_numbers`, that
the preview here and the service that applies it (sessions.services.corrections) share.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from capture_portal.exceptions import DomainError
from sessions.models import Capture, CaptureLog, CorrectionRequest
from units.names import normalise_name

S = Capture.Status
MAX_NUMBERS = 5_000  # student numbers per pasted list
CHUNK = 5_000  # student numbers per query (PostgreSQL allows 65,535 parameters)
SEARCH_LIMIT = 50
UNKNOWN_SHOWN = 500
HISTORY_LIMIT = 500  # a capture has a handful of rows; a runaway one must not sink the page

# Bulk actions: exempt (with a reason from the list), set or clear the attention note.
BULK_EXEMPT, BULK_NOTE, BULK_CLEAR = "exempt", "note", "clear_note"
BULK_ACTIONS = (BULK_EXEMPT, BULK_NOTE, BULK_CLEAR)

# Every CaptureLog action in plain words, for the history (an unknown one shows its code).
ACTION_LABELS = {
    "arrive": gettext_lazy("到场登记"),
    "photograph": gettext_lazy("拍摄完成"),
    "undo": gettext_lazy("撤销登记"),
    "mark_absent": gettext_lazy("记为缺席"),
    "send_offsite": gettext_lazy("转为分散采集"),
    "receive_sheet": gettext_lazy("收到纸质照片"),
    "verify_sheet": gettext_lazy("核实照片为本人"),
    "exempt": gettext_lazy("免采"),
    "makeup": gettext_lazy("转入补拍"),
    "walk_in": gettext_lazy("名单外人员匹配为本人"),
    "shooting_no": gettext_lazy("登记拍摄号"),
    "correct_shooting_no": gettext_lazy("更正拍摄号"),
    "recapture": gettext_lazy("重新采集"),
    "recapture_offsite": gettext_lazy("改为分散采集重拍"),
    "correct": gettext_lazy("更正状态"),
    "attention": gettext_lazy("提醒事项"),
    "chsi": gettext_lazy("学信网图像校对"),
    "resolve_issue": gettext_lazy("处理异常"),
    "print_received": gettext_lazy("领取照片"),
    "paper_arrive": gettext_lazy("按纸质签到表登记到场"),
    "paper_photograph": gettext_lazy("按纸质签到表登记已拍"),
    "paper_shooting_no": gettext_lazy("按纸质签到表登记拍摄号"),
}

_SPLIT_RE = re.compile(r"[\s,，、;；]+")


def parse_student_numbers(text):
    """The student numbers of a pasted list (one a line, or separated by commas, 、 or ;),
    full-width forms folded, in the list's order without repeats. Raises DomainError
    ``empty`` or ``too_many`` (over MAX_NUMBERS)."""
    text = unicodedata.normalize("NFKC", text or "")
    numbers = list(dict.fromkeys(v for v in _SPLIT_RE.split(text) if v))
    if not numbers:
        raise DomainError(_("请粘贴至少一个学号。"), "empty")
    if len(numbers) > MAX_NUMBERS:
        raise DomainError(
            _("一次最多 %(max)d 个学号，这份名单有 %(n)d 个；请分批处理。")
            % {"max": MAX_NUMBERS, "n": len(numbers)},
            "too_many",
        )
    return numbers


def captures_by_number(campaign_id, numbers, *, lock=False):
    """{student number: capture (with its student)} of the campaign's captures among
    `numbers`: one query per CHUNK numbers (one for a list within MAX_NUMBERS). `lock`:
    select_for_update of the capture rows, in primary-key order (two bulk changes cannot
    deadlock)."""
    found = {}
    for i in range(0, len(numbers), CHUNK):
        qs = (
            Capture.objects.filter(
                campaign_id=campaign_id, student__student_no__in=numbers[i : i + CHUNK]
            )
            .select_related("student")
            .order_by("pk")
        )
        if lock:
            qs = qs.select_for_update(of=("self",))
        for capture in qs:
            found[capture.student.student_no] = capture
    return found


def bulk_already(action, capture, text):
    """Whether `capture` is already where the bulk `action` would put it (one rule for the
    preview and the service)."""
    if action == BULK_EXEMPT:
        return capture.status == S.EXEMPT
    if action == BULK_NOTE:
        return capture.attention_note == text
    return capture.attention_note == ""


@dataclass
class BulkPreview:
    numbers: list  # as pasted, without repeats
    found: int
    unknown: list  # numbers not on the campaign's roster (the first UNKNOWN_SHOWN)
    unknown_count: int
    already: int  # found and already in that state
    change: int  # found and would change
    withdrawn: int = 0  # found but withdrawn from the roster (changed all the same)


def bulk_preview(campaign_id, numbers, action, text=""):
    """What a bulk action on the pasted `numbers` would do, writing nothing. One query."""
    found = captures_by_number(campaign_id, numbers)
    unknown = [n for n in numbers if n not in found]
    already = sum(1 for c in found.values() if bulk_already(action, c, text))
    return BulkPreview(
        numbers=numbers,
        found=len(found),
        unknown=unknown[:UNKNOWN_SHOWN],
        unknown_count=len(unknown),
        already=already,
        change=len(found) - already,
        withdrawn=sum(1 for c in found.values() if c.student.withdrawn),
    )


def capture_search(campaign, query):
    """The campaign's captures whose student number is `query` exactly, or whose name is
    it (units.names.normalise_name against Student.name_key), by student number; at most
    SEARCH_LIMIT (the caller shows that more matched when it gets SEARCH_LIMIT + 1). One
    query."""
    query = unicodedata.normalize("NFKC", query or "").strip()
    # Nobody's number or name holds a control character; PostgreSQL refuses a NUL outright.
    if not query or campaign is None or not query.isprintable():
        return []
    match = Q(student__student_no=query[:32])
    key = normalise_name(query)
    if key:
        match |= Q(student__name_key=key)
    return list(
        Capture.objects.filter(match, campaign=campaign)
        .select_related("student__unit", "session")
        .order_by("student__student_no")[: SEARCH_LIMIT + 1]
    )


@dataclass
class HistoryRow:
    log: CaptureLog
    label: str


@dataclass
class CaptureDetail:
    capture: Capture
    history: list  # HistoryRow, newest first
    requests: list  # the capture's correction requests, newest first
    exempt_from: str | None = None  # the status the exemption came from (to undo it)
    statuses: list = field(default_factory=list)  # (value, label) of every status


def _exempted_from(logs):
    """The status the capture had before its current exemption: the latest step into
    "exempt" (an exemption, or a correction to it). `logs`: newest first."""
    for log in logs:
        if log.to_status == S.EXEMPT and log.from_status != S.EXEMPT:
            return log.from_status
    return None


def exempted_from(capture_id):
    """As `_exempted_from`, read for one capture: one query."""
    return _exempted_from(
        CaptureLog.objects.filter(capture_id=capture_id, to_status=S.EXEMPT)
        .exclude(from_status=S.EXEMPT)
        .order_by("-id")[:1]
    )


def capture_detail(capture_id):
    """The office's view of one capture: student, unit, session, campaign, the whole
    history (who, device, when, why), the correction requests. Three queries; None for a
    missing capture. The delivered photo comes in the first one (`capture.photo`)."""
    capture = (
        Capture.objects.select_related("student__unit", "session", "campaign", "photo")
        .filter(pk=capture_id)
        .first()
    )
    if capture is None:
        return None
    logs = list(
        CaptureLog.objects.filter(capture_id=capture.pk)
        .select_related("actor_user", "actor_device")
        .order_by("-id")[:HISTORY_LIMIT]
    )
    requests = list(
        CorrectionRequest.objects.filter(capture_id=capture.pk)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-id")
    )
    return CaptureDetail(
        capture=capture,
        history=[HistoryRow(log, str(ACTION_LABELS.get(log.action, log.action))) for log in logs],
        requests=requests,
        exempt_from=_exempted_from(logs) if capture.status == S.EXEMPT else None,
        statuses=list(S.choices),
    )


def pending_corrections(campaign):
    """The campaign's pending correction requests, oldest first (the office's queue), with
    student, unit and requester. One query."""
    return list(
        CorrectionRequest.objects.filter(
            status=CorrectionRequest.Status.PENDING, capture__campaign=campaign
        )
        .select_related("capture__student__unit", "requested_by")
        .order_by("requested_at", "pk")
    )


def recent_decisions(campaign, limit=20):
    """The campaign's latest decided requests, newest first. One query."""
    return list(
        CorrectionRequest.objects.filter(capture__campaign=campaign)
        .exclude(status=CorrectionRequest.Status.PENDING)
        .select_related("capture__student__unit", "requested_by", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def capture_requests(capture):
    """A capture's correction requests, newest first, with the requester. One query."""
    return list(
        CorrectionRequest.objects.filter(capture=capture)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
    )
