"""English all the way through (issue 17, section 2): the notice's texts have English
versions (explicit `<field>_en` fields), edited in the admin, copied to next year, shown on
English pages with the Chinese as fallback; the fixture carries a full English translation."""

import re
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from capture_portal.localised import localised
from sessions import tokens
from sessions.models import Campaign, Capture, CaptureSession, Coordinator
from tests.factories import StudentFactory
from units.models import TrainingUnit

# The labels of CHSI's own (Chinese-only) site and app that the guide quotes beside their
# English, so that a student finds the button to tap: names, as a person's.
CHSI_LABELS = {
    "学信网",
    "学信档案",
    "高等教育信息",
    "获取图像采集码",
    "保存图片",
    "学信账号",
    "学籍查询",
}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def _en_fields(model):
    return [f.name for f in model._meta.concrete_fields if f.name.endswith("_en")]


def test_every_notice_text_has_an_english_field():
    assert set(_en_fields(Campaign)) >= {
        "title_en",
        "intro_en",
        "participants_en",
        "dress_intro_en",
        "dress_rules_en",
        "print_spec_en",
        "issuer_en",
        "contact_office_en",
        "offsite_studio_name_en",
        "offsite_studio_address_en",
        "school_name_en",
        "capture_centre_en",
        "offsite_region_en",
    }
    assert set(_en_fields(CaptureSession)) == {
        "place_en",
        "campus_en",
        "entry_door_en",
        "exit_door_en",
    }
    assert _en_fields(TrainingUnit) == ["name_en"]


def test_the_fixture_carries_a_complete_english_translation(notice):
    for obj in [notice, *CaptureSession.objects.all(), *TrainingUnit.objects.all()]:
        for name in _en_fields(type(obj)):
            chinese, english = getattr(obj, name[:-3]), getattr(obj, name)
            if chinese:
                assert english, f"{type(obj).__name__} {obj.pk} {name}"
                assert not CJK.search(str(english)), f"{name}: {english}"
    assert len(notice.dress_rules_en) == len(notice.dress_rules) == 4
    assert all(rule["title"] and rule["text"] for rule in notice.dress_rules_en)
    assert notice.title_en == "Image capture of the 2025 expected graduates"
    # Phone numbers with their area code, callable from anywhere.
    assert all(phone.startswith("0311-") for phone in notice.contact_phones)
    session = CaptureSession.objects.get()
    assert (session.entry_door_en, session.exit_door_en) == ("south door", "north door")


def test_localised_shows_english_on_english_pages_and_falls_back_to_chinese(notice):
    unit = TrainingUnit.objects.get(name="法学院")
    with translation.override("en"):
        assert localised(unit, "name") == "School of Law"
        unit.name_en = ""
        assert localised(unit, "name") == "法学院"
        assert localised(None, "name") == ""
    with translation.override("zh-hans"):
        assert localised(notice, "title") == "2025届预计毕业生图像采集"
        assert localised(notice, "dress_rules") == notice.dress_rules


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_english_home_shows_the_english_texts_and_dates(english, notice):
    html = english.get("/").content.decode()
    assert '<html lang="en">' in html
    for text in (
        notice.title_en,
        notice.intro_en,
        notice.participants_en,
        notice.dress_rules_en[1]["text"],
        "Ground floor, Teaching Building No. 1",
        "south door",
        "School of Law",
        "Monday, 11 March 2024",
        "Hebei University of Economics and Business",
        "Xinhua News Agency Hebei Image Capture Centre",
        "0311-87657669",
    ):
        assert unescape(text) in unescape(html), text
    assert "法学院" not in html and "第一教学楼" not in html and "南门" not in html


def test_chinese_home_keeps_the_chinese_texts(client, notice):
    html = client.get("/").content.decode()
    assert "School of Law" not in html and "2024年3月11日 星期一" in html


@pytest.mark.parametrize(
    "model, field",
    [(Campaign, "title_en"), (CaptureSession, "entry_door_en"), (TrainingUnit, "name_en")],
)
def test_the_english_texts_are_edited_in_the_admin(admin_client, notice, model, field):
    obj = model.objects.first()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    assert f'name="{field}"' in admin_client.get(url).content.decode()


