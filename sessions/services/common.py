"""Small pieces several services share."""

from django.utils.translation import gettext as _

from capture_portal.exceptions import DomainError
from sessions.models import Campaign
from units.models import TrainingUnit


def open_campaign(campaign_id, *, closed_message, lock=False):
    """The campaign, refused with ``not_found`` if missing and ``campaign_closed`` (with
    the caller's message) once it has closed. `lock` takes its row lock."""
    qs = Campaign.objects.select_for_update() if lock else Campaign.objects
    campaign = qs.filter(pk=campaign_id).first()
    if campaign is None:
        raise DomainError(_("找不到该采集活动。"), "not_found")
    if campaign.status == Campaign.Status.CLOSED:
        raise DomainError(closed_message, "campaign_closed")
    return campaign


def existing_unit(unit_id):
    unit = TrainingUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise DomainError(_("找不到该培养单位。"), "not_found")
    return unit
