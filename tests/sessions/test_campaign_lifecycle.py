"""Append-only for real: the campaign's lifecycle is a logged service with a button, the
records written by services are read-only in the admin, the office edits plain data only."""

import pytest
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from payments.models import Handover
from sessions import services
from sessions.models import Campaign, CampaignEvent
from tests.conftest import device_actor

pytestmark = pytest.mark.django_db
S = Campaign.Status


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def test_the_office_publishes_then_closes_with_a_log(office_client, office_user, notice):
    Campaign.objects.update(status=S.DRAFT)
    office_client.post(reverse("staff:campaign_step"), {"action": "publish"})
    assert Campaign.objects.get().status == S.PUBLISHED
    refused = office_client.post(reverse("staff:campaign_step"), {"action": "close"}, follow=True)
    assert Campaign.objects.get().status == S.PUBLISHED  # not without the confirmation
    assert "请勾选确认" in refused.content.decode()
    office_client.post(reverse("staff:campaign_step"), {"action": "close", "confirm": "1"})
    assert Campaign.objects.get().status == S.CLOSED
    events = list(CampaignEvent.objects.order_by("id").values_list("action", "to_status", "actor"))
    assert events == [("publish", S.PUBLISHED, office_user.pk), ("close", S.CLOSED, office_user.pk)]
    assert "已结束" in office_client.get(reverse("staff:index")).content.decode()


def test_a_closed_campaign_cannot_be_reopened(office, notice):
    services.campaign_step(actor=office, campaign_id=notice.pk, action="close")
    with pytest.raises(DomainError) as err:
        services.campaign_step(actor=office, campaign_id=notice.pk, action="publish")
    assert err.value.code == "not_allowed"
    assert CampaignEvent.objects.count() == 1


def test_only_the_office_steps_a_campaign(counsellor, notice):
    for actor in (counsellor, device_actor(notice), Actor.coordinator_link(1)):
        with pytest.raises(DomainError) as err:
            services.campaign_step(actor=actor, campaign_id=notice.pk, action="close")
        assert err.value.code == "forbidden"
    assert Campaign.objects.get().status == S.PUBLISHED


def test_the_admin_cannot_change_a_campaigns_status(office_client, notice):
    url = reverse("admin:capture_sessions_campaign_change", args=[notice.pk])
    page = office_client.get(url)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()


def test_handovers_are_read_only_in_the_admin(office_client, office_user, notice):
    from units.models import TrainingUnit

    handover = Handover.objects.create(
        campaign=notice,
        unit=TrainingUnit.objects.first(),
        amount=20,
        method="cash",
        received_by="新华社",
        received_at=timezone.now(),
        recorded_by=office_user,
    )
    delete = reverse("admin:payments_handover_delete", args=[handover.pk])
    assert office_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:payments_handover_change", args=[handover.pk])
    office_client.post(change, {"amount": "0", "received_by": "x"})
    handover.refresh_from_db()
    assert handover.amount == 20
    assert Handover.objects.count() == 1


def test_the_office_group_edits_plain_data_only(office_user):
    assert office_user.has_perm("units.change_student")
    assert office_user.has_perm("capture_sessions.change_station")
    assert office_user.has_perm("payments.view_handover")
    for perm in (
        "payments.change_handover",
        "payments.delete_feeentry",
        "capture_sessions.change_capturelog",
        "capture_sessions.delete_rosterimport",
        "capture_sessions.change_device",
        "capture_sessions.delete_campaignevent",
    ):
        assert not office_user.has_perm(perm), perm
