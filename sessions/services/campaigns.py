"""A campaign's lifecycle: draft → published → closed, each step logged (CampaignEvent).

Publishing opens the student lookup; closing ends coordinator links and refuses every
further capture change. There is no way back from closed: a closed campaign's records are
what the registry and the purge rely on.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.models import Campaign, CampaignEvent

logger = logging.getLogger(__name__)
S = Campaign.Status
STEPS = {"publish": (S.DRAFT, S.PUBLISHED), "close": (S.PUBLISHED, S.CLOSED)}


def campaign_step(*, actor, campaign_id, action, note=""):
    """Publish or close a campaign (office only). Repeating a step changes nothing.
    Codes: ``forbidden``, ``not_found``, ``not_allowed``."""
    if not actor.is_office or actor.device is not None:
        raise DomainError(_("只有研究生学院工作人员可以发布或结束采集活动。"), "forbidden")
    if action not in STEPS:
        raise DomainError(_("未知操作。"), "invalid")
    source, target = STEPS[action]
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise DomainError(_("找不到该采集活动。"), "not_found")
        if campaign.status == target:
            return campaign
        if campaign.status != source:
            raise DomainError(
                _("采集活动当前为“%(status)s”，不能执行此操作。")
                % {"status": campaign.get_status_display()},
                "not_allowed",
            )
        CampaignEvent.objects.create(
            campaign=campaign,
            action=action,
            from_status=campaign.status,
            to_status=target,
            actor=actor.user,
            note=(note or "").strip()[:200],
        )
        campaign.status = target
        campaign.save(update_fields=["status"])
    logger.info("campaign %s %s by %s", campaign.pk, action, actor)
    return campaign
