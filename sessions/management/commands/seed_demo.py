"""Demo data: the notice (fixtures/notice.json), a synthetic roster and one account per role.

Deterministic: every student is derived from (unit code, sequence number) alone, so a
second run finds everything in place and changes nothing, and `--students 20000` makes
a superset-shaped roster for benchmarks with bulk inserts.

`--campuses N --days D` turns the notice's one afternoon into N × D sessions (one per
campus and day, on consecutive days), the units spread over them by headcount, each
session's schedule proposed from its own units and published, with an arrival and an exit
station each. Fewer units than sessions: the largest units are split by major.
"""

import datetime as dt
import random
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count

from capture_portal.actors import Actor
from capture_portal.permissions import OFFICE_GROUP
from sessions import scheduling
from sessions.models import Campaign, Capture, CaptureSession, SlotUnit, Station, TimeSlot
from sessions.services.assignment import captures_assign_sessions
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
# (campus, place, their English) of the sessions of `--campuses`; the first is the
# notice's own.
CAMPUSES = [
    ("东校区", "第一教学楼一楼", "East Campus", "Ground floor, Teaching Building No. 1"),
    ("西校区", "西区图书馆报告厅", "West Campus", "Lecture hall, West Library"),
    ("南校区", "南区学生活动中心一楼", "South Campus", "Ground floor, South Student Centre"),
    ("北校区", "北区综合楼一楼", "North Campus", "Ground floor, North Complex Building"),
    ("中校区", "中区体育馆", "Central Campus", "Central Gymnasium"),
]


def _campus(i):
    if i < len(CAMPUSES):
        return CAMPUSES[i]
    return (
        f"第{i + 1}校区",
        f"第{i + 1}校区教学楼一楼",
        f"Campus {i + 1}",
        f"Ground floor, Teaching Building of Campus {i + 1}",
    )


