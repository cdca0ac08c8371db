"""Corrections, exemptions and attention notes (issue 14, DESIGN.md §4).

Status changes go through the one transition function (sessions.services.captures): a
correction is `capture_correct`, an exemption `capture_exempt` / `captures_transition_many`
("exempt"), a shooting number `shooting_no_correct`. What this module adds around them:

- the exemption reasons the office chooses from (EXEMPT_REASONS; "其他" needs a text);
- undoing an exemption: back to the status the exemption came from, as a correction;
- the attention note (学籍异动, a name to check) that the doors show at every scan: it is
  not a status, so it is written here, under the capture's row lock, with a CaptureLog row
  ("attention", the status unchanged) so that the history shows who set it and when;
- bulk exemptions and notes from a pasted list of student numbers, all or nothing;
- counsellors' correction requests, which the office approves (applied through
  `capture_correct`, refused as ``stale`` when the capture moved since) or rejects.

Codes: ``forbidden``, ``not_found``, ``campaign_closed``, ``reason_required``, ``invalid``,
``empty``, ``too_many``, ``not_allowed``, ``not_exempt``, ``stale``, ``decided``.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from capture_portal.exceptions import DomainError
from sessions.corrections_selectors import (
    BULK_ACTIONS,
    BULK_EXEMPT,
    BULK_NOTE,
    bulk_already,
    captures_by_number,
    exempted_from,
    parse_student_numbers,
)
from sessions.models import Campaign, Capture, CaptureLog, CorrectionRequest
from sessions.services.captures import (
    TransitionResult,
    capture_correct,
    capture_exempt,
    captures_transition_many,
)
from sessions.services.common import open_campaign
from units.importing import CONTROL_RE
from units.selectors import may_act_for_unit

logger = logging.getLogger(__name__)
S = Capture.Status

# The reasons an exemption is given for; "其他" (other) needs the office's own words.
# Stored in the log as the Chinese words (data); shown translated (gettext_noop marks them).
EXEMPT_REASONS = (
    gettext_noop("已有毕业图像"),
    gettext_noop("延期毕业"),
    gettext_noop("学籍异动"),
    gettext_noop("其他"),
)
EXEMPT_OTHER = "其他"
NOTE_MAX = Capture._meta.get_field("attention_note").max_length
REASON_MAX = CorrectionRequest._meta.get_field("reason").max_length
CLEARED = "清除提醒"  # the log note of a cleared attention note
NOTE_CHUNK = 5_000  # rows per statement when notes are set in bulk


def _office_only(actor, message):
    if actor.device is not None or not actor.is_office:
        raise DomainError(message, "forbidden")


def _closed_message():
    return _("本次采集活动已结束，不能再修改。")


def exempt_reason(choice, other=""):
    """The reason an exemption is logged with: one of EXEMPT_REASONS, "其他" with the
    office's own words ("其他：…"). Raises DomainError ``reason_required`` or ``invalid``."""
    choice, other = (choice or "").strip(), " ".join((other or "").split())
    if not choice:
        raise DomainError(_("请选择免采原因。"), "reason_required")
    if choice not in EXEMPT_REASONS:
        raise DomainError(_("未知的免采原因。"), "invalid")
    if choice != EXEMPT_OTHER:
        return choice
    if not other:
        raise DomainError(_("选择“其他”时请填写具体原因。"), "reason_required")
    return f"{EXEMPT_OTHER}：{other}"[:200]


def clean_note(note):
    """An attention note as stored: white space collapsed, at most NOTE_MAX characters,
    no control characters. Raises DomainError ``invalid``."""
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise DomainError(_("提醒事项不能超过 %(max)d 个字符。") % {"max": NOTE_MAX}, "invalid")
    if CONTROL_RE.search(note):
        raise DomainError(_("提醒事项含有不可见字符。"), "invalid")
    return note


# --- per student ---------------------------------------------------------------------------


