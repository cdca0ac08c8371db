"""Next year: a new campaign from this one (without its people), earlier campaigns stay
readable, and students photographed in an earlier campaign are recognised and exempted."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core import serializers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import history, selectors, services
from sessions.models import (
    Campaign,
    CampaignEvent,
    Capture,
    CaptureLog,
    CaptureSession,
    Coordinator,
    CoordinatorChange,
    CoordinatorLink,
    Device,
    RosterImport,
    SlotUnit,
    Station,
    TimeSlot,
    WalkIn,
)
from sessions.services.campaigns import (
    COHORT_TEXT_FIELDS,
    COPIED_FIELDS,
    DATES_MOVED,
    plus_one_year,
)
from tests.conftest import device_actor, pair_device
from tests.factories import (
    CampaignFactory,
    CaptureFactory,
    CaptureSessionFactory,
    StudentFactory,
    TrainingUnitFactory,
)
from tests.rosterfiles import xlsx
from tests.sessions.test_roster_import import GOOD
from units.models import TrainingUnit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
S = Capture.Status


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


@pytest.fixture
def busy(notice, office):
    """The notice's campaign in full swing: a second session with split placements, a
    make-up session, students with captures and logs, coordinators, a link, a device, a
    roster import and a walk-in. Issued and due on 29 February."""
    law, economics = TrainingUnit.objects.order_by("display_order")[:2]
    CaptureSession.objects.create(
        campaign=notice,
        date=dt.date(2024, 3, 25),
        start=dt.time(9, 0),
        end=dt.time(11, 0),
        place="补拍室",
        kind=CaptureSession.Kind.MAKEUP,
    )
    makeup = CaptureSession.objects.create(
        campaign=notice,
        date=dt.date(2024, 3, 20),
        start=dt.time(9, 0),
        end=dt.time(11, 0),
        place="图书馆报告厅",
        campus="西校区",
        kind=CaptureSession.Kind.REGULAR,
        allow_cross_session=True,
        cameras=1,
        schedule_published=True,
        closed_at=timezone.now(),
    )
    slot = TimeSlot.objects.create(session=makeup, start=dt.time(9, 0), end=dt.time(10, 0))
    SlotUnit.objects.create(
        session=makeup, slot=slot, unit=law, order=1, split_by="list", split_values=["S2025001"]
    )
    SlotUnit.objects.create(
        session=makeup, slot=slot, unit=economics, order=2, split_by="major", split_values=["金融"]
    )
    Station.objects.create(session=makeup, name="西门-1", kind=Station.Kind.PHOTOGRAPHED)
    pair_device(Station.objects.get(name="北门-1"))
    captured = CaptureFactory(
        campaign=notice, student=StudentFactory(student_no="S2025001", name="张一", unit=law)
    )
    services.capture_photograph(actor=Actor.system(), capture_id=captured.pk)
    CaptureFactory(
        campaign=notice, student=StudentFactory(student_no="S2025002", name="李二", unit=law)
    )
    services.coordinators_register(
        actor=office,
        campaign_id=notice.pk,
        unit_id=law.pk,
        entries=[
            services.CoordinatorEntry(position=1, name="王负责", phone="13900000001"),
            services.CoordinatorEntry(position=2, name="赵负责", phone="13900000002"),
        ],
    )
    services.coordinator_link_rotate(actor=office, campaign_id=notice.pk, unit_id=law.pk)
    notice.issued_on = dt.date(2024, 2, 29)
    notice.coordinator_deadline = dt.datetime(2024, 2, 29, 23, 59, tzinfo=SHANGHAI)
    notice.save()
    RosterImport.objects.create(campaign=notice, file_name="名单.xlsx", sha256="0" * 64)
    WalkIn.objects.create(
        session=makeup, student_no="S2025009", name="路人", recorded_at=timezone.now()
    )
    return notice


def _personal(campaign):
    return {
        "captures": Capture.objects.filter(campaign=campaign).count(),
        "logs": CaptureLog.objects.filter(capture__campaign=campaign).count(),
        "coordinators": Coordinator.objects.filter(campaign=campaign).count(),
        "coordinator changes": CoordinatorChange.objects.filter(campaign=campaign).count(),
        "links": CoordinatorLink.objects.filter(campaign=campaign).count(),
        "devices": Device.objects.filter(station__session__campaign=campaign).count(),
        "imports": RosterImport.objects.filter(campaign=campaign).count(),
        "walk-ins": WalkIn.objects.filter(session__campaign=campaign).count(),
    }


def test_the_copy_takes_the_notice_sessions_and_schedule_and_no_person(busy, office):
    source_personal = _personal(busy)
    assert all(source_personal.values()), source_personal  # the source had all of it

    new = services.campaign_copy_next(actor=office, campaign_id=busy.pk)

    new.refresh_from_db()
    assert (new.cohort, new.status) == (2026, Campaign.Status.DRAFT)
    assert new.title == "2026届预计毕业生图像采集"
    assert "2026 届预计毕业生" in new.intro and "2025" not in new.intro
    assert new.participants == "预计 2026 年毕业的研究生。"
    for name in COPIED_FIELDS:
        assert getattr(new, name) == getattr(busy, name), name
    assert new.dress_rules == busy.dress_rules and len(new.dress_rules) == 4
    assert new.offsite_studio_name == "新园摄影图片社" and new.school_code == "11832"
    # 29 February has no next-year twin: the 28th, at the same local time.
    assert new.issued_on == dt.date(2025, 2, 28)
    assert timezone.localtime(new.coordinator_deadline, SHANGHAI).replace(tzinfo=None) == (
        dt.datetime(2025, 2, 28, 23, 59)
    )

    # This year's make-up session (25 March) is not next year's plan.
    old_sessions = list(
        CaptureSession.objects.filter(campaign=busy, kind="regular").order_by("date")
    )
    new_sessions = list(CaptureSession.objects.filter(campaign=new).order_by("date"))
    assert [s.date for s in new_sessions] == [
        dt.date(2025, 3, 11),
        dt.date(2025, 3, 20),
    ]
    for old, copy in zip(old_sessions, new_sessions, strict=True):
        assert (copy.start, copy.end, copy.place, copy.campus, copy.kind) == (
            old.start,
            old.end,
            old.place,
            old.campus,
            old.kind,
        )
        assert (copy.cameras, copy.per_camera_per_minute, copy.allow_cross_session) == (
            old.cameras,
            old.per_camera_per_minute,
            old.allow_cross_session,
        )
        assert (copy.schedule_published, copy.closed_at) == (False, None)
        assert list(copy.slots.values_list("start", "end", "order")) == list(
            old.slots.values_list("start", "end", "order")
        )
        assert list(copy.stations.values_list("name", "kind", "order", "active")) == list(
            old.stations.values_list("name", "kind", "order", "active")
        )
    placements = lambda session: list(  # noqa: E731
        SlotUnit.objects.filter(session=session)
        .order_by("slot__order", "order")
        .values_list("slot__start", "unit_id", "order", "split_by", "split_values")
    )
    assert placements(new_sessions[0]) == placements(old_sessions[0])
    assert len(placements(new_sessions[0])) == 14
    law, economics = TrainingUnit.objects.order_by("display_order")[:2]
    assert placements(new_sessions[1]) == [
        (dt.time(9, 0), law.pk, 1, "", []),  # a list of students is not carried over
        (dt.time(9, 0), economics.pk, 2, "major", ["金融"]),
    ]

    assert _personal(new) == dict.fromkeys(source_personal, 0)
    assert _personal(busy) == source_personal  # the source is untouched
    copied = serializers.serialize(
        "json",
        [
            new,
            *new_sessions,
            *TimeSlot.objects.filter(session__campaign=new),
            *SlotUnit.objects.filter(session__campaign=new),
            *Station.objects.filter(session__campaign=new),
        ],
    )
    for number in ("S2025001", "S2025002", "S2025009"):
        assert number not in copied
    assert "13900000001" not in copied and "王负责" not in copied

    event = CampaignEvent.objects.get(campaign=new)
    assert event.action == "copied" and event.actor == office.user
    assert busy.title in event.note


def test_every_campaign_field_is_copied_or_set_on_purpose():
    """A new notice field must be decided on: copied to next year or not."""
    set_by_the_copy = {"id", "cohort", "status", "coordinator_deadline", "issued_on", "created_at"}
    fields = {f.name for f in Campaign._meta.concrete_fields}
    assert fields == (
        set(COPIED_FIELDS) | set(COHORT_TEXT_FIELDS) | set(DATES_MOVED) | set_by_the_copy
    )


def test_plus_one_year_keeps_the_day_except_29_february():
    assert plus_one_year(dt.date(2024, 3, 11)) == dt.date(2025, 3, 11)
    assert plus_one_year(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    assert plus_one_year(dt.date(2023, 2, 28)) == dt.date(2024, 2, 28)
    assert plus_one_year(None) is None


def test_only_the_office_starts_next_year(notice, counsellor):
    for actor in (counsellor, device_actor(notice), Actor.coordinator_link(1)):
        with pytest.raises(DomainError) as err:
            services.campaign_copy_next(actor=actor, campaign_id=notice.pk)
        assert err.value.code == "forbidden"
    assert Campaign.objects.count() == 1


def test_next_year_is_made_once(notice, office):
    services.campaign_copy_next(actor=office, campaign_id=notice.pk)
    before = (Campaign.objects.count(), CaptureSession.objects.count(), Station.objects.count())
    with pytest.raises(DomainError) as err:  # a second click
        services.campaign_copy_next(actor=office, campaign_id=notice.pk)
    assert err.value.code == "exists"
    assert (
        Campaign.objects.count(),
        CaptureSession.objects.count(),
        Station.objects.count(),
    ) == before
    with pytest.raises(DomainError) as err:
        services.campaign_copy_next(actor=office, campaign_id=99999)
    assert err.value.code == "not_found"


def test_the_office_keeps_working_on_the_published_campaign(notice, office):
    new = services.campaign_copy_next(actor=office, campaign_id=notice.pk)
    assert selectors.office_campaign() == notice  # not next year's draft
    services.campaign_step(actor=office, campaign_id=notice.pk, action="close")
    assert selectors.office_campaign() == new  # the draft, once this year has closed
    services.campaign_step(actor=office, campaign_id=new.pk, action="publish")
    assert selectors.office_campaign() == new


def test_office_campaign_order():
    assert selectors.office_campaign() is None
    closed = CampaignFactory(cohort=2027, status=Campaign.Status.CLOSED)
    assert selectors.office_campaign() == closed
    older_draft = CampaignFactory(cohort=2025, status=Campaign.Status.DRAFT)
    draft = CampaignFactory(cohort=2026, status=Campaign.Status.DRAFT)
    assert selectors.office_campaign() == draft
    older = CampaignFactory(cohort=2024, status=Campaign.Status.PUBLISHED)
    assert selectors.office_campaign() == older
    newer = CampaignFactory(cohort=2024, status=Campaign.Status.PUBLISHED)
    assert selectors.office_campaign() == newer
    assert older_draft != selectors.office_campaign()


def test_the_copy_button(office_client, notice):
    index = office_client.get(reverse("staff:index")).content.decode()
    assert 'id="campaign-copy"' in index and reverse("staff:campaign_copy") in index
    assert reverse("staff:campaigns") in index
    response = office_client.post(reverse("staff:campaign_copy"), {"campaign_id": notice.pk})
    new = Campaign.objects.get(cohort=2026)
    assert response.status_code == 302 and response["Location"] == reverse("staff:campaigns")
    page = office_client.get(response["Location"]).content.decode()
    assert reverse("admin:capture_sessions_campaign_change", args=[new.pk]) in page
    assert "已新建草稿" in page and new.title in page
    # The dashboard stays on this year's campaign.
    assert notice.title in office_client.get(reverse("staff:index")).content.decode()
    again = office_client.post(reverse("staff:campaign_copy"), {"campaign_id": notice.pk})
    assert again["Location"] == reverse("staff:index")
    assert "已经存在" in office_client.get(again["Location"]).content.decode()
    assert Campaign.objects.count() == 2


# --- earlier campaigns ------------------------------------------------------------------


def _campaign_with_students(cohort, statuses):
    campaign = CampaignFactory(
        cohort=cohort, title=f"{cohort}届预计毕业生图像采集", status=Campaign.Status.CLOSED
    )
    CaptureSessionFactory(campaign=campaign, campus="东校区", date=dt.date(cohort - 1, 3, 11))
    unit = TrainingUnitFactory()
    for i, status in enumerate(statuses):
        CaptureFactory(
            campaign=campaign,
            student=StudentFactory(student_no=f"{cohort}{i:06d}", unit=unit, cohort=cohort),
            status=status,
        )
    return campaign


def test_the_campaigns_page_lists_every_campaign_with_counts(office_client):
    old = _campaign_with_students(2023, [S.PHOTOGRAPHED, S.PHOTOGRAPHED, S.OFFSITE])
    current = _campaign_with_students(2024, [S.EXPECTED])
    current.status = Campaign.Status.PUBLISHED
    current.save()
    html = office_client.get(reverse("staff:campaigns")).content.decode()
    assert html.index("2024届预计毕业生图像采集") < html.index("2023届预计毕业生图像采集")
    section = html[html.index(f'id="campaign-{old.pk}"') :]
    assert "已结束" in section and "东校区" in section and "2022-03-11" in section
    assert '<span class="n">2</span> 已采集' in section
    assert '<span class="n">1</span> 分散采集' in section
    assert reverse("staff:campaign_roster_xlsx", args=[old.pk]) in section


def test_the_campaigns_page_reads_a_fixed_number_of_queries(office_client):
    def queries():
        office_client.get(reverse("staff:campaigns"))  # warm the session and the user
        with CaptureQueriesContext(connection) as ctx:
            assert office_client.get(reverse("staff:campaigns")).status_code == 200
        return len(ctx.captured_queries)

    for cohort in (2020, 2021):
        _campaign_with_students(cohort, [S.PHOTOGRAPHED, S.EXPECTED])
    two = queries()
    for cohort in (2022, 2023, 2024, 2025):
        _campaign_with_students(cohort, [S.VERIFIED, S.ABSENT, S.EXEMPT])
    assert queries() == two


def test_an_earlier_campaigns_roster_exports_to_excel(office_client):
    old = _campaign_with_students(2023, [S.PHOTOGRAPHED, S.VERIFIED])
    _campaign_with_students(2024, [S.EXPECTED])
    response = office_client.get(reverse("staff:campaign_roster_xlsx", args=[old.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("培养单位", "学号", "姓名")
    assert sorted((r[1], r[5]) for r in rows[1:]) == [
        ("2023000000", "已采集"),
        ("2023000001", "已核实"),
    ]
    missing = office_client.get(reverse("staff:campaign_roster_xlsx", args=[99999]))
    assert missing.status_code == 404


# --- already photographed in an earlier campaign -------------------------------------------


@pytest.fixture
def earlier(notice):
    """Last year's campaign (closed), in which 张三 was photographed and 李四's off-site
    photo verified; 王五 never came."""
    campaign = CampaignFactory(cohort=2024, title="2024届", status=Campaign.Status.CLOSED)
    units = {u.name: u for u in TrainingUnit.objects.all()}
    for (number, name, unit, *_rest), status in zip(
        GOOD, [S.PHOTOGRAPHED, S.VERIFIED, S.ABSENT], strict=True
    ):
        CaptureFactory(
            campaign=campaign,
            student=StudentFactory(student_no=number, name=name, unit=units[unit], cohort=2024),
            status=status,
        )
    return campaign


def _preview(office, campaign):
    return services.roster_import_preview(
        actor=office, campaign_id=campaign.pk, file_name="roster.xlsx", data=xlsx(GOOD)
    )


def test_the_preview_flags_students_with_an_image_from_an_earlier_campaign(
    office_client, office, notice, earlier
):
    preview = _preview(office, notice)
    summary = preview.upload.summary
    assert summary["already_photographed"] == 2
    assert summary["already_photographed_sample"] == [
        ["202201010001", "张三"],
        ["202201010002", "李四"],
    ]
    page = office_client.get(reverse("staff:roster_preview", args=[preview.upload.pk]))
    html = page.content.decode()
    assert 'id="count-already-photographed">2<' in html and "已有毕业图像" in html
    assert reverse("staff:exempt_already_photographed") not in html  # not before the commit
    # A campaign's own photographs do not count: only another campaign's.
    numbers = [row[0] for row in GOOD]
    assert history.already_photographed_numbers(numbers, earlier.pk) == set()


def test_one_click_exempts_them_once(office_client, office, notice, earlier):
    preview = _preview(office, notice)
    services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    assert RosterImport.objects.get(pk=preview.upload.pk).summary["already_photographed"] == 2
    html = office_client.get(reverse("staff:roster_preview", args=[preview.upload.pk])).content
    assert "一键免采：已有毕业图像（2 人）" in html.decode()
    earlier_before = list(Capture.objects.filter(campaign=earlier).values_list("status"))

    url = reverse("staff:exempt_already_photographed")
    form = {"campaign_id": notice.pk, "import_id": preview.upload.pk}
    response = office_client.post(url, form)
    assert response["Location"] == reverse("staff:roster_preview", args=[preview.upload.pk])
    exempt = Capture.objects.filter(campaign=notice, status=S.EXEMPT)
    assert sorted(exempt.values_list("student__student_no", flat=True)) == [
        "202201010001",
        "202201010002",
    ]
    assert Capture.objects.get(campaign=notice, student__student_no="202202010001").status == (
        S.EXPECTED
    )
    logs = CaptureLog.objects.filter(capture__campaign=notice, action="exempt")
    assert sorted(logs.values_list("note", "from_status")) == [
        ("已有毕业图像", "expected"),
        ("已有毕业图像", "expected"),
    ]
    assert "已将 2 名" in office_client.get(response["Location"]).content.decode()

    again = office_client.post(url, form)  # a second click changes nothing
    assert CaptureLog.objects.filter(capture__campaign=notice).count() == 2
    assert "没有需要免采的学生" in office_client.get(again["Location"]).content.decode()
    assert services.captures_exempt_already_photographed(actor=office, campaign_id=notice.pk) == 0
    assert list(Capture.objects.filter(campaign=earlier).values_list("status")) == earlier_before


def test_a_student_photographed_this_year_too_keeps_the_photograph(office, notice, earlier):
    preview = _preview(office, notice)
    services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    zhang = Capture.objects.get(campaign=notice, student__student_no="202201010001")
    services.capture_photograph(actor=Actor.system(), capture_id=zhang.pk)
    assert services.captures_exempt_already_photographed(actor=office, campaign_id=notice.pk) == 1
    zhang.refresh_from_db()
    assert zhang.status == S.PHOTOGRAPHED


def test_only_the_office_exempts_and_not_in_a_closed_campaign(office, counsellor, notice, earlier):
    preview = _preview(office, notice)
    services.roster_import_commit(actor=office, import_id=preview.upload.pk)
    for actor in (counsellor, device_actor(notice)):
        with pytest.raises(DomainError) as err:
            services.captures_exempt_already_photographed(actor=actor, campaign_id=notice.pk)
        assert err.value.code == "forbidden"
    with pytest.raises(DomainError) as err:
        services.captures_exempt_already_photographed(actor=office, campaign_id=earlier.pk)
    assert err.value.code == "campaign_closed"
    assert not Capture.objects.filter(status=S.EXEMPT).exists()


def test_a_draft_is_not_copied(notice, office):
    notice.status = Campaign.Status.DRAFT
    notice.save()
    with pytest.raises(DomainError) as refused:
        services.campaign_copy_next(actor=office, campaign_id=notice.pk)
    assert refused.value.code == "draft"
    assert Campaign.objects.count() == 1
