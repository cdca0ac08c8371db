"""The CHSI confirmation loop (issue 14, point 3): about 30–40 working days after the day
every student checks their photo in 学信档案 (学信网 → 学信档案 → 图像校对); a wrong or
missing photo is taken again.

* `chsi_record`: one student's state (已确认 / 有异议 + reason / 无图像), recorded by the
  office or the student's counsellor;
* `confirmation_import_preview` / `confirmation_import_commit`: the states as CHSI's
  platform or the units deliver them, a spreadsheet checked row by row, shown to the office,
  then applied whole (as the roster import: a file with errors stores nothing, the commit
  is all or nothing, a second commit changes nothing);
* `exception_recapture`, `exception_offsite`, `exception_resolve`: the exception queue's
  actions (who is in it: sessions.confirmation_selectors.exception_captures).

The CHSI state sits beside the capture status, not in it: recording it never moves the
status. Every change writes a `CaptureLog` row with the status unchanged (action "chsi"
or "resolve_issue"); a re-capture or off-site move goes through the one transition
function (sessions.services.captures) and is logged there.

A change of state to a problem (有异议, 无图像) re-opens an issue the office had resolved:
it is a new problem. The same state again (a file delivered twice) changes nothing.

Codes (DomainError): ``forbidden``, ``not_found``, ``campaign_closed``, ``invalid`` (an
unknown state, a reason too long), ``reason_required``, ``has_errors``, ``conflict``,
``no_issue`` (the student is not in the exception queue), ``other_campaign``, and those of
sessions.services.makeup.makeup_move_refusal (``not_makeup``, ``session_closed``) and of
the transition (``not_allowed``). A file as a whole: the codes of
`units.importing.ImportFileError` and ``no_header``, ``missing_column``, ``no_rows``,
``too_many_rows``.
"""

import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from capture_portal.exceptions import DomainError
from sessions.confirmation_selectors import HAS_PHOTO, PROBLEM_STATES, exception_captures
from sessions.models import (
    Campaign,
    Capture,
    CaptureLog,
    CaptureSession,
    ChsiState,
    ConfirmationImport,
)
from sessions.services.captures import CHUNK, RULES, capture_transition
from sessions.services.common import open_campaign
from sessions.services.makeup import makeup_move_refusal
from units import importing
from units.names import normalise_name
from units.selectors import may_act_for_unit

logger = logging.getLogger(__name__)
S = Capture.Status
SAMPLE = 200
REASON_MAX = Capture._meta.get_field("chsi_reason").max_length
RECORDABLE = (ChsiState.CONFIRMED, ChsiState.DISPUTED, ChsiState.NO_IMAGE)


@dataclass(frozen=True)
class ChsiResult:
    capture: Capture
    changed: bool


def _office_only(actor, message):
    if actor.device is not None or not actor.is_office:
        raise DomainError(message, "forbidden")


def _clean_reason(state, reason):
    """The reason as stored: required for 有异议, kept for 无图像, dropped for 已确认."""
    reason = " ".join((reason or "").split())
    if state == ChsiState.CONFIRMED:
        return ""
    if state == ChsiState.DISPUTED and not reason:
        raise DomainError(_("选择“有异议”时必须填写原因。"), "reason_required")
    if len(reason) > REASON_MAX:
        raise DomainError(_("原因不能超过 %(max)d 个字。") % {"max": REASON_MAX}, "invalid")
    return reason


def chsi_note(state, reason):
    """The log note of a CHSI state: its label, and the reason when there is one."""
    label = str(ChsiState(state).label)
    return (f"{label}：{reason}" if reason else label)[:200]