def capture_exempt_listed(*, actor, capture_id, choice, other=""):
    """Exempt one student with a reason from EXEMPT_REASONS (see `exempt_reason`), through
    the one transition function. Office only. Exempting twice changes nothing."""
    return capture_exempt(actor=actor, capture_id=capture_id, reason=exempt_reason(choice, other))


def capture_exempt_undo(*, actor, capture_id, reason):
    """Undo an exemption: the capture goes back to the status the exemption found (the
    latest step into "exempt"), as an office correction with a required reason.

    Codes: ``forbidden``, ``reason_required``, ``not_found``, ``not_exempt`` (not exempt
    now; also a second click after the undo), and those of `capture_correct`."""
    _office_only(actor, _("只有研究生学院工作人员可以撤销免采。"))
    if not (reason or "").strip():
        raise DomainError(_("撤销免采必须填写原因。"), "reason_required")
    with transaction.atomic():
        # Locked first, so that the status and its history read below stay as they are
        # until the correction (which locks the same row again) is written.
        capture = Capture.objects.select_for_update().filter(pk=capture_id).first()
        if capture is None:
            raise DomainError(_("找不到该学生的采集记录。"), "not_found")
        if capture.status != S.EXEMPT:
            raise DomainError(_("这名学生现在不是免采状态。"), "not_exempt")
        back_to = exempted_from(capture.pk) or S.EXPECTED
        return capture_correct(
            actor=actor,
            capture_id=capture.pk,
            to_status=back_to,
            reason=_("撤销免采：%(reason)s") % {"reason": reason.strip()},
        )


def _note_log(capture, actor, note, now):
    return CaptureLog(
        capture_id=capture.pk,
        action="attention",
        from_status=capture.status,
        to_status=capture.status,
        actor_user=actor.user,
        actor_device=actor.device,
        actor_label=actor.label,
        occurred_at=now,
        recorded_at=now,
        note=(note or CLEARED)[:200],
    )


def capture_set_attention(*, actor, capture_id, note):
    """Set (or, with an empty `note`, clear) a capture's attention note, which the doors
    show at every scan until the operator confirms it. Locks the capture, writes the note
    and a CaptureLog row ("attention", the status unchanged, the new note or "清除提醒").
    Setting the same note again writes nothing (``changed=False``). Office only.

    Codes: ``forbidden``, ``invalid``, ``not_found``, ``campaign_closed``."""
    _office_only(actor, _("只有研究生学院工作人员可以设置提醒事项。"))
    note = clean_note(note)
    with transaction.atomic():
        capture = (
            Capture.objects.select_for_update(of=("self",))
            .select_related("campaign")
            .filter(pk=capture_id)
            .first()
        )
        if capture is None:
            raise DomainError(_("找不到该学生的采集记录。"), "not_found")
        if capture.campaign.status == Campaign.Status.CLOSED:
            raise DomainError(_closed_message(), "campaign_closed")
        if capture.attention_note == note:
            return TransitionResult(capture=capture, changed=False)
        now = timezone.now()
        capture.attention_note = note
        capture.save(update_fields=["attention_note", "updated_at"])
        log = _note_log(capture, actor, note, now)
        log.save()
    return TransitionResult(capture=capture, changed=True, log=log)


def _write_notes(captures, actor, note, now):
    """Set `note` on `captures` (locked, all needing it): one UPDATE, one INSERT of the
    log rows."""
    if not captures:
        return 0
    Capture.objects.filter(pk__in=[c.pk for c in captures]).update(
        attention_note=note, updated_at=now
    )
    CaptureLog.objects.bulk_create(_note_log(c, actor, note, now) for c in captures)
    return len(captures)


def _notes_many(actor, captures, note):
    """Set one note on many locked captures, in chunks; those that have it already are
    left alone. Returns how many changed."""
    now = timezone.now()
    todo = sorted((c for c in captures if c.attention_note != note), key=lambda c: c.pk)
    changed = 0
    for i in range(0, len(todo), NOTE_CHUNK):
        changed += _write_notes(todo[i : i + NOTE_CHUNK], actor, note, now)
    return changed


