"""Privacy at the edges (issue 12, point 6): a page sends only the personal data it shows,
and no cache keeps a page or an export with personal data (Cache-Control: no-store)."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from sessions import services
from sessions.models import Campaign, Capture, CaptureSession, RosterImport
from sessions.tokens import pass_token
from tests.factories import StudentFactory
from units.models import TrainingUnit

FULL_NO = "2024210987654"


@pytest.fixture
def world(db, office, office_user, counsellor_user):
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    unit = TrainingUnit.objects.order_by("display_order").first()
    counsellor_user.unit_memberships.update(unit=unit)
    capture = Capture.objects.create(
        student=StudentFactory(unit=unit, student_no=FULL_NO, name="隐私边界"), campaign=campaign
    )
    link = services.coordinator_link_rotate(actor=office, campaign_id=campaign.pk, unit_id=unit.pk)
    return {
        "unit_id": unit.pk,
        "session_id": CaptureSession.objects.get().pk,
        "campaign_id": campaign.pk,
        "pk": RosterImport.objects.create(
            campaign=campaign, file_name="x.xlsx", sha256="0" * 64
        ).pk,
        "token": pass_token(capture.student_id, campaign.pk),
        "link": link,
        "clients": {
            "anonymous": Client(),
            "office": _logged_in(office_user),
            "counsellor": _logged_in(counsellor_user),
        },
    }


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_coordinator_page_sends_only_the_last_four_digits(world):
    response = world["clients"]["anonymous"].get(
        reverse("payments:coordinator", args=[world["link"]])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "隐私边界" in html and "…7654" in html
    assert FULL_NO not in html
    # The filter still finds the row by what the page shows.
    assert 'data-search="7654 隐私边界"' in html


def test_the_counsellor_fee_page_keeps_the_full_number(world):
    response = world["clients"]["counsellor"].get(
        reverse("payments:unit_fees", args=[world["unit_id"]])
    )
    assert FULL_NO in response.content.decode()


# (route name, URL kwargs taken from the world, who asks)
PERSONAL = [
    ("student", {"token": "token"}, "anonymous"),
    ("pass", {"token": "token"}, "anonymous"),
    ("pass_qr", {"token": "token"}, "anonymous"),
    ("pass_calendar", {"token": "token"}, "anonymous"),
    ("payments:coordinator", {"token": "link"}, "anonymous"),
    ("payments:unit_fees", {"unit_id": "unit_id"}, "counsellor"),
    ("payments:reconciliation", {}, "office"),
    # Every export.
    ("payments:reconciliation_xlsx", {}, "office"),
    ("staff:roster_xlsx", {}, "office"),
    ("staff:campaign_roster_xlsx", {"campaign_id": "campaign_id"}, "office"),
    ("staff:absentees_xlsx", {}, "office"),
    ("staff:schedule_xlsx", {"session_id": "session_id"}, "office"),
    ("staff:coordinators_xlsx", {}, "office"),
    ("staff:shooting_numbers_xlsx", {"session_id": "session_id"}, "office"),
    ("unit:roster_xlsx", {"unit_id": "unit_id"}, "counsellor"),
    ("staff:exceptions_xlsx", {}, "office"),
    ("staff:paper_sheet_xlsx", {"session_id": "session_id", "unit_id": "unit_id"}, "office"),
    ("staff:photos_zip", {}, "office"),
    ("unit:photos_zip", {"unit_id": "unit_id"}, "counsellor"),
    # The counsellor's pages and the office's pages with names, numbers or phones.
    ("unit:detail", {"unit_id": "unit_id"}, "counsellor"),
    ("unit:coordinators", {"unit_id": "unit_id"}, "counsellor"),
    ("staff:roster_import", {}, "office"),
    ("staff:roster_preview", {"pk": "pk"}, "office"),
    ("staff:coordinators", {}, "office"),
    ("staff:live", {"session_id": "session_id"}, "office"),
    ("staff:shooting_numbers", {"session_id": "session_id"}, "office"),
    ("staff:exceptions", {}, "office"),
    ("staff:confirmation_import", {}, "office"),
    ("unit:confirmation", {"unit_id": "unit_id"}, "counsellor"),
    ("unit:prints", {"unit_id": "unit_id"}, "counsellor"),
    ("staff:offsite_followup", {}, "office"),
    ("staff:prints", {}, "office"),
    ("staff:photos", {}, "office"),
    ("staff:photos_unit", {"unit_id": "unit_id"}, "office"),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "who"),
    PERSONAL,
    ids=[f"{name}-{who}" for name, _kw, who in PERSONAL],
)
def test_pages_and_exports_with_personal_data_are_not_stored(world, name, kwargs, who):
    url = reverse(name, kwargs={k: world[v] for k, v in kwargs.items()})
    response = world["clients"][who].get(url)
    assert response.status_code == 200
    assert "no-store" in response.get("Cache-Control", ""), response.get("Cache-Control")


def _names(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _names(p.url_patterns, ns)
        elif p.name:
            yield namespace + p.name


def test_every_export_is_in_the_list():
    exports = {n for n in _names(get_resolver().url_patterns) if n.endswith(("_xlsx", "_zip"))}
    assert exports <= {name for name, _kw, _who in PERSONAL}
