"""Paper sign-in sheets (纸质签到表): printed per session and unit for a door without a
station, recorded by the office afterwards.

Selectors: `paper_units` (the units placed in a session), `paper_sheet` (one unit's sheet:
its placement, its students, pages). Reading a recorded sheet: `paper_entries_from_text`,
`paper_entries_from_xlsx`. `paper_preview` says what a sheet would change and what
conflicts; `paper_record` (a service) applies it, all or nothing.

A recorded sheet becomes the normal transitions (sessions.services.captures, rules
"paper_arrive"/"paper_photograph", which the office may take), timed at the start of the
student's window on the session's date, with `source="paper"` and the station
PAPER_STATION on the log rows. A row's shooting number (拍摄号, with the tick "已拍")
becomes rule "paper_shooting_no", timed and sourced alike; it conflicts when the student
has another number already, when two students share it (on the sheet or in the session),
or when the row is not ticked "已拍". Replaying a sheet changes nothing: a capture already
where the sheet puts it, with the number the sheet gives, is left alone.
"""

import base64
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field

import qrcode
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from capture_portal.exceptions import DomainError
from capture_portal.xlsx import Sheet, write_workbook
from sessions.models import Capture, CaptureSession, SlotUnit
from sessions.services.captures import capture_transition, captures_transition_many
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
MAX_NUMBER = 30  # characters of a shooting number (Capture.shooting_no)
# Between a typed line's student number (or pass) and its shooting number.
_LINE_SPLIT = re.compile(r"[\s,，]+")


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
    shooting_no: str = ""  # the 拍摄号 written on the row, as given (folded: _fold)

    def __iter__(self):
        # (action, text, shooting number): how the confirm form carries it.
        return iter((self.action, self.text, self.shooting_no))


