"""fixtures/notice.json reproduces the notice (shared/seed) exactly."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from sessions.models import CaptureSession
from sessions.selectors import schedule_windows
from units.models import TrainingUnit

ANNEX_1 = [
    ("法学院", "13:20-14:00"),
    ("生物科学与工程学院", "13:20-14:00"),
    ("财政税务学院", "13:20-14:00"),
    ("公共管理学院", "14:00-14:30"),
    ("新闻与文化传播学院", "14:00-14:30"),
    ("经济学院", "14:00-14:30"),
    ("会计学院", "14:30-15:00"),
    ("统计与数学学院", "14:30-15:00"),
    ("金融学院", "14:30-15:00"),
    ("工商管理学院", "15:00-15:30"),
    ("艺术学院", "15:00-15:30"),
    ("旅游学院", "15:00-15:30"),
    ("管理科学与信息工程学院", "15:30-16:00"),
    ("马克思主义学院", "15:30-16:00"),
]


def test_units_in_annex_1_order(notice):
    names = list(TrainingUnit.objects.order_by("display_order").values_list("name", flat=True))
    assert names == [name for name, _ in ANNEX_1]


def test_schedule_matches_annex_1_row_by_row(notice):
    session = CaptureSession.objects.get()
    rows = [
        (unit.name, f"{w.slot.start:%H:%M}-{w.slot.end:%H:%M}")
        for w in schedule_windows(session)
        for unit in w.units
    ]
    assert rows == ANNEX_1


def test_campaign_facts(notice):
    c = notice
    assert c.title == "2025届预计毕业生图像采集"
    assert c.cohort == 2025
    assert (c.onsite_fee, c.offsite_fee) == (Decimal("20.00"), Decimal("45.00"))
    assert c.print_spec == "8张小二寸"
    assert c.school_code == "11832"
    assert c.coordinator_deadline.astimezone(ZoneInfo("Asia/Shanghai")).date() == dt.date(
        2024, 3, 8
    )
    assert c.contact_office == "二办106"
    assert c.contact_phones == ["87657669", "87657299"]
    assert c.offsite_studio_address == "石家庄市裕华区富强大街怀特商业街东91号新园摄影图片社"
    assert c.offsite_studio_phone == "0311-85675761"
    assert [r["title"] for r in c.dress_rules] == ["人物姿态与表情", "眼镜", "佩饰及遮挡物", "衣着"]
    assert "不得戴有色（含隐形）眼镜" in c.dress_rules[1]["text"]
    assert "背景色（蓝色）" in c.dress_rules[3]["text"]


def test_session_facts(notice):
    s = CaptureSession.objects.get()
    assert s.date == dt.date(2024, 3, 11) and s.date.weekday() == 0  # 周一
    assert (s.start, s.end) == (dt.time(13, 20), dt.time(16, 0))
    assert s.place == "第一教学楼一楼"
    assert (s.entry_door, s.exit_door) == ("南门", "北门")
    assert s.schedule_published
