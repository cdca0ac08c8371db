"""Registering a unit's two coordinators (负责人) for a campaign.

Codes raised (DomainError): ``forbidden``, ``not_found``, ``deadline_passed``,
``campaign_closed``, ``invalid`` (a value the rules refuse; the message says which).
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.models import Campaign, Coordinator, CoordinatorChange
from units.models import Student, TrainingUnit
from units.selectors import counsellor_unit_ids
from units.validators import normalise_phone, validate_phone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoordinatorEntry:
    position: int
    name: str
    phone: str
    student_no: str = ""


def coordinator_edit_refusal(actor, campaign, unit_id, now=None):
    """Why the actor may not change the unit's coordinators (a DomainError), or None.

    The office always may; a unit's counsellor until the campaign's deadline."""
    if campaign.status == Campaign.Status.CLOSED:
        return DomainError(_("本次采集活动已结束。"), "campaign_closed")
    if actor.is_office:
        return None
    if actor.user is None or unit_id not in counsellor_unit_ids(actor.user):
        return DomainError(_("您无权修改该单位的负责人。"), "forbidden")
    if (now or timezone.now()) > campaign.coordinator_deadline:
        deadline = timezone.localtime(campaign.coordinator_deadline).strftime("%Y-%m-%d %H:%M")
        return DomainError(
            _("报送截止时间（%(deadline)s）已过，如需修改请联系研究生学院。")
            % {"deadline": deadline},
            "deadline_passed",
        )
    return None


def coordinators_register(*, actor, campaign_id, unit_id, entries):
    """Set a unit's two coordinators. Both positions are required.

    Locks the campaign row for the unit's registration, re-checks the deadline under the
    lock, writes only what changed and records each change (who, when) in
    `CoordinatorChange`. Returns the number of positions changed (0 for a repeat).
    """
    entries = sorted(entries, key=lambda e: e.position)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        unit = TrainingUnit.objects.filter(pk=unit_id).first()
        if campaign is None or unit is None:
            raise DomainError(_("找不到该采集活动或培养单位。"), "not_found")
        refusal = coordinator_edit_refusal(actor, campaign, unit.pk)
        if refusal is not None:
            raise refusal
        if [e.position for e in entries] != [1, 2]:
            raise DomainError(_("每个培养单位须报送两名负责人。"), "invalid")
        cleaned = [_clean(e, unit) for e in entries]
        if cleaned[0]["phone"] == cleaned[1]["phone"]:
            raise DomainError(_("两名负责人的联系电话不能相同。"), "invalid")
        existing = {
            c.position: c
            for c in Coordinator.objects.select_for_update().filter(campaign=campaign, unit=unit)
        }
        now = timezone.now()
        changed = 0
        for entry, values in zip(entries, cleaned, strict=True):
            current = existing.get(entry.position)
            if current and all(getattr(current, k) == v for k, v in values.items()):
                continue
            if current is None:
                current = Coordinator(campaign=campaign, unit=unit, position=entry.position)
            for k, v in values.items():
                setattr(current, k, v)
            current.registered_by = actor.user
            current.registered_at = now
            current.save()
            CoordinatorChange.objects.create(
                campaign=campaign,
                unit=unit,
                position=entry.position,
                name=values["name"],
                phone=values["phone"],
                changed_by=actor.user,
            )
            changed += 1
    logger.info("unit %s: %d coordinator positions changed by %s", unit_id, changed, actor)
    return changed


def _clean(entry, unit):
    name = " ".join((entry.name or "").split())
    if not name:
        raise DomainError(_("请填写负责人%(n)d的姓名。") % {"n": entry.position}, "invalid")
    if len(name) > 64:
        raise DomainError(_("姓名不能超过 64 个字符。"), "invalid")
    phone = normalise_phone(entry.phone)
    try:
        validate_phone(phone)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], "invalid") from None
    student = None
    if entry.student_no:
        student = Student.objects.filter(
            student_no=entry.student_no.strip(), unit=unit, withdrawn=False
        ).first()
        if student is None:
            raise DomainError(
                _("学号 %(no)s 不是本单位在册学生。") % {"no": entry.student_no.strip()}, "invalid"
            )
    return {"name": name, "phone": phone, "student": student}
