"""Money shows as "20 元", not "20.00 元": one formatter (capture_portal.money) behind the
`money` template filter, the texts built in Python and the exports."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse

from capture_portal.money import XLSX_YUAN, XLSX_YUAN_CENTS, format_money, xlsx_money_format
from sessions.models import Campaign

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("20.00"), "20"),
        (Decimal("45"), "45"),
        (Decimal("20.50"), "20.50"),
        (Decimal("20.5"), "20.50"),
        (Decimal("-20.00"), "-20"),
        (Decimal("-0.00"), "0"),
        (Decimal("1234.56"), "1234.56"),
        (20, "20"),
        (20.5, "20.50"),
        (None, ""),
    ],
)
def test_format_money(value, shown):
    assert format_money(value) == shown
    assert Template("{% load money %}{{ v|money }}").render(Context({"v": value})) == shown


def test_xlsx_money_format_keeps_cents_only_when_there_are_some():
    assert xlsx_money_format(Decimal("40.00")) == XLSX_YUAN == '#,##0" 元"'
    assert xlsx_money_format(Decimal("40.50")) == XLSX_YUAN_CENTS


def test_no_template_formats_money_by_hand():
    """Every fee or amount in a template goes through |money (a floatformat would be a
    second rule, and a bare Decimal prints 20.00)."""
    offenders = []
    for path in ROOT.glob("*/templates/**/*.html"):
        text = path.read_text()
        for m in re.finditer(r"(fee|amount|balance)\w*\|floatformat", text):
            offenders.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
        money = r"fee|amount|balance|collected|refunds_owed|handed_over|difference"
        for m in re.finditer(rf"\{{\{{\s*\w+\.[\w.]*(?:{money})\w*\s*\}}\}}", text):
            offenders.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
        if path.name == "reconciliation.html":  # every figure there but the counts is money
            for m in re.finditer(r"\{\{\s*\w+\.expected\s*\}\}", text):
                offenders.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert offenders == []


def test_the_notice_shows_whole_yuan_and_cents_when_there_are_some(client, notice):
    html = client.get(reverse("home")).content.decode()
    assert re.search(r"\b20 ?元/人", html) and re.search(r"\b45 ?元/人", html)
    assert "20.00" not in html and "45.00" not in html
    Campaign.objects.update(onsite_fee=Decimal("20.50"), offsite_fee=Decimal("45.5"))
    html = client.get(reverse("home")).content.decode()
    assert re.search(r"20\.50 ?元/人", html) and re.search(r"45\.50 ?元/人", html)
    assert re.search(r"45\.50 ?元/人", client.get(reverse("offsite")).content.decode())


def test_the_group_message_uses_the_same_rule(notice):
    from sessions.messages import unit_messages
    from units.models import TrainingUnit

    law = TrainingUnit.objects.get(name="法学院")
    [group] = unit_messages(law, notice, "https://photo.example.edu")
    assert "费用 20 元/人" in group.zh and "20.00" not in group.zh
    notice.onsite_fee = Decimal("20.50")
    [group] = unit_messages(law, notice, "https://photo.example.edu")
    assert "费用 20.50 元/人" in group.zh  # was "20.5": cents keep two digits


def test_the_student_page_and_calendar_entry_use_the_same_rule(client, notice):
    from icalendar import Calendar

    from sessions import tokens
    from sessions.models import Capture
    from tests.factories import StudentFactory
    from units.models import TrainingUnit

    law = TrainingUnit.objects.get(name="法学院")
    capture = Capture.objects.create(student=StudentFactory(unit=law), campaign=notice)
    token = tokens.pass_token(capture.student_id, capture.campaign_id)
    Campaign.objects.update(onsite_fee=Decimal("20.50"))
    html = client.get(reverse("student", args=[token])).content.decode()
    assert "20.50 元" in html
    ics = client.get(reverse("pass_calendar", args=[token])).content
    event = next(c for c in Calendar.from_ical(ics).walk("VEVENT"))
    assert "费用 20.50 元" in str(event["description"])  # was "20.5" (format :g)
    Campaign.objects.update(onsite_fee=Decimal("20.00"))
    html = client.get(reverse("student", args=[token])).content.decode()
    assert "20 元" in html and "20.00" not in html
