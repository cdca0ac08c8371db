"""fixtures/notice.json reproduces the notice (shared/seed) exactly."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

from django.urls import reverse

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
    # The notice writes them without the area code; the portal keeps it (English readers,
    # phones outside Shijiazhuang).
    assert c.contact_phones == ["0311-87657669", "0311-87657299"]
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


# --- the rendered notice, sentence by sentence (shared/seed is the source) ------------------

# A copy of shared/seed/000_071308394937b8cc.txt kept in the repository: CI runs on a fresh
# clone, where nothing outside the project exists.
SEED = Path(__file__).resolve().parents[1] / "data" / "seed_notice.txt"

MUST_ATTEND = "凡3月11日下午在校的2025届预计毕业生，务必参加集中采集"
STUDIO = (
    "其中，河北图像采集补拍地址为：石家庄市裕华区富强大街怀特商业街东91号新园摄影图片社，"
    "电话0311-85675761。"
)
SCHOOL_CODE = "河北经贸大学的院校代码为：11832。"
# Each sentence of the notice the home page must say word for word (the seed's own words;
# whitespace is not compared, the seed's half-width "(" are full-width on the page).
HOME_SENTENCES = [
    MUST_ATTEND,
    "其他因客观情况无法参加的同学，也可参加各地新华社分散采集。",
    # 三.3.(3)
    "学生进入备拍区后，服从工作人员引导，按队列依次有序进入拍摄教室，图像采集结束后，"
    "请保持安静并迅速离开拍摄区，以免影响上课同学。",
    # 三.3.(4)
    "图像采集时当场将费用交给新华社河北图像采集中心工作人员（可以二维码转账）。",
    STUDIO,
    "需出示本人图像采集码，自备2B铅笔、橡皮。",
    SCHOOL_CODE,
    "五、其他",
    "如有其他疑问，请联系二办106，联系电话：",
    # The salutation and the list of annexes.
    "各培养单位：",
    "附件：1.校内集中采集预估时间表2.查看图像采集码途径",
    # 三.3 and its (1), (2) (the lists' numbers are the <ol>'s, not text)
    "请各培养单位告知学生：",
    "参加校内集中采集时须出示图像采集码，查看图像采集码途径见附件 2。"
    "为保证现场采集效率，请务必提前保存采集码图片。",
    "校内集中采集以培养单位为单位进行，请各位辅导员指定 2 名负责人组织学生到拍摄地点，"
    "待全部到齐后，直接到“分散备拍区”排队等待拍摄。负责人姓名及联系方式请于3月8日前报研究生管理科。",
    # 四 and 四.1
    "也可参加各地新华社分散采集。相关事项如下：",
    "分散采集时间地点",
    "因故未参加集中采集的学生，可就近前往各地新华社分散采集，各地新华社图像采集中心地址及联系方式见",
    # 四.2 and its (2), (3)
    "分散采集注意事项",
    "各地新华社分散采集的费用 45元/人",
    "纸质照片应邮寄到学生本人地址。本人收到纸质照片，确认照片及信息无误后，须及时将整版纸质照片交给"
    "培养单位，请各培养单位收到学生照片后，核实确系学生本人。",
]
OFFSITE_SENTENCES = [
    MUST_ATTEND,
    "其他因客观情况无法参加的同学，也可参加各地新华社分散采集。",
    STUDIO,
    SCHOOL_CODE,
]


def _squeeze(text):
    return re.sub(r"\s+", "", text.replace("(", "（").replace(")", "）"))


def page_text(html):
    """The text a reader sees: no tags, entities decoded."""
    body = html.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def test_the_listed_sentences_are_the_seeds_own():
    seed = _squeeze(SEED.read_text(encoding="utf-8").replace("**", ""))
    for sentence in {*HOME_SENTENCES, *OFFSITE_SENTENCES}:
        assert _squeeze(sentence) in seed, sentence


def test_home_says_every_listed_sentence_of_the_notice(client, notice):
    text = _squeeze(page_text(client.get("/").content.decode()))
    missing = [s for s in HOME_SENTENCES if _squeeze(s) not in text]
    assert missing == []
    for number in notice.contact_phones:
        assert number in text
    assert "本省" not in text and "五、联系方式" not in text


def test_home_gives_the_centres_address_where_the_notice_does(client, notice):
    text = _squeeze(page_text(client.get("/").content.decode()))
    assert (
        _squeeze(
            "各地新华社图像采集中心地址及联系方式见 http://www.xinhua.cn/#/home/collectionCenter。"
        )
        in text
    )


def test_english_section_4_does_not_say_the_same_sentence_twice(client, notice):
    # The must-attend line and 四.1 both came out as "Students who cannot attend … may go
    # to a Xinhua image-capture centre near them (off-site capture)."
    client.cookies["django_language"] = "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    text = re.sub(r"\s+", " ", page_text(html))
    text = text.split("4. Off-site capture", 1)[1].split("5. Other matters", 1)[0]
    assert text.count("Students who cannot attend") == 1, text
    # The page says it once in Chinese too: the must-attend line, then the notice's 四.1
    # ("因故未参加…"), no paraphrase of the line after it.
    client.cookies["django_language"] = "zh-hans"
    zh = _squeeze(page_text(client.get("/").content.decode()))
    assert zh.count("因客观情况无法参加") == 1


def test_offsite_page_says_who_must_attend_and_the_hebei_studio(client, notice):
    text = _squeeze(page_text(client.get(reverse("offsite")).content.decode()))
    missing = [s for s in OFFSITE_SENTENCES if _squeeze(s) not in text]
    assert missing == []
    assert "本省" not in text


def test_the_notice_sentences_take_the_date_and_cohort_from_the_campaign(client, notice):
    CaptureSession.objects.update(date=dt.date(2025, 3, 10))
    notice.cohort = 2026
    notice.save(update_fields=["cohort"])
    for url in ("/", reverse("offsite")):
        text = _squeeze(page_text(client.get(url).content.decode()))
        assert "凡3月10日下午在校的2026届预计毕业生，务必参加集中采集" in text, url


def test_model_labels_name_hebei_not_this_province():
    from sessions.models import Campaign

    labels = [
        str(f.verbose_name) for f in Campaign._meta.get_fields() if hasattr(f, "verbose_name")
    ]
    assert not [label for label in labels if "本省" in label]


def test_a_morning_session_is_said_to_be_in_the_morning(client, notice):
    CaptureSession.objects.update(start=dt.time(8, 30), end=dt.time(11, 30))
    text = _squeeze(page_text(client.get("/").content.decode()))
    assert "凡3月11日上午在校的2025届预计毕业生，务必参加集中采集" in text
    assert "时间：3月11日（星期一）上午" in text and "下午" not in text
