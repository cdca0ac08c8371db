"""Coordinator links: one signed link per unit and campaign, revoked by rotating it."""

import logging
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.models import CoordinatorLink
from sessions.services.common import existing_unit, open_campaign
from sessions.tokens import link_token
from units.selectors import may_act_for_unit

logger = logging.getLogger(__name__)


def coordinator_link_rotate(*, actor, campaign_id, unit_id):
    """Create the unit's coordinator link, or replace it (every earlier link stops working).

    Office, or a counsellor of the unit. Codes: ``forbidden``, ``not_found``,
    ``campaign_closed``. Returns the new token.
    """
    if not may_act_for_unit(actor, unit_id):
        raise DomainError(_("您无权为该单位生成链接。"), "forbidden")
    with transaction.atomic():
        campaign = open_campaign(campaign_id, closed_message=_("本次采集活动已结束。"))
        unit = existing_unit(unit_id)
        link, _created = CoordinatorLink.objects.select_for_update().get_or_create(
            campaign=campaign,
            unit=unit,
            defaults={"nonce": secrets.token_urlsafe(12), "created_by": actor.user},
        )
        if not _created:
            link.nonce = secrets.token_urlsafe(12)
            link.created_by = actor.user
            link.save(update_fields=["nonce", "created_by", "created_at"])
    logger.info("coordinator link for unit %s rotated by %s", unit_id, actor)
    return link_token(unit.pk, campaign.pk, link.nonce)