def _write_states(changes, *, actor, now, note_suffix=""):
    """Apply checked CHSI states under their row locks: `changes` is
    [(capture id, status, old state, new state, reason)], each a real change.

    Bulk statements, in chunks of CHUNK ids: one UPDATE per (state, with or without
    reason) group, the reasons themselves by one bulk_update per chunk, the re-opened
    issues by one UPDATE, and one log row per capture in one INSERT per chunk."""
    groups = defaultdict(list)
    reasons, reopen = [], []
    for pk, _status, old, state, reason in changes:
        groups[(state, bool(reason))].append(pk)
        if reason:
            reasons.append(Capture(pk=pk, chsi_reason=reason))
        if state in PROBLEM_STATES and old != state:
            reopen.append(pk)
    for (state, has_reason), ids in groups.items():
        fields = {"chsi_state": state, "chsi_at": now, "updated_at": now}
        if not has_reason:
            fields["chsi_reason"] = ""
        for i in range(0, len(ids), CHUNK):
            Capture.objects.filter(pk__in=ids[i : i + CHUNK]).update(**fields)
    if reasons:
        Capture.objects.bulk_update(reasons, ["chsi_reason"], batch_size=CHUNK)
    for i in range(0, len(reopen), CHUNK):
        Capture.objects.filter(pk__in=reopen[i : i + CHUNK]).update(
            issue_resolved_at=None, issue_note=""
        )
    CaptureLog.objects.bulk_create(
        (
            CaptureLog(
                capture_id=pk,
                action="chsi",
                from_status=status,
                to_status=status,
                actor_user=actor.user,
                actor_label=actor.label,
                occurred_at=now,
                recorded_at=now,
                note=(chsi_note(state, reason) + note_suffix)[:200],
            )
            for pk, status, _old, state, reason in changes
        ),
        batch_size=CHUNK,
    )


def _lock_capture(capture_id):
    """The capture, locked, with its student and campaign; refused when missing or its
    campaign has closed."""
    capture = (
        Capture.objects.select_for_update(of=("self",))
        .select_related("student", "campaign")
        .filter(pk=capture_id)
        .first()
    )
    if capture is None:
        raise DomainError(_("找不到该学生的采集记录。"), "not_found")
    if capture.campaign.status == Campaign.Status.CLOSED:
        raise DomainError(_("本次采集活动已结束，不能再修改。"), "campaign_closed")
    return capture


def chsi_record(*, actor, capture_id, state, reason=""):
    """Record a student's CHSI photo confirmation: `state` "confirmed", "disputed" (with a
    `reason`, required) or "no_image" (a reason optional). The office, or a counsellor of
    the student's unit.

    Locks the capture; sets its state, reason and time; writes one CaptureLog row (action
    "chsi", the status unchanged, the state and reason as the note). The same state and
    reason again changes nothing (``changed=False``). Raises DomainError ``invalid``,
    ``reason_required``, ``not_found``, ``campaign_closed``, ``forbidden``, ``no_photo``
    (confirmed or disputed for a student without a photo)."""
    if state not in RECORDABLE:
        raise DomainError(_("未知的校对状态。"), "invalid")
    reason = _clean_reason(state, reason)
    with transaction.atomic():
        capture = _lock_capture(capture_id)
        if not may_act_for_unit(actor, capture.student.unit_id):
            raise DomainError(_("您无权登记该学生的校对状态。"), "forbidden")
        if state != ChsiState.NO_IMAGE and capture.status not in HAS_PHOTO:
            # Confirmed or disputed is about a photo: a student without one has none.
            raise DomainError(
                _("这名学生当前状态为“%(status)s”，还没有照片可以校对。")
                % {"status": capture.get_status_display()},
                "no_photo",
            )
        if capture.chsi_state == state and capture.chsi_reason == reason:
            return ChsiResult(capture=capture, changed=False)
        now = timezone.now()
        _write_states(
            [(capture.pk, capture.status, capture.chsi_state, state, reason)],
            actor=actor,
            now=now,
        )
        if state in PROBLEM_STATES and capture.chsi_state != state:
            capture.issue_resolved_at, capture.issue_note = None, ""
        capture.chsi_state, capture.chsi_reason, capture.chsi_at = state, reason, now
    logger.info("capture %s chsi %s by %s", capture.pk, state, actor)
    return ChsiResult(capture=capture, changed=True)


# --- the import ---------------------------------------------------------------------------

