"""Paper sign-in sheets (纸质签到表): printed per session and unit for a door without a
station, recorded by the office afterwards.

Selectors: `paper_units` (the units placed in a session), `paper_sheet` (one unit's sheet:
its placement, its students, pages). Reading a recorded sheet: `paper_entries_from_text`,
`paper_entries_from_xlsx`. `paper_preview` says what a sheet would change and what
conflicts; `paper_record` (a service) applies it, all or nothing.

A recorded sheet becomes the normal transitions (sessions.services.captures, rules
"paper_arrive"/"paper_photograph", which the office may take), timed at the start of the
student's window on the session's date, with `source="paper"` and the station
PAPER_STATION on the log rows. Replaying a sheet changes nothing: a capture already where
the sheet puts it is left alone.
"""

import base64
import datetime as dt
import io
from dataclasses import dataclass, field

import qrcode
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from capture_portal.xlsx import Sheet, write_workbook
from sessions.models import Capture, CaptureSession, SlotUnit
from sessions.services.captures import captures_transition_many
from sessions.tokens import BadToken, pass_token, read_pass_token

S = Capture.Status
ROWS_PER_PAGE = 10  # a 15 mm code a row: ten rows and the header fill an A4 page
PAPER_STATION = "纸质签到表"
SOURCE = "paper"
ARRIVE, PHOTOGRAPH = "arrive", "photograph"
# The sheet's tick → the office's rule in sessions.services.captures.RULES.
RULE_OF = {ARRIVE: "paper_arrive", PHOTOGRAPH: "paper_photograph"}
# Where a tick is already satisfied (a later step of the door path counts too).
DONE = {ARRIVE: {S.ARRIVED, S.PHOTOGRAPHED}, PHOTOGRAPH: {S.PHOTOGRAPHED}}
FROM = {ARRIVE: {S.EXPECTED}, PHOTOGRAPH: {S.EXPECTED, S.ARRIVED}}
XLSX_HEADERS = ["学号", "姓名", "专业", "到场", "已拍", "拍摄号", "签名"]


def _qr(text):
    """A small QR code (data URI) for one row. Not cached: the cache is the database here,
    and a fixed number of queries matters more than ~2 ms a row."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, box_size=3, border=2)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image().save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def window_time(session, slot):
    """The time a paper record is given: its window's start on the session's date."""
    return timezone.make_aware(dt.datetime.combine(session.date, slot.start))


@dataclass
class SheetPage:
    number: int
    rows: list


@dataclass
class PaperSheet:
    session: CaptureSession
    placement: SlotUnit
    rows: list
    pages: list = field(default_factory=list)

    @property
    def page_count(self):
        return len(self.pages)


def paper_units(session):
    """The placements of a session, in window order, with their slot and unit: one query."""
    return list(
        SlotUnit.objects.filter(session=session)
        .select_related("slot", "unit")
        .order_by("slot__order", "slot__start", "order")
    )


def sheet_captures(session, unit_id):
    """The unit's students in the session a sheet lists: not withdrawn, not exempt."""
    return (
        Capture.objects.filter(session=session, student__unit_id=unit_id, student__withdrawn=False)
        .exclude(status=S.EXEMPT)
        .select_related("student")
        .order_by("student__student_no")
    )


def paper_sheet(session, unit_id, *, with_codes=True):
    """One unit's sheet: two queries whatever the roster (the placement, the captures).
    404 when the unit has no window in the session."""
    placement = get_object_or_404(
        SlotUnit.objects.select_related("slot", "unit"), session=session, unit_id=unit_id
    )
    rows = list(sheet_captures(session, unit_id))
    for index, capture in enumerate(rows, start=1):
        capture.row_no = index
        if with_codes:
            capture.qr = _qr(pass_token(capture.student_id, capture.campaign_id))
    pages = [
        SheetPage(number=i // ROWS_PER_PAGE + 1, rows=rows[i : i + ROWS_PER_PAGE])
        for i in range(0, len(rows), ROWS_PER_PAGE)
    ] or [SheetPage(number=1, rows=[])]
    return PaperSheet(session=session, placement=placement, rows=rows, pages=pages)


def paper_sheet_workbook(sheet):
    rows = (
        [c.student.student_no, c.student.name, c.student.major, "", "", "", ""] for c in sheet.rows
    )
    return write_workbook(
        [
            Sheet(
                title=sheet.placement.unit.name,
                headers=[_(h) for h in XLSX_HEADERS],
                rows=rows,
                widths=[16, 12, 24, 8, 8, 12, 16],
            )
        ]
    )


# --- reading a recorded sheet -------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    text: str  # a student number or a pass token, as given
    action: str  # ARRIVE | PHOTOGRAPH


def paper_entries_from_text(text, action):
    """One entry per non-empty line (a student number or a pass token), all `action`."""
    if action not in RULE_OF:
        raise DomainError(_("请选择到场或已拍。"), "invalid")
    seen, entries = set(), []
    for line in text.splitlines():
        value = line.strip()
        if value and value not in seen:
            seen.add(value)
            entries.append(Entry(value, action))
    return entries


def paper_entries_from_xlsx(data):
    """The ticked rows of a filled sheet (.xlsx): 已拍 ticked → photograph, else 到场 ticked
    → arrive; a row with neither is skipped. Raises DomainError ``bad_file``, or the code of
    the roster import's checks for a hostile file (units.archive.check_xlsx: a zip bomb, a
    huge declared sheet, entity expansion), which run before openpyxl opens it."""
    from openpyxl import load_workbook

    from units import archive

    try:
        archive.check_xlsx(data)
    except archive.ArchiveRefused as refused:
        raise DomainError(refused.message, refused.code) from None
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True, max_row=archive.MAX_SHEET_ROWS + 1)
        header = [str(v or "").strip() for v in next(rows)]
        # The headers as written (translated for the language of the page) or in Chinese.
        no_col, arrive_col, photo_col = (
            header.index(h) if h in header else header.index(_(h)) for h in ("学号", "到场", "已拍")
        )
    except Exception:  # noqa: BLE001 - any unreadable file answers the same
        raise DomainError(_("无法读取该文件：请上传签到表的 .xlsx 文件。"), "bad_file") from None
    entries = []
    for row in rows:
        cells = list(row) + [None] * len(header)
        number = str(cells[no_col] or "").strip().lstrip("'")
        if not number:
            continue
        if str(cells[photo_col] or "").strip():
            entries.append(Entry(number, PHOTOGRAPH))
        elif str(cells[arrive_col] or "").strip():
            entries.append(Entry(number, ARRIVE))
    wb.close()
    return entries


