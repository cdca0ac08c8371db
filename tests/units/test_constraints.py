"""Rules the database itself holds."""

import pytest
from django.db import IntegrityError, transaction

from sessions.models import Capture, Coordinator
from tests.factories import (
    CampaignFactory,
    CaptureFactory,
    SlotUnitFactory,
    StudentFactory,
    TimeSlotFactory,
)
from units.models import Student


def _refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


@pytest.mark.django_db
def test_student_number_is_unique(unit):
    StudentFactory(student_no="202301010001", unit=unit)
    _refused(lambda: StudentFactory(student_no="202301010001", unit=unit))
    assert Student.objects.count() == 1


@pytest.mark.django_db
def test_one_capture_per_student_and_campaign(capture):
    _refused(lambda: Capture.objects.create(student=capture.student, campaign=capture.campaign))


@pytest.mark.django_db
def test_coordinator_position_is_1_or_2_and_unique(campaign, unit):
    from django.utils import timezone

    def make(pos):
        return Coordinator.objects.create(
            campaign=campaign,
            unit=unit,
            position=pos,
            name="甲",
            phone="13800000000",
            registered_at=timezone.now(),
        )

    make(1)
    make(2)
    _refused(lambda: make(2))
    _refused(lambda: make(3))


@pytest.mark.django_db
def test_unit_sits_in_one_slot_per_session(unit):
    first = SlotUnitFactory(unit=unit)
    other_slot = TimeSlotFactory(session=first.session)
    _refused(lambda: SlotUnitFactory(slot=other_slot, session=first.session, unit=unit))


@pytest.mark.django_db
def test_fees_are_not_negative():
    from decimal import Decimal

    _refused(lambda: CampaignFactory(onsite_fee=Decimal("-1")))


@pytest.mark.django_db
def test_capture_factory_defaults_to_expected():
    assert CaptureFactory().status == Capture.Status.EXPECTED