HEADERS = {
    "student_no": ("学号", "studentnumber", "studentno", "student_no", "studentid"),
    "name": ("姓名", "name", "studentname"),
    "id_number": ("证件号码", "身份证号", "身份证号码", "idnumber", "idno"),
    "id_tail": ("证件号后四位", "身份证后四位", "证件号码后四位", "idlast4", "idtail"),
    "state": ("校对状态", "图像校对状态", "图像校对", "确认状态", "校对结果", "state", "status"),
    "reason": ("原因", "异议原因", "校对异议原因", "备注", "reason", "note"),
}
_ALIASES = {alias: fld for fld, aliases in HEADERS.items() for alias in aliases}
COLUMN_LABELS = {
    "student_no": gettext_lazy("学号"),
    "name": gettext_lazy("姓名"),
    "id_number": gettext_lazy("证件号码"),
    "id_tail": gettext_lazy("证件号后四位"),
    "state": gettext_lazy("校对状态"),
    "reason": gettext_lazy("原因"),
}
# Compared after NFKC, white space removed and lower-casing ("No image" is "noimage").
STATES = {
    "已确认": ChsiState.CONFIRMED,
    "确认": ChsiState.CONFIRMED,
    "confirmed": ChsiState.CONFIRMED,
    "有异议": ChsiState.DISPUTED,
    "异议": ChsiState.DISPUTED,
    "disputed": ChsiState.DISPUTED,
    "无图像": ChsiState.NO_IMAGE,
    "noimage": ChsiState.NO_IMAGE,
    "no_image": ChsiState.NO_IMAGE,
}


def _key(value):
    return re.sub(r"\s+", "", importing.normalise(value)).lower()


@dataclass
class ParsedConfirmation:
    rows: list = field(default_factory=list)  # [capture id, state, reason]
    errors: list = field(default_factory=list)  # importing.RowError
    data_rows: int = 0
    duplicates: int = 0  # the same student again with the same state: counted once


@dataclass
class ConfirmationPreview:
    parsed: ParsedConfirmation
    upload: ConfirmationImport | None  # stored only when the file has no errors


class _Roster:
    """The campaign's students as the file names them: by student number, and by the last
    4 characters of the ID number with the name. One query."""

    def __init__(self, campaign_id):
        self.by_number = {}
        self.by_tail = defaultdict(list)
        self.current = {}
        for pk, number, name, key, tail, state, reason in (
            Capture.objects.filter(campaign_id=campaign_id, student__withdrawn=False)
            .values_list(
                "pk",
                "student__student_no",
                "student__name",
                "student__name_key",
                "student__id_tail",
                "chsi_state",
                "chsi_reason",
            )
            .iterator(chunk_size=5000)
        ):
            self.by_number[number] = (pk, key)
            if tail:
                self.by_tail[(tail.upper(), key)].append(pk)
            self.current[pk] = (number, name, state, reason)


def _find_header(rows_iter):
    """(row number, {field: column index}) of the header row, skipping title rows."""
    best = None
    for number, cells in enumerate(rows_iter, start=1):
        found = {}
        for index, cell in enumerate(cells or ()):
            fld = _ALIASES.get(_key(cell))
            if fld and fld not in found:
                found[fld] = index
        names_student = "student_no" in found or (
            "name" in found and ("id_tail" in found or "id_number" in found)
        )
        if "state" in found and names_student:
            return number, found
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (number, found)
        if number >= importing.HEADER_SEARCH_ROWS:
            break
    if best is not None:
        raise DomainError(
            _(
                "第 %(row)d 行的表头缺少必需的列：需要“校对状态”，以及“学号”"
                "（或“证件号后四位”和“姓名”）。"
            )
            % {"row": best[0]},
            "missing_column",
        )
    raise DomainError(
        _(
            "在前 %(n)d 行中没有找到表头（需要“学号”或“证件号后四位”+“姓名”，"
            "以及“校对状态”“原因”列）。"
        )
        % {"n": importing.HEADER_SEARCH_ROWS},
        "no_header",
    )