def attention_notes_from_roster(*, actor, campaign_id, rows):
    """At a roster import's commit (inside its transaction): the non-empty 备注 / 学籍异动
    cells of `rows` (units.importing.RosterRow) become their captures' attention notes; a
    changed note is logged ("attention"), an unchanged or empty one is left alone. Returns
    how many notes changed."""
    wanted = {r.student_no: r.note for r in rows if getattr(r, "note", None)}
    if not wanted:
        return 0
    found = captures_by_number(campaign_id, list(wanted), lock=True)
    by_note = {}
    for number, capture in found.items():
        by_note.setdefault(wanted[number], []).append(capture)
    return sum(_notes_many(actor, captures, note) for note, captures in by_note.items())


# --- in bulk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    found: int
    unknown: int
    changed: int


def captures_bulk_apply(*, actor, campaign_id, numbers_text, action, text=""):
    """Apply one action to the campaign's students named in a pasted list of student
    numbers (sessions.corrections_selectors.parse_student_numbers): "exempt" (with `text`,
    the reason from `exempt_reason`), "note" (set the note `text`) or "clear_note". All or
    nothing, in one transaction: exemptions through `captures_transition_many`, notes as
    `capture_set_attention` does, each with its log row. Students already in that state
    are left alone, so confirming twice changes nothing the second time. Numbers not on
    the roster are counted, not refused. Office only.

    Codes: ``forbidden``, ``invalid``, ``empty``, ``too_many``, ``reason_required``,
    ``not_found``, ``campaign_closed``."""
    _office_only(actor, _("只有研究生学院工作人员可以批量处理。"))
    if action not in BULK_ACTIONS:
        raise DomainError(_("未知操作。"), "invalid")
    numbers = parse_student_numbers(numbers_text)
    if action == BULK_EXEMPT and not (text or "").strip():
        raise DomainError(_("免采必须填写原因。"), "reason_required")
    if action == BULK_NOTE:
        text = clean_note(text)
        if not text:
            raise DomainError(_("请填写提醒事项。"), "reason_required")
    with transaction.atomic():
        # The campaign's lock: a bulk change and the campaign's closing do not interleave.
        campaign = open_campaign(campaign_id, lock=True, closed_message=_closed_message())
        found = captures_by_number(campaign.pk, numbers, lock=True)
        captures = [c for c in found.values() if not bulk_already(action, c, text)]
        if action == BULK_EXEMPT:
            changed = captures_transition_many(
                actor=actor,
                capture_ids=sorted(c.pk for c in captures),
                action="exempt",
                note=text.strip(),
            )
        else:
            changed = _notes_many(actor, captures, text if action == BULK_NOTE else "")
    logger.info("bulk %s on campaign %s by %s: %d changed", action, campaign_id, actor, changed)
    return BulkResult(found=len(found), unknown=len(numbers) - len(found), changed=changed)


# --- counsellors' requests -----------------------------------------------------------------