def test_next_years_campaign_takes_the_english_texts(notice, office):
    from sessions.services import campaign_copy_next

    new = campaign_copy_next(actor=office, campaign_id=notice.pk)
    assert new.title_en == "Image capture of the 2026 expected graduates"
    assert "2026" in new.participants_en and "2025" not in new.participants_en
    for name in ("dress_rules_en", "print_spec_en", "school_name_en", "offsite_studio_address_en"):
        assert getattr(new, name) == getattr(notice, name), name
    session = new.sessions.get()
    assert (session.place_en, session.entry_door_en) == (
        "Ground floor, Teaching Building No. 1",
        "south door",
    )


def test_the_calendar_entry_is_in_english_on_english_pages(english, english_pages):
    from icalendar import Calendar

    capture = english_pages[0]
    token = tokens.pass_token(capture.student_id, capture.campaign_id)
    response = english.get(reverse("pass_calendar", args=[token]))
    event = next(c for c in Calendar.from_ical(response.content).walk("VEVENT"))
    assert "Ground floor, Teaching Building No. 1" in str(event["location"])
    assert "south door" in str(event["location"])
    assert "School of Law" in str(event["summary"])


def test_seed_demo_carries_the_english_texts(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", "--students", "30", "--campuses", "2", stdout=StringIO())
    assert Campaign.objects.get(pk=1).title_en
    assert not TrainingUnit.objects.filter(name_en="").exists()
    assert not CaptureSession.objects.filter(place_en="").exists()
    assert not CaptureSession.objects.exclude(campus="").filter(campus_en="").exists()


# --- Done when: no Chinese on the English pages ---------------------------------------------


def visible_text(html):
    """What a reader (or a screen reader) gets: the title, the body's text, alt, aria-label,
    title and placeholder attributes."""
    title = re.findall(r"<title>(.*?)</title>", html, re.S)
    body = html.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    attributes = re.findall(r'\b(?:alt|aria-label|title|placeholder)="([^"]*)"', body)
    return unescape(" ".join([*title, re.sub(r"<[^>]+>", " ", body), *attributes]))


def chinese_left(html, allowed):
    """Each run of CJK characters (Chinese punctuation included) left on the page, with a
    little context, once. A run that is exactly one of the `allowed` names stays: a name
    run into Chinese words or punctuation ("张三同学", "法学院（") is reported."""
    text = visible_text(html)
    found = {}
    for m in CJK.finditer(text):
        if m.group() in allowed:
            continue
        context = re.sub(r"\s+", " ", text[max(0, m.start() - 25) : m.end() + 25]).strip()
        found.setdefault(m.group(), context)
    return found


@pytest.fixture
def english_pages(english, notice):
    law = TrainingUnit.objects.get(name="法学院")
    student = StudentFactory(student_no="202201010001", name="张三", unit=law)
    Coordinator.objects.create(
        campaign=notice,
        unit=law,
        position=1,
        name="李负责",
        phone="13800000001",
        registered_at=timezone.now(),
    )
    capture = Capture.objects.create(student=student, campaign=notice)
    token = tokens.pass_token(student.pk, notice.pk)
    return capture, {
        "home": "/",
        "guide": reverse("guide"),
        "offsite": reverse("offsite"),
        "student": reverse("student", args=[token]),
        "pass": reverse("pass", args=[token]),
    }


@pytest.mark.parametrize("status", ["expected", "absent", "photographed"])
def test_english_pages_have_no_chinese_but_names(english, english_pages, status):
    """Names of people, the language switch's own "简体中文", CHSI's button labels and the
    names of units without an English name are the only Chinese allowed. Until locale/en is
    complete this lists the untranslated strings, page by page."""
    capture, urls = english_pages
    Capture.objects.filter(pk=capture.pk).update(status=status, status_at=timezone.now())
    allowed = {"张三", "李负责", *CHSI_LABELS}
    allowed |= {name for code, name in settings.LANGUAGES if code != "en"}
    allowed |= set(TrainingUnit.objects.filter(name_en="").values_list("name", flat=True))
    left = {}
    for page, url in urls.items():
        response = english.get(url)
        assert response.status_code == 200, page
        found = chinese_left(response.content.decode(), allowed)
        if found:
            left[page] = found
    assert left == {}, "\n".join(
        f"{page}: {run!r} in “{context}”"
        for page, found in left.items()
        for run, context in found.items()
    )