def _check_row(number, cells, columns, roster, errors):
    """One data row: ([capture id, state, reason]) or None, its errors appended."""
    failed = set()

    def cell(fld):
        index = columns.get(fld)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    def fail(fld, message):
        if fld not in failed:  # one error per cell: the first found
            failed.add(fld)
            errors.append(importing.RowError(number, str(COLUMN_LABELS[fld]), str(message)))

    for fld in COLUMN_LABELS:
        value = cell(fld)
        if isinstance(value, str) and importing.CONTROL_RE.search(value.strip()):
            fail(fld, _("含有控制字符（如换行符、制表符或不可见字符）；请删除后重新填写。"))
    name = importing.normalise(cell("name"))
    capture_id = None
    raw_no = cell("student_no")
    if raw_no not in (None, "") and "student_no" not in failed:
        try:
            student_no = importing._number_text(raw_no, _("学号"))
        except ValueError as exc:
            fail("student_no", exc)
        else:
            found = roster.by_number.get(student_no)
            if found is None:
                fail("student_no", _("学号 %(no)s 不在本次采集的名单中。") % {"no": student_no})
            elif name and normalise_name(name) != found[1] and "name" not in failed:
                fail(
                    "name",
                    _("姓名“%(name)s”与学号 %(no)s 不符。") % {"name": name, "no": student_no},
                )
            else:
                capture_id = found[0]
    elif "student_no" not in failed:
        tail = None
        raw_id = cell("id_number")
        raw_tail = cell("id_tail")
        try:
            if raw_id not in (None, ""):
                id_number = importing._number_text(raw_id, _("证件号码")).upper().replace(" ", "")
                # Only the last 4 characters are used; the full number is never stored.
                tail = id_number[-4:] if len(id_number) >= 4 else None
            elif raw_tail not in (None, ""):
                tail = importing._number_text(raw_tail, _("证件号后四位")).upper()
                if isinstance(raw_tail, int | float) and len(tail) < 4:
                    tail = tail.zfill(4)  # Excel dropped the leading zeros of "0123".
        except ValueError as exc:
            fail("id_tail", exc)
        if failed & {"id_tail", "id_number", "name"}:
            pass
        elif raw_id not in (None, "") and tail is None:
            fail("id_number", _("证件号码格式不正确。"))
        elif not name or not tail:
            fail("student_no", _("学号为空时，须填写证件号后四位和姓名。"))
        elif not importing.ID_TAIL_RE.match(tail):
            fail("id_tail", _("证件号后四位应为 4 个数字或字母。"))
        else:
            matches = roster.by_tail.get((tail, normalise_name(name)), [])
            if not matches:
                fail(
                    "id_tail",
                    _("名单中没有证件号后四位为 %(tail)s、姓名为“%(name)s”的学生。")
                    % {"tail": tail, "name": name},
                )
            elif len(matches) > 1:
                fail(
                    "id_tail",
                    _("证件号后四位 %(tail)s 和姓名“%(name)s”对应 %(n)d 名学生，请改填学号。")
                    % {"tail": tail, "name": name, "n": len(matches)},
                )
            else:
                capture_id = matches[0]

    raw_state = importing.normalise(cell("state"))
    state = STATES.get(_key(raw_state)) if raw_state else None
    if "state" in failed:
        pass
    elif not raw_state:
        fail("state", _("不能为空。"))
    elif state is None:
        fail(
            "state",
            _("无法识别的校对状态“%(value)s”（应为：已确认、有异议、无图像）。")
            % {"value": raw_state[:40]},
        )
    reason = ""
    if "reason" not in failed:
        reason = " ".join(importing.normalise(cell("reason")).split())
        if len(reason) > REASON_MAX:
            fail("reason", _("超过 %(max)d 个字符。") % {"max": REASON_MAX})
        elif state == ChsiState.DISPUTED and not reason:
            fail("reason", _("校对状态为“有异议”时必须填写原因。"))
    if failed or capture_id is None or state is None:
        return None
    return [capture_id, str(state), "" if state == ChsiState.CONFIRMED else reason]


