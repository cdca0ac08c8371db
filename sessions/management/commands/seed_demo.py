"""Demo data: the notice (fixtures/notice.json), a synthetic roster and one account per role.

Deterministic: every student is derived from (unit code, sequence number) alone, so a
second run finds everything in place and changes nothing, and `--students 20000` makes
a superset-shaped roster for benchmarks with bulk inserts.
"""

import random
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from capture_portal.permissions import OFFICE_GROUP
from sessions.models import Campaign, Capture
from units.models import Student, TrainingUnit, UnitMembership

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文博宇轩浩然子涵欣怡梓萱一诺思远嘉怡雨桐晨曦"
    "佳琪俊杰志强海燕晓东丽娟婷婷雪梅春梅晓峰鹏飞宏伟立新玉兰红霞凤英慧敏雅静诗琪梦瑶天佑睿泽"
)
MAJORS = {
    "法学院": ["法学理论", "民商法学", "经济法学", "法律（非法学）"],
    "会计学院": ["会计学", "会计", "审计"],
    "金融学院": ["金融学", "金融", "保险"],
}
DEFAULT_MAJORS = ["学术方向一", "学术方向二", "专业学位"]
LEVELS = [
    (Student.Level.ACADEMIC_MASTER, 55),
    (Student.Level.PROFESSIONAL_MASTER, 40),
    (Student.Level.ACADEMIC_DOCTOR, 5),
]
DEMO_PASSWORD = "capture-demo-2025"


def _person(unit, seq, cohort):
    rng = random.Random(f"{unit.code}-{seq}")
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    level = rng.choices([lv for lv, _ in LEVELS], weights=[w for _, w in LEVELS])[0]
    return Student(
        student_no=f"{cohort - 3}{unit.code}{seq:06d}",
        name=name,
        unit=unit,
        cohort=cohort,
        level=level,
        major=rng.choice(MAJORS.get(unit.name, DEFAULT_MAJORS)),
        id_tail=f"{rng.randint(0, 9999):04d}"
        if rng.random() > 0.05
        else f"{rng.randint(0, 999):03d}X",
        phone=f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}",
    )


class Command(BaseCommand):
    help = "Load the notice and a deterministic demo roster and accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--students",
            type=int,
            default=None,
            help="Total roster size (default: 20-120 per unit, about 1,000 in all).",
        )

    def handle(self, *args, students=None, **options):
        started = time.monotonic()
        if not Campaign.objects.filter(pk=1).exists():
            call_command("loaddata", "fixtures/notice.json", verbosity=0)
        campaign = Campaign.objects.get(pk=1)
        units = list(TrainingUnit.objects.filter(active=True).order_by("display_order"))
        with transaction.atomic():
            created = self._roster(campaign, units, students)
            captures = self._captures(campaign)
            self._accounts(units)
            self._day_details(campaign, units)
        self.stdout.write(
            f"roster: {created} students created, {captures} captures created "
            f"({Student.objects.count()} students in all) in {time.monotonic() - started:.1f}s"
        )
        self.stdout.write(
            "demo log-ins (password "
            f"{DEMO_PASSWORD}): office · counsellor01 … counsellor{len(units):02d}"
        )
        self.stdout.write(
            "door stations: sign in as office, open /staff/stations/ and pair this browser"
        )

    def _roster(self, campaign, units, total):
        rng = random.Random(2025)
        sizes = [rng.randint(20, 120) for _ in units]
        if total is not None:
            weight = sum(sizes)
            sizes = [total * s // weight for s in sizes]
            sizes[-1] += total - sum(sizes)
        rows = [
            _person(unit, seq, campaign.cohort)
            for unit, size in zip(units, sizes, strict=True)
            for seq in range(1, size + 1)
        ]
        before = Student.objects.count()
        Student.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        return Student.objects.count() - before

    def _captures(self, campaign):
        have = set(Capture.objects.filter(campaign=campaign).values_list("student_id", flat=True))
        missing = [
            Capture(student_id=sid, campaign=campaign)
            for sid in Student.objects.filter(cohort=campaign.cohort, withdrawn=False).values_list(
                "id", flat=True
            )
            if sid not in have
        ]
        Capture.objects.bulk_create(missing, batch_size=2000, ignore_conflicts=True)
        return len(missing)

    def _day_details(self, campaign, units):
        """Coordinators for most units (a few left missing, as in real life) and a few
        attention notes, so that every page of the demo has something to show."""
        from django.utils import timezone

        from sessions.models import Coordinator

        rng = random.Random(11)
        for unit in units[:-3]:
            for position in (1, 2):
                person = _person(unit, position, campaign.cohort)
                Coordinator.objects.get_or_create(
                    campaign=campaign,
                    unit=unit,
                    position=position,
                    defaults={
                        "name": person.name,
                        "phone": person.phone,
                        "registered_at": timezone.now(),
                    },
                )
        flagged = Capture.objects.filter(campaign=campaign, attention_note="").order_by("id")
        if not Capture.objects.filter(campaign=campaign).exclude(attention_note="").exists():
            for capture in rng.sample(list(flagged[:300]), 3):
                capture.attention_note = "学籍异动，请核对姓名"
                capture.save(update_fields=["attention_note"])

    def _accounts(self, units):
        User = get_user_model()
        # One hash for all demo users: hashing is deliberately slow, the demo need not be.
        password = make_password(DEMO_PASSWORD)
        office, made = User.objects.get_or_create(
            username="office", defaults={"password": password, "is_staff": True}
        )
        if made:
            office.groups.add(Group.objects.get_or_create(name=OFFICE_GROUP)[0])
        for unit in units:
            user, _ = User.objects.get_or_create(
                username=f"counsellor{unit.code}", defaults={"password": password}
            )
            UnitMembership.objects.get_or_create(
                user=user, unit=unit, role=UnitMembership.Role.COUNSELLOR
            )
