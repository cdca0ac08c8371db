import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from sessions.models import Campaign, Capture, CaptureSession, SlotUnit, TimeSlot
from units.models import Student, TrainingUnit, UnitMembership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")


class TrainingUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingUnit

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"测试学院{n}")
    display_order = factory.Sequence(lambda n: n)


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    student_no = factory.Sequence(lambda n: f"2022{n:08d}")
    name = factory.Sequence(lambda n: f"学生{n}")
    unit = factory.SubFactory(TrainingUnitFactory)
    cohort = 2025
    major = "测试专业"
    id_tail = "1234"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    title = "2025届预计毕业生图像采集"
    cohort = 2025
    status = Campaign.Status.PUBLISHED
    onsite_fee = Decimal("20.00")
    offsite_fee = Decimal("45.00")
    school_code = "11832"
    coordinator_deadline = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))


class CaptureSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaptureSession

    campaign = factory.SubFactory(CampaignFactory)
    date = dt.date(2024, 3, 11)
    start = dt.time(13, 20)
    end = dt.time(16, 0)
    place = "第一教学楼一楼"


class TimeSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeSlot

    session = factory.SubFactory(CaptureSessionFactory)
    start = dt.time(13, 20)
    end = dt.time(14, 0)
    order = factory.Sequence(lambda n: n)


class SlotUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlotUnit

    slot = factory.SubFactory(TimeSlotFactory)
    session = factory.SelfAttribute("slot.session")
    unit = factory.SubFactory(TrainingUnitFactory)


class CaptureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Capture

    student = factory.SubFactory(StudentFactory)
    campaign = factory.SubFactory(CampaignFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitMembership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(TrainingUnitFactory)