def _parse(data, campaign_id):
    try:
        rows_iter = iter(importing.read_rows(data))
        header_row, columns = _find_header(rows_iter)
        roster = _Roster(campaign_id)
        result = ParsedConfirmation()
        seen = {}  # capture id -> (row number, state)
        for number, cells in enumerate(rows_iter, start=header_row + 1):
            if not cells or all(c is None or importing.normalise(c) == "" for c in cells):
                continue
            result.data_rows += 1
            if result.data_rows > importing.MAX_ROWS:
                raise DomainError(
                    _("文件超过 %(max)d 行的上限；请分批导入。") % {"max": importing.MAX_ROWS},
                    "too_many_rows",
                )
            row = _check_row(number, cells, columns, roster, result.errors)
            if row is None:
                continue
            first = seen.get(row[0])
            if first is not None:
                if first[1] != row[1]:
                    result.errors.append(
                        importing.RowError(
                            number,
                            str(COLUMN_LABELS["state"]),
                            _("与第 %(row)d 行是同一名学生，但校对状态不同。") % {"row": first[0]},
                        )
                    )
                else:
                    result.duplicates += 1
                continue
            seen[row[0]] = (number, row[1])
            result.rows.append(row)
    except importing.ImportFileError as exc:
        raise DomainError(exc.message, exc.code) from None
    if result.data_rows == 0:
        raise DomainError(_("表头下面没有任何数据。"), "no_rows")
    return result, roster


def _summary(rows, roster, data_rows, duplicates):
    counts = dict.fromkeys(RECORDABLE, 0)
    changed, problems = 0, []
    for pk, state, reason in rows:
        counts[state] += 1
        number, name, old_state, old_reason = roster.current[pk]
        if (old_state, old_reason) != (state, reason):
            changed += 1
        if state in PROBLEM_STATES and len(problems) < SAMPLE:
            problems.append([number, name, state, reason])
    return {
        "rows": data_rows,
        "students": len(rows),
        "duplicates": duplicates,
        **{str(state): n for state, n in counts.items()},
        "changed": changed,
        "unchanged": len(rows) - changed,
        "problems": counts[ChsiState.DISPUTED] + counts[ChsiState.NO_IMAGE],
        "problem_sample": problems,
    }


def confirmation_import_preview(*, actor, campaign_id, file_name, data):
    """Check a CHSI confirmation file against the campaign's roster, writing nothing to the
    captures.

    Columns: 学号, or 证件号后四位 (or 证件号码, of which only the last 4 characters are
    used) with 姓名 when the number is missing; 校对状态 (已确认 / 有异议 / 无图像, or
    confirmed / disputed / no image); 原因 (required for 有异议). Every row is checked: an
    unknown student, an ambiguous ID tail and name, an unknown state, 有异议 without a
    reason, one student twice with different states are errors with their row number.

    A file without errors is kept as a `ConfirmationImport` awaiting the commit; with
    errors nothing at all is stored. Office only. Raises DomainError for an unusable file
    (its code) and ``forbidden``, ``not_found``, ``campaign_closed``."""
    _office_only(actor, _("只有研究生学院工作人员可以导入图像校对结果。"))
    campaign = open_campaign(
        campaign_id, closed_message=_("本次采集活动已结束，不能再导入图像校对结果。")
    )
    parsed, roster = _parse(data, campaign.pk)
    if parsed.errors:
        return ConfirmationPreview(parsed=parsed, upload=None)
    upload = ConfirmationImport.objects.create(
        campaign=campaign,
        file_name=(file_name or "")[:200],
        rows=parsed.rows,
        sha256=hashlib.sha256(data).hexdigest(),
        summary=_summary(parsed.rows, roster, parsed.data_rows, parsed.duplicates),
        uploaded_by=actor.user,
    )
    logger.info("confirmation import %s previewed: %s rows", upload.pk, parsed.data_rows)
    return ConfirmationPreview(parsed=parsed, upload=upload)


@dataclass
class ConfirmationResult:
    upload: ConfirmationImport
    changed: bool
    updated: int = 0