def correction_request_create(*, actor, capture_id, to_status, reason):
    """A counsellor asks the office to move a capture of their unit to `to_status`, with a
    reason: a pending CorrectionRequest that remembers the status it was asked from. The
    same pending request sent twice (a double click) is created once. The office or the
    unit's counsellor. Returns (request, created).

    Codes: ``not_found``, ``forbidden``, ``campaign_closed``, ``reason_required``,
    ``invalid``, ``not_allowed`` (the capture is in that status already)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("申请更正必须填写原因。"), "reason_required")
    if len(reason) > REASON_MAX:
        raise DomainError(_("原因不能超过 %(max)d 个字符。") % {"max": REASON_MAX}, "invalid")
    if to_status not in S.values:
        raise DomainError(_("未知的状态。"), "invalid")
    with transaction.atomic():
        capture = (
            Capture.objects.select_for_update(of=("self",))
            .select_related("student", "campaign")
            .filter(pk=capture_id)
            .first()
        )
        if capture is None:
            raise DomainError(_("找不到该学生的采集记录。"), "not_found")
        if not may_act_for_unit(actor, capture.student.unit_id):
            raise DomainError(_("您无权对该学生执行此操作。"), "forbidden")
        if capture.campaign.status == Campaign.Status.CLOSED:
            raise DomainError(_closed_message(), "campaign_closed")
        if capture.status == to_status:
            raise DomainError(
                _("这名学生现在已经是“%(status)s”。") % {"status": capture.get_status_display()},
                "not_allowed",
            )
        same = CorrectionRequest.objects.filter(
            capture=capture,
            status=CorrectionRequest.Status.PENDING,
            from_status=capture.status,
            to_status=to_status,
            reason=reason,
        ).first()
        if same is not None:
            return same, False
        if CorrectionRequest.objects.filter(
            capture=capture, status=CorrectionRequest.Status.PENDING
        ).exists():
            # One open question per student: a second would be refused as stale anyway
            # once the first is approved.
            raise DomainError(
                _("这名学生已有一条待审批的更正申请；请等研究生学院处理后再提交。"), "pending"
            )
        request = CorrectionRequest.objects.create(
            capture=capture,
            from_status=capture.status,
            to_status=to_status,
            reason=reason,
            requested_by=actor.user,
        )
    logger.info("correction request %s for capture %s by %s", request.pk, capture_id, actor)
    return request, True


def _requester(request):
    user = request.requested_by
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def correction_request_decide(*, actor, request_id, approve, note=""):
    """The office approves or rejects a pending correction request.

    Approving applies `capture_correct` with the reason "申请人: … 原因: …", but only when
    the capture is still in the status the request was made from (``stale`` otherwise: the
    counsellor asks again if still needed). Rejecting needs a note (``reason_required``).
    Deciding again the same way changes nothing (``changed=False``); the other way is
    refused (``decided``). Returns (request, changed).

    Codes: ``forbidden``, ``not_found``, ``reason_required``, ``stale``, ``decided``, and
    those of `capture_correct` (``campaign_closed``)."""
    _office_only(actor, _("只有研究生学院工作人员可以审批更正申请。"))
    note = " ".join((note or "").split())[:200]
    if not approve and not note:
        raise DomainError(_("驳回必须填写说明。"), "reason_required")
    wanted = CorrectionRequest.Status.APPROVED if approve else CorrectionRequest.Status.REJECTED
    with transaction.atomic():
        request = (
            CorrectionRequest.objects.select_for_update(of=("self",))
            .select_related("requested_by")
            .filter(pk=request_id)
            .first()
        )
        if request is None:
            raise DomainError(_("找不到这条更正申请。"), "not_found")
        if request.status == wanted:
            return request, False
        if request.status != CorrectionRequest.Status.PENDING:
            raise DomainError(
                _("这条申请已处理（%(status)s）。") % {"status": request.get_status_display()},
                "decided",
            )
        if approve:
            capture = Capture.objects.select_for_update().filter(pk=request.capture_id).first()
            if capture.status != request.from_status:
                raise DomainError(
                    _(
                        "申请提交后这名学生的状态已变为“%(status)s”，不能按原申请更正；请驳回或让申请人重新提交。"
                    )
                    % {"status": capture.get_status_display()},
                    "stale",
                )
            capture_correct(
                actor=actor,
                capture_id=capture.pk,
                to_status=request.to_status,
                reason=_("申请人: %(who)s 原因: %(reason)s")
                % {"who": _requester(request), "reason": request.reason},
            )
        request.status = wanted
        request.decided_by = actor.user
        request.decided_at = timezone.now()
        request.decision_note = note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    logger.info("correction request %s %s by %s", request.pk, request.status, actor)
    return request, True