@dataclass
class _Piece:
    """A unit's share of one session: all its students (`rest`: the placement without a
    rule) or those of some majors."""

    unit: object
    majors: dict  # {major: students}
    rest: bool

    @property
    def students(self):
        return sum(self.majors.values())

    def split(self):
        """Halve by major (as even as the majors allow): a new piece with a rule, and
        this one keeping the others (and the rest, if it had it)."""
        ordered = sorted(self.majors.items(), key=lambda kv: (-kv[1], kv[0]))
        take, keep = {}, {}
        for major, n in ordered:
            (take if sum(take.values()) <= sum(keep.values()) else keep)[major] = n
        self.majors = keep
        return _Piece(unit=self.unit, majors=take, rest=False)


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
        parser.add_argument(
            "--campuses",
            type=int,
            default=1,
            help="Campuses with a session each day (default 1: the notice's one place).",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=1,
            help="Consecutive days of sessions (default 1: the notice's one afternoon).",
        )

    def handle(self, *args, students=None, campuses=1, days=1, **options):
        if campuses < 1 or days < 1:
            raise CommandError("--campuses and --days must be at least 1")
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
            sessions = None
            if campuses * days > 1:
                sessions = self._sessions(campaign, units, campuses, days)
            captures_assign_sessions(actor=Actor.system("seed_demo"), campaign_id=campaign.pk)
        self.stdout.write(
            f"roster: {created} students created, {captures} captures created "
            f"({Student.objects.count()} students in all) in {time.monotonic() - started:.1f}s"
        )
        if sessions is not None:
            self.stdout.write(
                f"sessions: {len(sessions)} ({campuses} campuses × {days} days), "
                "schedules proposed and published"
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

    def _sessions(self, campaign, units, campuses, days):
        """One regular session per campus and day (the notice's session is the first), the
        units spread over them, each with a published schedule and two door stations."""
        regular = CaptureSession.objects.filter(
            campaign=campaign, kind=CaptureSession.Kind.REGULAR
        ).order_by("date", "start", "pk")
        base = regular.first()
        sessions = []
        for day in range(days):
            for c in range(campuses):
                campus, place, campus_en, place_en = _campus(c)
                if not sessions:
                    if (base.campus, base.campus_en) != (campus, campus_en):
                        base.campus, base.campus_en = campus, campus_en
                        base.save(update_fields=["campus", "campus_en"])
                    sessions.append(base)
                    continue
                session, _ = CaptureSession.objects.get_or_create(
                    campaign=campaign,
                    kind=CaptureSession.Kind.REGULAR,
                    date=base.date + dt.timedelta(days=day),
                    campus=campus,
                    defaults={
                        "place": place,
                        "place_en": place_en,
                        "campus_en": campus_en,
                        "start": base.start,
                        "end": base.end,
                        "entry_door": base.entry_door,
                        "exit_door": base.exit_door,
                        "entry_door_en": base.entry_door_en,
                        "exit_door_en": base.exit_door_en,
                        "cameras": base.cameras,
                        "per_camera_per_minute": base.per_camera_per_minute,
                    },
                )
                sessions.append(session)
        self._stations(sessions)
        placed = SlotUnit.objects.filter(session__in=sessions)
        if (
            set(placed.values_list("session_id", flat=True)) == {s.pk for s in sessions}
            and set(placed.values_list("unit_id", flat=True)) >= {u.pk for u in units}
            and placed.count() >= len(units)
            and not SlotUnit.objects.filter(session__campaign=campaign)
            .exclude(session__in=sessions)
            .exists()
        ):
            return sessions  # an earlier run's schedules: in place
        self._schedules(campaign, units, sessions, regular)
        return sessions

    def _stations(self, sessions):
        have = set(Station.objects.filter(session__in=sessions).values_list("session_id", "kind"))
        new = []
        for s in sessions:
            for order, (kind, door) in enumerate(
                [(Station.Kind.ARRIVAL, s.entry_door), (Station.Kind.PHOTOGRAPHED, s.exit_door)],
                start=1,
            ):
                if (s.pk, kind) not in have:
                    new.append(
                        Station(session=s, name=f"{s.campus}{door}-1", kind=kind, order=order)
                    )
        Station.objects.bulk_create(new)

    def _schedules(self, campaign, units, sessions, regular):
        """Every unit in exactly one session (balanced by headcount, largest first), each
        session's windows proposed from its own units, published."""
        per_unit = {u.pk: {} for u in units}
        for unit_id, major, n in (
            Capture.objects.filter(campaign=campaign, student__withdrawn=False)
            .values_list("student__unit_id", "student__major")
            .annotate(n=Count("id"))
            .order_by()
        ):
            if unit_id in per_unit:
                per_unit[unit_id][major] = n
        pieces = [_Piece(unit=u, majors=per_unit[u.pk], rest=True) for u in units]
        while len(pieces) < len(sessions):
            splittable = [p for p in pieces if len(p.majors) > 1]
            if not splittable:
                break
            pieces.append(max(splittable, key=lambda p: p.students).split())
        shares = {s.pk: [] for s in sessions}
        load = {s.pk: 0 for s in sessions}
        for piece in sorted(pieces, key=lambda p: (-p.students, p.unit.display_order)):
            free = [s.pk for s in sessions if all(q.unit != piece.unit for q in shares[s.pk])]
            target = min(free, key=lambda pk: load[pk])
            shares[target].append(piece)
            load[target] += piece.students
        TimeSlot.objects.filter(session__in=regular).delete()  # and their placements
        placements, published = [], []
        for session in sessions:
            share = sorted(shares[session.pk], key=lambda p: p.unit.display_order)
            by_unit = {p.unit.pk: p for p in share}
            proposal = scheduling.propose(session, [(p.unit, p.students) for p in share], 30)
            for order, window in enumerate(proposal.windows, start=1):
                slot = TimeSlot.objects.create(
                    session=session, start=window.start, end=window.end, order=order
                )
                for i, (unit, _n) in enumerate(window.units, start=1):
                    piece = by_unit[unit.pk]
                    placements.append(
                        SlotUnit(
                            session=session,
                            slot=slot,
                            unit=unit,
                            order=i,
                            split_by="" if piece.rest else SlotUnit.SplitBy.MAJOR,
                            split_values=[] if piece.rest else sorted(piece.majors),
                        )
                    )
            if proposal.windows:
                published.append(session.pk)
        SlotUnit.objects.bulk_create(placements)
        CaptureSession.objects.filter(pk__in=published).update(schedule_published=True)

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
