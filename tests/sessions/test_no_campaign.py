"""A fresh install before the first campaign: every staff and unit page answers a clear
page, never a 500 (the fee pages once did)."""

import pytest
from django.urls import reverse

from sessions.models import Campaign
from tests.factories import TrainingUnitFactory

pytestmark = pytest.mark.django_db

OFFICE_PAGES = [
    "staff:index",
    "staff:roster_import",
    "staff:roster_xlsx",
    "staff:absentees_xlsx",
    "staff:coordinators",
    "staff:coordinators_xlsx",
    "staff:absentees",
    "staff:stations",
    "payments:reconciliation",
    "payments:reconciliation_xlsx",
    "unit:list",
]


@pytest.mark.parametrize("name", OFFICE_PAGES)
def test_office_pages_without_a_campaign(client, office_user, name):
    assert not Campaign.objects.exists()
    client.force_login(office_user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="no-campaign"' in html or name == "unit:list"


@pytest.mark.parametrize("name", ["unit:detail", "unit:coordinators", "payments:unit_fees"])
def test_unit_pages_without_a_campaign(client, counsellor_user, unit, name):
    client.force_login(counsellor_user)
    response = client.get(reverse(name, args=[unit.pk]))
    assert response.status_code == 200
    assert 'id="no-campaign"' in response.content.decode()


def test_posting_a_fee_without_a_campaign_changes_nothing(client, counsellor_user, unit):
    client.force_login(counsellor_user)
    response = client.post(
        reverse("payments:unit_fees", args=[unit.pk]), {"action": "pay", "capture_id": "1"}
    )
    assert response.status_code == 200 and 'id="no-campaign"' in response.content.decode()


def test_the_no_campaign_page_offers_the_office_a_way_to_start(client, office_user):
    client.force_login(office_user)
    html = client.get(reverse("payments:reconciliation")).content.decode()
    assert reverse("admin:capture_sessions_campaign_add") in html
    assert TrainingUnitFactory() is not None  # units alone do not make a campaign
    assert client.get(reverse("payments:reconciliation")).status_code == 200