def confirmation_import_commit(*, actor, import_id):
    """Apply a previewed confirmation file, all or nothing, in one transaction.

    The captures are locked (by primary key, in chunks of CHUNK) and compared again: a row
    whose state and reason are already there is left alone; the others are written in bulk
    with one CaptureLog row each. Committing twice changes nothing the second time
    (``changed=False``). Office only. Raises DomainError ``forbidden``, ``not_found``,
    ``campaign_closed``, ``has_errors`` (a student of the file left the campaign since the
    preview), ``conflict``."""
    _office_only(actor, _("只有研究生学院工作人员可以导入图像校对结果。"))
    try:
        with transaction.atomic():
            upload = ConfirmationImport.objects.select_for_update().filter(pk=import_id).first()
            if upload is None:
                raise DomainError(_("找不到这次导入。"), "not_found")
            if upload.status == ConfirmationImport.Status.COMMITTED:
                return ConfirmationResult(upload=upload, changed=False)
            campaign = open_campaign(
                upload.campaign_id,
                lock=True,
                closed_message=_("本次采集活动已结束，不能再导入图像校对结果。"),
            )
            wanted = {pk: (state, reason) for pk, state, reason in upload.rows}
            ids = sorted(wanted)
            changes, found = [], 0
            for i in range(0, len(ids), CHUNK):
                for pk, status, old, old_reason in (
                    Capture.objects.select_for_update()
                    .filter(pk__in=ids[i : i + CHUNK], campaign_id=campaign.pk)
                    .order_by("pk")
                    .values_list("pk", "status", "chsi_state", "chsi_reason")
                ):
                    found += 1
                    state, reason = wanted[pk]
                    if (old, old_reason) != (state, reason):
                        changes.append((pk, status, old, state, reason))
            if found != len(ids):
                raise DomainError(
                    _("有 %(n)d 名学生已不在本次采集的名单中，未导入任何数据；请重新上传。")
                    % {"n": len(ids) - found},
                    "has_errors",
                )
            now = timezone.now()
            _write_states(
                changes,
                actor=actor,
                now=now,
                note_suffix=_("（导入 #%(id)d）") % {"id": upload.pk},
            )
            upload.status = ConfirmationImport.Status.COMMITTED
            upload.committed_by = actor.user
            upload.committed_at = now
            upload.summary = {**upload.summary, "updated": len(changes)}
            upload.rows = []  # applied; the captures now hold them
            upload.save(update_fields=["status", "committed_by", "committed_at", "summary", "rows"])
    except IntegrityError:
        raise DomainError(
            _("导入时数据被同时修改，未导入任何数据；请重新上传。"), "conflict"
        ) from None
    logger.info(
        "confirmation import %s committed by %s: %d changed", upload.pk, actor, len(changes)
    )
    return ConfirmationResult(upload=upload, changed=True, updated=len(changes))


# --- the exception queue ----------------------------------------------------------------------


@dataclass(frozen=True)
class IssueResult:
    capture: Capture
    changed: bool


def _open_issue(capture):
    """Refuse a capture that is not in the exception queue (``no_issue``)."""
    if not exception_captures(capture.campaign).filter(pk=capture.pk).exists():
        raise DomainError(_("该学生不在图像校对异常名单中。"), "no_issue")


def _resolve(capture, note, now):
    Capture.objects.filter(pk=capture.pk).update(
        issue_resolved_at=now, issue_note=note[:200], updated_at=now
    )
    capture.issue_resolved_at, capture.issue_note = now, note[:200]


def _join(*parts):
    return "；".join(p for p in parts if p)


def exception_recapture(*, actor, capture_id, session_id, note=""):
    """Schedule a re-capture: the student goes back to "expected" in the open make-up
    session `session_id` of their campaign (the transition "recapture", or "makeup" for a
    student who was absent or off-site), and the issue is marked resolved with
    "已安排补拍 <date place>". The CHSI state stays as reported. Office only.

    Repeating it for the same session changes nothing (``changed=False``). Raises
    DomainError ``forbidden``, ``not_found``, ``not_makeup``, ``session_closed``,
    ``campaign_closed``, ``other_campaign``, ``no_issue``, ``not_allowed``."""
    _office_only(actor, _("只有研究生学院工作人员可以安排补拍。"))
    note = " ".join((note or "").split())
    with transaction.atomic():
        # The session first, as a make-up move locks it (sessions.services.makeup).
        session = (
            CaptureSession.objects.select_for_update(of=("self",))
            .select_related("campaign")
            .filter(pk=session_id)
            .first()
        )
        if session is None:
            raise DomainError(_("找不到该补拍场次。"), "not_found")
        refusal = makeup_move_refusal(session)
        if refusal is not None:
            raise refusal
        capture = _lock_capture(capture_id)
        if capture.campaign_id != session.campaign_id:
            raise DomainError(_("该补拍场次不属于这名学生的采集活动。"), "other_campaign")
        if (
            capture.issue_resolved_at is not None
            and capture.session_id == session.pk
            and capture.status == S.EXPECTED
        ):
            return IssueResult(capture=capture, changed=False)
        _open_issue(capture)
        scheduled = _("已安排补拍：%(date)s %(place)s") % {
            "date": f"{session.date:%Y-%m-%d}",
            "place": " ".join(p for p in (session.campus, session.place) if p),
        }
        action = "makeup" if capture.status in RULES["makeup"].sources else "recapture"
        result = capture_transition(
            actor=actor,
            capture_id=capture.pk,
            action=action,
            note=_join(problem_note(capture), note)[:200],
            session_id=session.pk,
        )
        _resolve(result.capture, _join(scheduled, note), timezone.now())
        capture = result.capture
    logger.info("capture %s: re-capture in session %s by %s", capture.pk, session.pk, actor)
    return IssueResult(capture=capture, changed=True)