@dataclass
class PreviewRow:
    entry: Entry
    capture: Capture | None = None


@dataclass
class Preview:
    changes: list = field(default_factory=list)  # will change
    unchanged: list = field(default_factory=list)  # recorded from paper already (a replay)
    at_door: list = field(default_factory=list)  # recorded at a door already: left alone
    unknown: list = field(default_factory=list)
    wrong_session: list = field(default_factory=list)
    exempt: list = field(default_factory=list)
    not_allowed: list = field(default_factory=list)  # absent, off-site, …

    @property
    def blocking(self):
        """Conflicts that stop the whole sheet (all or nothing)."""
        return self.unknown + self.wrong_session + self.exempt + self.not_allowed


def _find(session, entries, *, lock=False):
    """{entry text: capture} for the entries' students in the session's campaign: one query."""
    numbers, ids = set(), {}
    for e in entries:
        try:
            student_id, campaign_id = read_pass_token(e.text)
        except BadToken:
            numbers.add(e.text)
        else:
            if campaign_id == session.campaign_id:
                ids[student_id] = e.text
    qs = Capture.objects.filter(campaign_id=session.campaign_id, student__withdrawn=False)
    qs = qs.filter(Q(student__student_no__in=numbers) | Q(student_id__in=ids)).select_related(
        "student__unit"
    )
    if lock:
        qs = qs.select_for_update(of=("self",)).order_by("pk")
    found = {}
    for capture in qs:
        if capture.student.student_no in numbers:
            found[capture.student.student_no] = capture
        if capture.student_id in ids:
            found[ids[capture.student_id]] = capture
    return found


def paper_preview(session, entries, *, lock=False):
    """What recording `entries` in `session` would do, in two queries."""
    found = _find(session, entries, lock=lock)
    preview, seen = Preview(), set()
    for entry in entries:
        capture = found.get(entry.text)
        row = PreviewRow(entry, capture)
        if capture is not None and capture.pk in seen:
            continue  # one student named twice (number and pass): the first line counts
        if capture is not None:
            seen.add(capture.pk)
        if capture is None:
            preview.unknown.append(row)
        elif capture.session_id != session.pk:
            preview.wrong_session.append(row)
        elif capture.status == S.EXEMPT:
            preview.exempt.append(row)
        elif capture.status in DONE[entry.action]:
            if capture.status_station == PAPER_STATION:
                preview.unchanged.append(row)
            else:
                preview.at_door.append(row)
        elif capture.status in FROM[entry.action]:
            preview.changes.append(row)
        else:
            preview.not_allowed.append(row)
    return preview


def paper_record(*, actor, session_id, entries):
    """Record a paper sheet in session `session_id`: every change of `paper_preview`, in
    one transaction, each timed at its student's window start, `source="paper"`.

    Needs an office actor (the rules say so). Raises DomainError ``conflicts`` when any
    entry is unknown, of another session, exempt or not movable (nothing is written),
    ``not_found`` for a missing session. Captures recorded at a door already, or by
    this sheet before, are left alone. Returns the number of captures moved."""
    with transaction.atomic():
        session = CaptureSession.objects.filter(pk=session_id).first()
        if session is None:
            raise DomainError(_("找不到该场次。"), "not_found")
        preview = paper_preview(session, entries, lock=True)
        if preview.blocking:
            raise DomainError(
                _("签到表中有 %(n)s 条冲突，未做任何登记。") % {"n": len(preview.blocking)},
                "conflicts",
            )
        slots = {p.unit_id: p.slot for p in paper_units(session)}
        groups = {}
        for row in preview.changes:
            slot = slots.get(row.capture.student.unit_id)
            when = window_time(session, slot) if slot else None
            groups.setdefault((row.entry.action, when), []).append(row.capture.pk)
        moved = 0
        for (action, when), ids in sorted(groups.items(), key=lambda g: (g[0][0], str(g[0][1]))):
            count = captures_transition_many(
                actor=actor,
                capture_ids=ids,
                action=RULE_OF[action],
                occurred_at=when,
                station=PAPER_STATION,
                source=SOURCE,
            )
            if count != len(ids):
                # Cannot happen under the locks taken above; never half-apply if it does.
                raise DomainError(_("登记未能全部完成，未做任何登记。"), "conflicts")
            moved += count
    return moved
