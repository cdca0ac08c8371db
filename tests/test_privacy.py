"""Privacy: purging a closed campaign, and no personal data in URLs or the logs."""

import json
import logging
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from capture_portal.actors import Actor
from payments import selectors as payment_selectors
from payments import services as payment_services
from payments.models import FeeEntry
from sessions import services
from sessions.models import Campaign, Capture, CaptureLog, Coordinator, Station
from tests.conftest import device_actor, device_client
from tests.factories import StudentFactory
from tests.rosterfiles import xlsx
from units.models import Student, TrainingUnit


@pytest.fixture
def closed_campaign(db, office):
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    law = TrainingUnit.objects.get(name="法学院")
    captures = [
        Capture.objects.create(
            student=StudentFactory(unit=law, name=f"隐私{i}", phone="13800000000", id_tail="123X"),
            campaign=campaign,
            attention_note="学籍异动",
        )
        for i in range(3)
    ]
    services.capture_photograph(actor=device_actor(campaign), capture_id=captures[0].pk)
    payment_services.fee_record(
        actor=office, campaign_id=campaign.pk, student_id=captures[0].student_id, method="cash"
    )
    Coordinator.objects.create(
        campaign=campaign,
        unit=law,
        position=1,
        name="负责人甲",
        phone="13900000000",
        registered_at=timezone.now(),
    )
    return campaign


def test_purge_refuses_an_open_campaign(closed_campaign):
    with pytest.raises(CommandError, match="not_closed"):
        call_command("purge_campaign", str(closed_campaign.pk), stdout=StringIO())
    assert Student.objects.filter(name="隐私0").exists()


def test_purge_empties_personal_data_and_keeps_the_figures(closed_campaign):
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    before_counts = (
        Student.objects.count(),
        Capture.objects.count(),
        CaptureLog.objects.count(),
        FeeEntry.objects.count(),
    )
    before_money = payment_selectors.reconciliation(closed_campaign)[1]
    out = StringIO()
    call_command("purge_campaign", str(closed_campaign.pk), stdout=out)
    assert "students: 3" in out.getvalue()
    assert not Student.objects.exclude(name="").exists()
    assert not Student.objects.exclude(phone="").exists()
    assert not Student.objects.exclude(id_tail="").exists()
    assert Coordinator.objects.get().name == "" and Coordinator.objects.get().phone == ""
    assert not Capture.objects.exclude(attention_note="").exists()
    assert (
        Student.objects.count(),
        Capture.objects.count(),
        CaptureLog.objects.count(),
        FeeEntry.objects.count(),
    ) == before_counts
    after_money = payment_selectors.reconciliation(closed_campaign)[1]
    assert (
        (after_money.collected, after_money.photographed)
        == (before_money.collected, before_money.photographed)
        == (Decimal("20.00"), 1)
    )


def test_purge_spares_students_of_an_open_campaign(closed_campaign):
    from tests.factories import CampaignFactory

    Campaign.objects.update(status=Campaign.Status.CLOSED)
    shared = Student.objects.get(name="隐私1")
    Capture.objects.create(student=shared, campaign=CampaignFactory(title="2026届"))
    call_command("purge_campaign", str(closed_campaign.pk), stdout=StringIO())
    shared.refresh_from_db()
    assert shared.name == "隐私1"


def test_no_personal_data_in_urls_or_logs(client, office_user, caplog, db):
    """A day's worth of requests, with every log record captured at DEBUG: no student
    number, name, phone or ID appears in a logged line or in a URL the portal makes."""
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    caplog.set_level(logging.DEBUG)
    campaign = Campaign.objects.get()
    secrets_ = ["202201019999", "欧阳某某", "13712345678", "130102199901045678"]
    client.force_login(office_user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = xlsx([[secrets_[0], secrets_[1], "法学院", None, None, secrets_[3], secrets_[2]]])
    preview = client.post(
        reverse("staff:roster_import"), {"file": SimpleUploadedFile("r.xlsx", data)}
    )
    urls = [preview["Location"]]
    client.post(preview["Location"], {})
    client.logout()
    found = client.post(reverse("lookup"), {"student_no": secrets_[0], "name": secrets_[1]})
    client.post(reverse("lookup"), {"student_no": secrets_[0], "name": "错名"})
    urls.append(found["Location"])
    client.get(found["Location"])
    device = device_client(Station.objects.get(name="北门-1"))
    device.post(
        reverse("station:scan"),
        json.dumps({"code": secrets_[0], "key": "privacy-key-1"}),
        content_type="application/json",
    )
    capture = Capture.objects.get(student__student_no=secrets_[0], campaign=campaign)
    assert capture.status == "photographed"
    payment_services.fee_record(
        actor=Actor.of(office_user),
        campaign_id=campaign.pk,
        student_id=capture.student_id,
        method="cash",
    )
    text = caplog.text + " ".join(urls)
    assert caplog.records  # the flow was logged…
    for secret in secrets_ + [secrets_[3][-4:]]:
        assert secret not in text, secret  # …and no personal data with it
