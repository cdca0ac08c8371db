"""Roster import: check a file, show the office what would change, then apply it whole.

Codes raised (DomainError): the file-level codes of `units.importing.ImportFileError`
(``empty``, ``too_large``, ``corrupt``, ``xls``, ``unsupported_format``, ``nul_character``,
``encoding``, ``no_header``, ``missing_column``, ``no_rows``, ``too_many_rows``), and ``forbidden``,
``not_found``, ``campaign_closed``, ``has_errors``, ``conflict``.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.history import already_photographed_summary
from sessions.models import Capture, RosterImport
from sessions.services.assignment import captures_assign_sessions
from sessions.services.common import open_campaign
from sessions.services.corrections import attention_notes_from_roster
from units import importing
from units.models import Student, TrainingUnit

logger = logging.getLogger(__name__)
SAMPLE = 200
MAX_ERRORS_SHOWN = 500


@dataclass
class RosterPreview:
    parsed: importing.ParsedRoster
    plan: importing.ImportPlan | None
    upload: RosterImport | None  # stored only when the file has no errors


def _require_office(actor):
    if not actor.is_office:
        raise DomainError(_("只有研究生学院工作人员可以导入名单。"), "forbidden")


def _open_campaign(campaign_id, *, lock=False):
    return open_campaign(
        campaign_id, lock=lock, closed_message=_("本次采集活动已结束，不能再导入名单。")
    )


def _parse(data, progress=None):
    try:
        return importing.parse_roster(data, progress=progress)
    except importing.ImportFileError as exc:
        raise DomainError(exc.message, exc.code) from None


def _summary(row_count, plan):
    return {
        "rows": row_count,
        "create": len(plan.create),
        "update": len(plan.update),
        "unchanged": plan.unchanged,
        "missing": len(plan.missing),
        "create_sample": [[r.student_no, r.name] for r in plan.create[:SAMPLE]],
        "update_sample": [
            [s.student_no, s.name, sorted(changes)] for s, changes in plan.update[:SAMPLE]
        ],
        "missing_sample": [list(m[1:]) for m in plan.missing[:SAMPLE]],
    }


def roster_import_preview(*, actor, campaign_id, file_name, data, progress=None, store=True):
    """Check a roster file and plan the import, writing nothing to the roster.

    A file without errors is kept as a `RosterImport` awaiting confirmation
    (`roster_import_commit`) unless `store` is false (a dry run). With row errors,
    nothing at all is stored: the office fixes the file and uploads it again. Raises
    DomainError for an unusable file.
    """
    _require_office(actor)
    campaign = _open_campaign(campaign_id)
    parsed = _parse(data, progress)
    if parsed.errors:
        return RosterPreview(parsed=parsed, plan=None, upload=None)
    plan = importing.plan_import(parsed.rows, cohort=campaign.cohort)
    if not store:
        return RosterPreview(parsed=parsed, plan=plan, upload=None)
    upload = RosterImport.objects.create(
        campaign=campaign,
        file_name=file_name[:200],
        rows=[importing.row_values(r) for r in parsed.rows],
        sha256=hashlib.sha256(data).hexdigest(),
        summary={
            **_summary(parsed.data_rows, plan),
            **already_photographed_summary(parsed.rows, campaign.pk, SAMPLE),
        },
        uploaded_by=actor.user,
    )
    logger.info("roster import %s previewed: %s rows", upload.pk, parsed.data_rows)
    return RosterPreview(parsed=parsed, plan=plan, upload=upload)


@dataclass
class RosterResult:
    upload: RosterImport
    changed: bool
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    captures: int = 0


def _apply(plan, campaign, withdraw_missing, batch=2000):
    now = timezone.now()
    # In batches: a 20,000-row import never holds all its model instances at once.
    for i in range(0, len(plan.create), batch):
        Student.objects.bulk_create(
            Student(
                student_no=r.student_no,
                name=r.name,
                unit_id=r.unit_id,
                cohort=campaign.cohort,
                level=r.level or Student.Level.ACADEMIC_MASTER,
                major=r.major or "",
                id_tail=r.id_tail or "",
                phone=r.phone or "",
            )
            for r in plan.create[i : i + batch]
        )
    changed_fields = set()
    students = []
    for student, changes in plan.update:
        for fld, value in changes.items():
            setattr(student, fld, value)
        student.updated_at = now
        changed_fields.update(changes)
        students.append(student)
    if students:
        Student.objects.bulk_update(
            students, sorted(changed_fields | {"updated_at"}), batch_size=batch
        )
    withdrawn = 0
    if withdraw_missing and plan.missing:
        ids = [m[0] for m in plan.missing]
        for i in range(0, len(ids), batch):
            withdrawn += Student.objects.filter(pk__in=ids[i : i + batch]).update(
                withdrawn=True, updated_at=now
            )
    return withdrawn


def _create_captures(numbers, campaign, batch=2000):
    have = set(Capture.objects.filter(campaign=campaign).values_list("student_id", flat=True))
    created = 0
    for i in range(0, len(numbers), batch):
        ids = Student.objects.filter(student_no__in=numbers[i : i + batch]).values_list(
            "pk", flat=True
        )
        new = [Capture(student_id=pk, campaign=campaign) for pk in ids if pk not in have]
        Capture.objects.bulk_create(new)
        created += len(new)
    return created


def roster_import_commit(*, actor, import_id, withdraw_missing=False):
    """Apply a previewed roster file, all or nothing.

    The checked rows are planned again inside the transaction (the roster may have
    changed since the preview). New students are created with their capture row for the
    campaign, changed ones updated, and students of the cohort missing from the file are
    withdrawn only when `withdraw_missing` is true. Confirming twice changes nothing the
    second time (``changed=False``). Office only.
    """
    _require_office(actor)
    try:
        with transaction.atomic():
            upload = RosterImport.objects.select_for_update().filter(pk=import_id).first()
            if upload is None:
                raise DomainError(_("找不到这次导入。"), "not_found")
            if upload.status == RosterImport.Status.COMMITTED:
                return RosterResult(upload=upload, changed=False)
            campaign = _open_campaign(upload.campaign_id, lock=True)
            rows = [importing.RosterRow(i, *values) for i, values in enumerate(upload.rows)]
            # The roster may have changed since the preview: check the units again.
            active = set(TrainingUnit.objects.filter(active=True).values_list("pk", flat=True))
            stale = sum(1 for r in rows if r.unit_id not in active)
            if stale:
                raise DomainError(
                    _("有 %(n)d 名学生的培养单位已停用，未导入任何数据；请重新上传。")
                    % {"n": stale},
                    "has_errors",
                )
            plan = importing.plan_import(rows, cohort=campaign.cohort)
            withdrawn = _apply(plan, campaign, withdraw_missing)
            captures = _create_captures([r.student_no for r in rows], campaign)
            captures_assign_sessions(actor=actor, campaign_id=campaign.pk)
            # The optional 备注 / 学籍异动 column: the doors show it at every scan.
            notes = attention_notes_from_roster(actor=actor, campaign_id=campaign.pk, rows=rows)
            upload.status = RosterImport.Status.COMMITTED
            upload.committed_by = actor.user
            upload.committed_at = timezone.now()
            upload.summary = {
                **_summary(len(rows), plan),
                **already_photographed_summary(rows, campaign.pk, SAMPLE),
                "withdrawn": withdrawn,
                "captures": captures,
                "attention_notes": notes,
            }
            upload.rows = []  # applied; the roster itself now holds them
            upload.save(update_fields=["status", "committed_by", "committed_at", "summary", "rows"])
    except IntegrityError:
        raise DomainError(
            _("导入时名单被同时修改，未导入任何数据；请重新上传。"), "conflict"
        ) from None
    logger.info(
        "roster import %s committed by %s: +%d ~%d -%d",
        upload.pk,
        actor,
        len(plan.create),
        len(plan.update),
        withdrawn,
    )
    return RosterResult(
        upload=upload,
        changed=True,
        created=len(plan.create),
        updated=len(plan.update),
        withdrawn=withdrawn,
        captures=captures,
    )