def _fold(value):
    """A shooting number as the door stores it: full-width forms folded, trimmed. A whole
    number typed in a spreadsheet cell (17 or 17.0) reads as its digits."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()


def paper_entries_from_text(text, action):
    """One entry per non-empty line, all `action`: a student number or a pass token,
    optionally followed (after spaces, a tab or a comma) by the row's shooting number,
    e.g. "2023001 A-17". A repeated line counts once."""
    if action not in RULE_OF:
        raise DomainError(_("请选择到场或已拍。"), "invalid")
    seen, entries = set(), []
    for line in text.splitlines():
        parts = _LINE_SPLIT.split(line.strip(), maxsplit=1)
        entry = Entry(parts[0], action, _fold(parts[1]) if len(parts) > 1 else "")
        if entry.text and entry not in seen:
            seen.add(entry)
            entries.append(entry)
    return entries


def _column(header, name):
    """The index of a column headed `name` (as written for the page's language or in
    Chinese), or None."""
    for h in (name, _(name)):
        if h in header:
            return header.index(h)
    return None


def paper_entries_from_xlsx(data):
    """The ticked rows of a filled sheet (.xlsx): 已拍 ticked → photograph, else 到场 ticked
    → arrive, each with the 拍摄号 column's number when the sheet has one; a row with
    neither tick nor number is skipped (a number without 已拍 is kept: the preview reports
    it). Raises DomainError ``bad_file``, or the code of the roster import's checks for a
    hostile file (units.archive.check_xlsx: a zip bomb, a huge declared sheet, entity
    expansion), which run before openpyxl opens it."""
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
        no_col, arrive_col, photo_col = (_column(header, h) for h in ("学号", "到场", "已拍"))
        if None in (no_col, arrive_col, photo_col):
            raise ValueError("missing column")
        number_col = _column(header, "拍摄号")  # optional: sheets printed before it had one
    except Exception:  # noqa: BLE001 - any unreadable file answers the same
        raise DomainError(_("无法读取该文件：请上传签到表的 .xlsx 文件。"), "bad_file") from None
    entries = []
    for row in rows:
        cells = list(row) + [None] * len(header)
        number = str(cells[no_col] or "").strip().lstrip("'")
        shooting_no = _fold(cells[number_col]) if number_col is not None else ""
        if not number:
            continue
        if str(cells[photo_col] or "").strip():
            entries.append(Entry(number, PHOTOGRAPH, shooting_no))
        elif str(cells[arrive_col] or "").strip() or shooting_no:
            entries.append(Entry(number, ARRIVE, shooting_no))
    wb.close()
    return entries


@dataclass
class PreviewRow:
    entry: Entry
    capture: Capture | None = None
    reason: str = ""  # why a shooting number conflicts (NUMBER_REASONS)

    @property
    def reason_text(self):
        return NUMBER_REASONS.get(self.reason, "")


# Why a row's shooting number cannot be recorded.
NUMBER_REASONS = {
    "recorded": gettext_lazy("该生已登记了另一个拍摄号"),
    "taken": gettext_lazy("该拍摄号已登记给本场次的另一名学生"),
    "twice": gettext_lazy("签到表中两名学生写了同一个拍摄号"),
    "two_numbers": gettext_lazy("签到表中同一名学生写了两个拍摄号"),
    "not_photographed": gettext_lazy("写了拍摄号但未勾选“已拍”"),
    "invalid": gettext_lazy("拍摄号无效（不超过 30 个字符）"),
}


@dataclass
class Preview:
    changes: list = field(default_factory=list)  # will change
    unchanged: list = field(default_factory=list)  # recorded from paper already (a replay)
    at_door: list = field(default_factory=list)  # recorded at a door already: left alone
    unknown: list = field(default_factory=list)
    wrong_session: list = field(default_factory=list)
    exempt: list = field(default_factory=list)
    not_allowed: list = field(default_factory=list)  # absent, off-site, …
    numbers: list = field(default_factory=list)  # shooting numbers to record
    number_conflicts: list = field(default_factory=list)  # each with its `reason`

    @property
    def blocking(self):
        """Conflicts that stop the whole sheet (all or nothing)."""
        return (
            self.unknown
            + self.wrong_session
            + self.exempt
            + self.not_allowed
            + self.number_conflicts
        )


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


def _holders(session, rows):
    """{shooting number: capture ids} of the session's captures that hold one of the rows'
    numbers already: one query (none without numbers)."""
    wanted = {r.entry.shooting_no for r in rows}
    holders = {}
    if wanted:
        for pk, no in Capture.objects.filter(session=session, shooting_no__in=wanted).values_list(
            "pk", "shooting_no"
        ):
            holders.setdefault(no, set()).add(pk)
    return holders


def _check_numbers(session, preview, rows):
    """Sort the rows that carry a shooting number (in the session, not blocked otherwise)
    into `preview.numbers` (to record) and `preview.number_conflicts`."""
    holders = _holders(session, rows)
    on_sheet = {}
    for r in rows:
        on_sheet.setdefault(r.entry.shooting_no, set()).add(r.capture.pk)
    for r in rows:
        no, capture = r.entry.shooting_no, r.capture
        if r.entry.action != PHOTOGRAPH:
            r.reason = "not_photographed"
        elif len(no) > MAX_NUMBER or not no.isprintable():
            r.reason = "invalid"
        elif capture.shooting_no == no:
            continue  # recorded already (a replay, or the door had it)
        elif capture.shooting_no:
            r.reason = "recorded"
        elif len(on_sheet[no]) > 1:
            r.reason = "twice"
        elif holders.get(no, set()) - {capture.pk}:
            r.reason = "taken"
        if r.reason:
            preview.number_conflicts.append(r)
        else:
            preview.numbers.append(r)


def paper_preview(session, entries, *, lock=False):
    """What recording `entries` in `session` would do, in three queries at most."""
    found = _find(session, entries, lock=lock)
    preview, first, numbered = Preview(), {}, []
    for entry in entries:
        capture = found.get(entry.text)
        row = PreviewRow(entry, capture)
        if capture is not None and capture.pk in first:
            # One student named twice (number and pass): the first line counts, unless the
            # two lines give the student two different shooting numbers.
            earlier = first[capture.pk]
            if entry.shooting_no and entry.shooting_no != earlier.entry.shooting_no:
                row.reason = "two_numbers"
                preview.number_conflicts.append(row)
            continue
        if capture is not None:
            first[capture.pk] = row
        if capture is None:
            preview.unknown.append(row)
            continue
        if capture.session_id != session.pk:
            preview.wrong_session.append(row)
            continue
        if capture.status == S.EXEMPT:
            preview.exempt.append(row)
            continue
        if capture.status in DONE[entry.action]:
            if capture.status_station == PAPER_STATION:
                preview.unchanged.append(row)
            else:
                preview.at_door.append(row)
        elif capture.status in FROM[entry.action]:
            preview.changes.append(row)
        else:
            preview.not_allowed.append(row)
            continue
        if entry.shooting_no:
            numbered.append(row)
    twice = {r.capture.pk for r in preview.number_conflicts}
    _check_numbers(session, preview, [r for r in numbered if r.capture.pk not in twice])
    return preview


def paper_record(*, actor, session_id, entries):
    """Record a paper sheet in session `session_id`: every change of `paper_preview`, in
    one transaction, each timed at its student's window start, `source="paper"`; then the
    rows' shooting numbers (action "paper_shooting_no"), timed and sourced alike.

    Needs an office actor (the rules say so). Raises DomainError ``conflicts`` when any
    entry is unknown, of another session, exempt or not movable, or its shooting number
    conflicts (nothing is written), ``not_found`` for a missing session. Captures recorded
    at a door already, or by this sheet before, are left alone (a door photograph without a
    number takes the sheet's). Returns the number of captures moved."""
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

        def when(capture):
            slot = slots.get(capture.student.unit_id)
            return window_time(session, slot) if slot else None

        groups = {}
        for row in preview.changes:
            groups.setdefault((row.entry.action, when(row.capture)), []).append(row.capture.pk)
        moved = 0
        for (action, at), ids in sorted(groups.items(), key=lambda g: (g[0][0], str(g[0][1]))):
            count = captures_transition_many(
                actor=actor,
                capture_ids=ids,
                action=RULE_OF[action],
                occurred_at=at,
                station=PAPER_STATION,
                source=SOURCE,
            )
            if count != len(ids):
                # Cannot happen under the locks taken above; never half-apply if it does.
                raise DomainError(_("登记未能全部完成，未做任何登记。"), "conflicts")
            moved += count
        # Each number is its own row's value: one strict change a row, refused (and the
        # whole sheet rolled back) should anything have moved under the locks.
        for row in preview.numbers:
            capture_transition(
                actor=actor,
                capture_id=row.capture.pk,
                action="paper_shooting_no",
                shooting_no=row.entry.shooting_no,
                occurred_at=when(row.capture),
                station=PAPER_STATION,
                source=SOURCE,
            )
    return moved