def problem_note(capture):
    """Why the student is in the queue, for the log of the step that deals with it."""
    if capture.chsi_state:
        return _("学信网图像校对：%(state)s") % {
            "state": chsi_note(capture.chsi_state, capture.chsi_reason)
        }
    return _("学信网图像校对：截止日期前未确认")


def exception_offsite(*, actor, capture_id, note=""):
    """Send the student to off-site capture at a Xinhua centre instead (the transition
    "recapture_offsite"; "send_offsite" for one still expected or absent), and mark the
    issue resolved ("已转分散采集"). The off-site reason is `note`, else the CHSI problem.
    Office only. A repeat changes nothing (``changed=False``). Raises DomainError
    ``forbidden``, ``not_found``, ``campaign_closed``, ``no_issue``, ``not_allowed``."""
    _office_only(actor, _("只有研究生学院工作人员可以安排分散采集。"))
    note = " ".join((note or "").split())
    with transaction.atomic():
        capture = _lock_capture(capture_id)
        if capture.issue_resolved_at is not None and capture.status == S.OFFSITE:
            return IssueResult(capture=capture, changed=False)
        _open_issue(capture)
        action = (
            "send_offsite"
            if capture.status in RULES["send_offsite"].sources
            else "recapture_offsite"
        )
        result = capture_transition(
            actor=actor,
            capture_id=capture.pk,
            action=action,
            note=(note or problem_note(capture))[:200],
        )
        _resolve(result.capture, _join(_("已转分散采集"), note), timezone.now())
        capture = result.capture
    logger.info("capture %s: sent off-site from the exception queue by %s", capture.pk, actor)
    return IssueResult(capture=capture, changed=True)


def exception_resolve(*, actor, capture_id, note):
    """Mark a student's issue resolved without a new photo (e.g. CHSI corrected it, the
    student confirmed late), with a required `note`. Writes the resolution and one
    CaptureLog row (action "resolve_issue", the status unchanged). Office only. A repeat
    changes nothing (``changed=False``). Raises DomainError ``forbidden``,
    ``reason_required``, ``not_found``, ``campaign_closed``, ``no_issue``."""
    _office_only(actor, _("只有研究生学院工作人员可以处理异常。"))
    note = " ".join((note or "").split())
    if not note:
        raise DomainError(_("标记为已处理必须填写说明。"), "reason_required")
    with transaction.atomic():
        capture = _lock_capture(capture_id)
        if capture.issue_resolved_at is not None:
            return IssueResult(capture=capture, changed=False)
        _open_issue(capture)
        now = timezone.now()
        _resolve(capture, note, now)
        CaptureLog.objects.create(
            capture_id=capture.pk,
            action="resolve_issue",
            from_status=capture.status,
            to_status=capture.status,
            actor_user=actor.user,
            actor_label=actor.label,
            occurred_at=now,
            note=_join(problem_note(capture), note)[:200],
        )
    logger.info("capture %s: issue resolved by %s", capture.pk, actor)
    return IssueResult(capture=capture, changed=True)
