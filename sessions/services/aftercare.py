"""After the day (issue 14): a unit's prints arrive, and each student receives theirs.

Who may write: the office, the unit's counsellors, and the unit's coordinator link (the
coordinators hand the prints out). Anything outside the actor's scope answers like a
missing object (``not_found``): a link of unit A learns nothing of unit B.

Codes raised (DomainError): ``not_found``, ``campaign_closed``, ``invalid`` (nothing
chosen, or students of several units at once), ``not_arrived`` (the unit's prints have not
been recorded as arrived), ``not_allowed`` (a student without prints to collect: not
photographed on site; aftercare_selectors.has_prints).
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.aftercare_selectors import has_prints
from sessions.models import Campaign, Capture, CaptureLog, UnitPrints
from sessions.services.common import existing_unit, open_campaign
from units.selectors import may_act_for_unit

logger = logging.getLogger(__name__)
CHUNK = 5_000  # ids per statement (PostgreSQL allows 65,535 parameters)
PRINT_ACTION = "print_received"


@dataclass(frozen=True)
class PrintsArrival:
    prints: UnitPrints
    changed: bool


def prints_arrived(*, actor, campaign_id, unit_id):
    """Record that the unit's prints arrived from the photo company (one UnitPrints row
    per campaign and unit, with who recorded it and when).

    Needs the office, a counsellor of the unit, or the unit's coordinator link. Idempotent:
    a second call (or two at once: the unique constraint decides) returns the first
    record with ``changed=False``. Raises ``not_found`` (no such unit, or not the actor's),
    ``campaign_closed``."""
    with transaction.atomic():
        open_campaign(campaign_id, closed_message=_("本次采集活动已结束，不能再登记照片。"))
        if not may_act_for_unit(actor, unit_id, links=True):
            raise DomainError(_("找不到该培养单位。"), "not_found")
        existing_unit(unit_id)
        prints, created = UnitPrints.objects.get_or_create(
            campaign_id=campaign_id,
            unit_id=unit_id,
            defaults={
                "arrived_at": timezone.now(),
                "recorded_by": actor.user,
                "recorded_label": actor.label[:100],
            },
        )
    if created:
        transaction.on_commit(
            lambda: logger.info("prints arrived: unit %s campaign %s", unit_id, campaign_id)
        )
    return PrintsArrival(prints=prints, changed=created)


def _ids(capture_ids):
    try:
        ids = sorted({int(i) for i in capture_ids})
    except (TypeError, ValueError):
        raise DomainError(_("请先勾选学生。"), "invalid") from None
    if not ids:
        raise DomainError(_("请先勾选学生。"), "invalid")
    return ids


def _lock(ids):
    """The captures, locked in primary-key order (two bulk ticks cannot deadlock), with
    their students and their campaign's status; chunks keep each statement under the
    databases' parameter limits."""
    captures = []
    for i in range(0, len(ids), CHUNK):
        captures.extend(
            Capture.objects.select_for_update(of=("self",))
            .select_related("student")
            # The rules read one column of the campaign: not its notice texts.
            .annotate(campaign_status=F("campaign__status"))
            .filter(pk__in=ids[i : i + CHUNK], student__withdrawn=False)
            .order_by("pk")
        )
    return captures


def prints_received(*, actor, capture_ids, received=True):
    """Tick (`received=True`) or untick that students received their prints: one student
    or a bulk tick, all of one unit, in one transaction.

    Needs the office, a counsellor of the students' unit, or its coordinator link. A tick
    needs the unit's prints to have arrived (``not_arrived``) and every student changed
    to have prints (photographed on site; ``not_allowed``, naming the student in
    ``details["capture"]``); an untick is always allowed (it corrects a mistake). A
    refusal changes nothing. Idempotent: students already in the wanted state are left
    alone. Each student changed gets a CaptureLog row (action "print_received", the
    status unchanged, note "已领取" or "撤销领取").

    Returns how many students changed. Raises ``invalid`` (nothing chosen, several
    units), ``not_found`` (a student missing, withdrawn or not the actor's),
    ``campaign_closed``, ``not_arrived``, ``not_allowed``."""
    ids = _ids(capture_ids)
    now = timezone.now()
    with transaction.atomic():
        captures = _lock(ids)
        if len(captures) != len(ids):
            raise DomainError(_("找不到该学生。"), "not_found")
        units = {c.student.unit_id for c in captures}
        campaigns = {c.campaign_id for c in captures}
        # Scope first: a student of another unit looks missing, whatever else is wrong.
        if not all(may_act_for_unit(actor, u, links=True) for u in units):
            raise DomainError(_("找不到该学生。"), "not_found")
        if len(units) > 1 or len(campaigns) > 1:
            raise DomainError(_("一次只能登记同一培养单位的学生。"), "invalid")
        (unit_id,), (campaign_id,) = units, campaigns
        if captures[0].campaign_status == Campaign.Status.CLOSED:
            raise DomainError(_("本次采集活动已结束，不能再登记照片。"), "campaign_closed")
        if received:
            changing = [c for c in captures if c.print_received_at is None]
            if changing and not _arrived(campaign_id, unit_id):
                raise DomainError(_("请先登记本单位的照片已到，再登记学生领取。"), "not_arrived")
            for capture in changing:
                if not has_prints(capture):
                    raise DomainError(
                        _("%(name)s 当前状态为“%(status)s”，没有需要领取的照片。")
                        % {"name": capture.student.name, "status": capture.get_status_display()},
                        "not_allowed",
                        capture=capture,
                    )
        else:
            changing = [c for c in captures if c.print_received_at is not None]
        if not changing:
            return 0
        changed_ids = [c.pk for c in changing]
        stamp = now if received else None
        for i in range(0, len(changed_ids), CHUNK):
            Capture.objects.filter(pk__in=changed_ids[i : i + CHUNK]).update(
                print_received_at=stamp, updated_at=now
            )
        note = _("已领取") if received else _("撤销领取")
        CaptureLog.objects.bulk_create(
            [
                CaptureLog(
                    capture_id=c.pk,
                    action=PRINT_ACTION,
                    from_status=c.status,
                    to_status=c.status,
                    actor_user=actor.user,
                    actor_device=actor.device,
                    actor_label=actor.label[:100],
                    occurred_at=now,
                    recorded_at=now,
                    note=note,
                )
                for c in changing
            ],
            batch_size=1_000,
        )
        for capture in changing:
            capture.print_received_at = stamp
    n = len(changing)
    transaction.on_commit(
        lambda: logger.info(
            "prints %s: %d in unit %s", "received" if received else "undone", n, unit_id
        )
    )
    return n


def _arrived(campaign_id, unit_id):
    return UnitPrints.objects.filter(campaign_id=campaign_id, unit_id=unit_id).exists()
