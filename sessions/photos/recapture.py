"""A missing or faulty delivered photo taken again (issue 15, point 3).

The office sends the student to an open make-up session: the same step as the CHSI
exception queue's "安排补拍" (sessions.services.confirmation.exception_recapture), which
this reuses when the student is in that queue, so that the queue's issue is resolved with
it. A student who is not in the queue (the usual case: the photo is missing or faulty
long before CHSI reports anything) goes through the one transition function
(sessions.services.captures, "recapture") in the same way, without an issue to resolve.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from capture_portal.exceptions import DomainError
from sessions.confirmation_selectors import exception_captures
from sessions.models import Capture, CaptureSession, Photo
from sessions.photos.selectors import check_labels, photo_problem
from sessions.services.captures import capture_transition
from sessions.services.confirmation import exception_recapture
from sessions.services.makeup import makeup_move_refusal

logger = logging.getLogger(__name__)
S = Capture.Status


@dataclass(frozen=True)
class RecaptureResult:
    capture: Capture
    changed: bool


def _problem_note(problem, photo):
    if problem == "missing":
        return _("电子照片未收到")
    codes = photo.faults if problem == "faulty" else photo.warnings
    what = _("电子照片不合格") if problem == "faulty" else _("电子照片有提醒项")
    comma = pgettext("list separator", "、")
    return f"{what}{pgettext('label separator', '：')}{comma.join(map(str, check_labels(codes)))}"


def photo_recapture(*, actor, capture_id, session_id, note="", unit_id=None):
    """Schedule a re-capture of a photographed student whose delivered photo is missing,
    faulty or has warnings (sessions.photos.selectors.photo_problem): the student goes
    back to "expected" in the open make-up session `session_id` of their campaign, with a
    log row naming the problem and `note`. A student in the CHSI exception queue goes
    through exception_recapture, which also marks the issue resolved. Office only.
    `unit_id`: the unit whose photo page the form is on; a student of another unit is
    refused (``not_found``) and nothing changes.

    Locks the session, then the capture (the order of exception_recapture and of the
    make-up moves). Repeating it for the same session changes nothing
    (``changed=False``). Raises DomainError ``forbidden``, ``not_found``, ``not_makeup``,
    ``session_closed``, ``campaign_closed``, ``other_campaign``, ``no_problem`` (the photo
    is there and fine, or the student is not photographed), ``not_allowed``."""
    if actor.device is not None or not actor.is_office:
        raise DomainError(_("只有研究生学院工作人员可以安排补拍。"), "forbidden")
    note = " ".join((note or "").split())
    with transaction.atomic():
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
        capture = (
            Capture.objects.select_for_update(of=("self",))
            .select_related("campaign", "student")
            .filter(pk=capture_id)
            .first()
        )
        if capture is None:
            raise DomainError(_("找不到该学生的采集记录。"), "not_found")
        # The form posts a bare capture id: one of another unit would be re-scheduled and
        # its outcome reported on this unit's page.
        if unit_id is not None and capture.student.unit_id != unit_id:
            raise DomainError(
                _("该学生不在本单位的名单中，未安排补拍。请在该学生所在单位的照片页办理。"),
                "not_found",
            )
        if capture.campaign_id != session.campaign_id:
            raise DomainError(_("该补拍场次不属于这名学生的采集活动。"), "other_campaign")
        if capture.session_id == session.pk and capture.status == S.EXPECTED:
            return RecaptureResult(capture=capture, changed=False)
        photo = Photo.objects.filter(capture_id=capture.pk).first()
        problem = photo_problem(capture, photo)
        if problem is None:
            raise DomainError(_("这名学生没有缺失或不合格的电子照片，无需补拍。"), "no_problem")
        why = "；".join(p for p in (_problem_note(problem, photo), note) if p)[:200]
        if exception_captures(capture.campaign).filter(pk=capture.pk).exists():
            result = exception_recapture(
                actor=actor, capture_id=capture.pk, session_id=session.pk, note=why
            )
            return RecaptureResult(capture=result.capture, changed=result.changed)
        result = capture_transition(
            actor=actor, capture_id=capture.pk, action="recapture", note=why, session_id=session.pk
        )
    logger.info("capture %s: photo re-capture in session %s by %s", capture.pk, session.pk, actor)
    return RecaptureResult(capture=result.capture, changed=result.changed)
