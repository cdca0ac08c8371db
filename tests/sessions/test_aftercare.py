"""After the day (issue 14, points 4–6): the off-site follow-up, the prints, and the
after-the-day states on the unit's and the coordinator's pages and in the exports."""

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import aftercare_selectors, services
from sessions.models import Campaign, Capture, CaptureLog, ChsiState, UnitPrints
from tests.conftest import analyze_after_bulk
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from units.models import Student, TrainingUnit

S = Capture.Status


@pytest.fixture
def law(notice):
    return TrainingUnit.objects.get(name="法学院")


@pytest.fixture
def economics(notice):
    return TrainingUnit.objects.get(name="经济学院")


@pytest.fixture
def law_counsellor(law):
    return MembershipFactory(user=UserFactory(username="law-counsellor"), unit=law).user


@pytest.fixture
def economics_counsellor(economics):
    return MembershipFactory(user=UserFactory(username="eco-counsellor"), unit=economics).user


def _capture(campaign, unit, status=S.EXPECTED, name="学生", phone="", no=None):
    extra = {"student_no": no} if no else {}
    return Capture.objects.create(
        student=StudentFactory(unit=unit, name=name, phone=phone, **extra),
        campaign=campaign,
        status=status,
    )


def _offsite(counsellor_user, campaign, unit, name, reason, phone=""):
    capture = _capture(campaign, unit, name=name, phone=phone)
    services.capture_send_offsite(
        actor=Actor.of(counsellor_user), capture_id=capture.pk, note=reason
    )
    capture.refresh_from_db()
    return capture


def _deadline(campaign, days_from_today):
    Campaign.objects.filter(pk=campaign.pk).update(
        offsite_deadline=timezone.localdate() + dt.timedelta(days=days_from_today)
    )
    campaign.refresh_from_db()


def _logged_in(client, user):
    client.force_login(user)
    return client


# --- the off-site follow-up ------------------------------------------------------------------


def test_offsite_standing_around_the_deadline(notice):
    notice.offsite_deadline = dt.date(2024, 4, 30)
    standing = aftercare_selectors.offsite_standing
    assert standing(notice, dt.date(2024, 4, 20)) == ""
    assert standing(notice, dt.date(2024, 4, 23)) == "due_soon"
    assert standing(notice, dt.date(2024, 4, 30)) == "due_soon"  # the deadline day still counts
    assert standing(notice, dt.date(2024, 5, 1)) == "overdue"
    notice.offsite_deadline = None
    assert standing(notice, dt.date(2030, 1, 1)) == ""


@pytest.fixture
def offsite_world(notice, law, economics, law_counsellor, economics_counsellor):
    """法学院: 甲 off-site (with phone), 乙 sheet received, 丙 verified, 丁 photographed;
    经济学院: 戊 off-site."""
    jia = _offsite(law_counsellor, notice, law, "甲", "实习在外地", phone="13800001111")
    yi = _offsite(law_counsellor, notice, law, "乙", "出国交流")
    services.capture_receive_sheet(actor=Actor.of(law_counsellor), capture_id=yi.pk)
    bing = _offsite(law_counsellor, notice, law, "丙", "生病")
    services.capture_receive_sheet(actor=Actor.of(law_counsellor), capture_id=bing.pk)
    services.capture_verify_sheet(actor=Actor.of(law_counsellor), capture_id=bing.pk)
    ding = _capture(notice, law, S.PHOTOGRAPHED, name="丁")
    wu = _offsite(economics_counsellor, notice, economics, "戊", "在外地工作", phone="13900002222")
    return {"jia": jia, "yi": yi, "bing": bing, "ding": ding, "wu": wu}


def test_the_office_sees_exactly_the_overdue_students_after_the_deadline(
    client, office_user, notice, law, economics, offsite_world
):
    _deadline(notice, -1)
    response = _logged_in(client, office_user).get(reverse("staff:offsite_followup"))
    assert response.status_code == 200
    followup = response.context["followup"]
    assert followup.standing == "overdue"
    assert [c.pk for c in followup.pending] == [offsite_world["jia"].pk, offsite_world["wu"].pk]
    units = {u.name: (u.offsite, u.sheet_received, u.verified, u.overdue) for u in followup.units}
    assert units == {"法学院": (1, 1, 1, 1), "经济学院": (1, 0, 0, 1)}
    assert (followup.total.offsite, followup.total.overdue) == (2, 2)
    html = response.content.decode()
    assert "逾期未交的学生" in html
    assert "实习在外地" in html and "在外地工作" in html
    # Since when: the time the student went off-site.
    since = timezone.localtime(offsite_world["jia"].status_at)
    assert f'{since:%Y-%m-%d}</span> <span class="nowrap">{since:%H:%M}' in html
    for received in ("yi", "bing", "ding"):
        assert f'id="o{offsite_world[received].pk}"' not in html


def test_nobody_is_overdue_before_the_deadline(client, office_user, notice, offsite_world):
    _deadline(notice, 3)
    followup = (
        _logged_in(client, office_user).get(reverse("staff:offsite_followup")).context["followup"]
    )
    assert followup.standing == "due_soon" and followup.days_left == 3
    assert followup.total.overdue == 0
    assert len(followup.pending) == 2  # still waiting, not overdue
    _deadline(notice, 30)
    followup = client.get(reverse("staff:offsite_followup")).context["followup"]
    assert followup.standing == "" and followup.total.overdue == 0


def test_the_counsellor_sees_the_units_overdue_students_with_phones(
    client, law_counsellor, notice, law, economics, offsite_world
):
    _deadline(notice, -2)
    response = _logged_in(client, law_counsellor).get(reverse("unit:detail", args=[law.pk]))
    html = response.content.decode()
    pending = response.context["offsite_pending"]
    assert [c.pk for c in pending.captures] == [offsite_world["jia"].pk]
    assert pending.standing == "overdue"
    assert "分散采集跟进" in html
    assert 'href="tel:13800001111"' in html
    assert "逾期未交" in html and notice.offsite_deadline.strftime("%Y-%m-%d") in html
    # Another unit's off-site student is not there, nor her phone.
    assert "13900002222" not in html
    assert client.get(reverse("unit:detail", args=[economics.pk])).status_code == 404


def test_the_unit_page_has_no_followup_when_every_sheet_is_in(
    client, law_counsellor, notice, law, offsite_world
):
    services.capture_receive_sheet(
        actor=Actor.of(law_counsellor), capture_id=offsite_world["jia"].pk
    )
    response = _logged_in(client, law_counsellor).get(reverse("unit:detail", args=[law.pk]))
    assert 'id="offsite-followup"' not in response.content.decode()


# --- prints: the services ---------------------------------------------------------------------


def test_prints_arrived_is_idempotent(law_counsellor, notice, law):
    actor = Actor.of(law_counsellor)
    first = services.prints_arrived(actor=actor, campaign_id=notice.pk, unit_id=law.pk)
    again = services.prints_arrived(actor=actor, campaign_id=notice.pk, unit_id=law.pk)
    assert first.changed and not again.changed
    assert first.prints.pk == again.prints.pk
    prints = UnitPrints.objects.get()
    assert (prints.unit_id, prints.recorded_by) == (law.pk, law_counsellor)


def test_prints_arrived_is_for_the_unit_only(law_counsellor, notice, law, economics, office):
    for actor in (Actor.of(law_counsellor), Actor.coordinator_link(law.pk)):
        with pytest.raises(DomainError) as refused:
            services.prints_arrived(actor=actor, campaign_id=notice.pk, unit_id=economics.pk)
        assert refused.value.code == "not_found"
    assert not UnitPrints.objects.exists()
    link = services.prints_arrived(
        actor=Actor.coordinator_link(law.pk), campaign_id=notice.pk, unit_id=law.pk
    )
    assert link.changed and link.prints.recorded_label == f"coordinator-link:{law.pk}"
    assert services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=economics.pk)
    Campaign.objects.filter(pk=notice.pk).update(status=Campaign.Status.CLOSED)
    with pytest.raises(DomainError) as refused:
        services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=law.pk)
    assert refused.value.code == "campaign_closed"


@pytest.fixture
def photographed(notice, law):
    return [_capture(notice, law, S.PHOTOGRAPHED, name=f"拍{i}") for i in range(3)]


def _received(captures):
    return {
        c.pk
        for c in Capture.objects.filter(pk__in=[c.pk for c in captures]).exclude(
            print_received_at=None
        )
    }


def test_prints_cannot_be_ticked_before_they_arrive(law_counsellor, notice, photographed):
    with pytest.raises(DomainError) as refused:
        services.prints_received(actor=Actor.of(law_counsellor), capture_ids=[photographed[0].pk])
    assert refused.value.code == "not_arrived"
    assert _received(photographed) == set()


def test_tick_untick_and_bulk_tick_write_one_log_per_change(
    law_counsellor, notice, law, photographed
):
    actor = Actor.of(law_counsellor)
    a, b, c = photographed
    services.prints_arrived(actor=actor, campaign_id=notice.pk, unit_id=law.pk)
    assert services.prints_received(actor=actor, capture_ids=[a.pk]) == 1
    assert services.prints_received(actor=actor, capture_ids=[a.pk]) == 0  # a double tick
    assert services.prints_received(actor=actor, capture_ids=[a.pk, b.pk, c.pk]) == 2
    assert _received(photographed) == {a.pk, b.pk, c.pk}
    assert services.prints_received(actor=actor, capture_ids=[b.pk], received=False) == 1
    assert services.prints_received(actor=actor, capture_ids=[b.pk], received=False) == 0
    assert _received(photographed) == {a.pk, c.pk}
    logs = list(
        CaptureLog.objects.filter(action="print_received")
        .order_by("id")
        .values_list("capture_id", "note", "from_status", "to_status", "actor_user")
    )
    assert logs == [
        (a.pk, "已领取", S.PHOTOGRAPHED, S.PHOTOGRAPHED, law_counsellor.pk),
        (b.pk, "已领取", S.PHOTOGRAPHED, S.PHOTOGRAPHED, law_counsellor.pk),
        (c.pk, "已领取", S.PHOTOGRAPHED, S.PHOTOGRAPHED, law_counsellor.pk),
        (b.pk, "撤销领取", S.PHOTOGRAPHED, S.PHOTOGRAPHED, law_counsellor.pk),
    ]
    # The capture status itself never moves.
    assert set(Capture.objects.values_list("status", flat=True)) == {S.PHOTOGRAPHED}


@pytest.mark.parametrize("status", [S.EXPECTED, S.ABSENT, S.OFFSITE, S.VERIFIED, S.EXEMPT])
def test_a_student_without_prints_cannot_be_ticked(law_counsellor, notice, law, status):
    actor = Actor.of(law_counsellor)
    services.prints_arrived(actor=actor, campaign_id=notice.pk, unit_id=law.pk)
    good = _capture(notice, law, S.PHOTOGRAPHED)
    bad = _capture(notice, law, status, name="无照片")
    with pytest.raises(DomainError) as refused:
        services.prints_received(actor=actor, capture_ids=[good.pk, bad.pk])
    assert refused.value.code == "not_allowed" and "无照片" in refused.value.message
    assert refused.value.details["capture"].pk == bad.pk
    # All or nothing: the photographed student in the same tick is not recorded either.
    assert _received([good, bad]) == set()
    assert not CaptureLog.objects.filter(action="print_received").exists()


def test_a_received_student_whose_photo_is_redone_can_still_be_unticked(
    law_counsellor, notice, law, photographed
):
    actor = Actor.of(law_counsellor)
    services.prints_arrived(actor=actor, campaign_id=notice.pk, unit_id=law.pk)
    services.prints_received(actor=actor, capture_ids=[photographed[0].pk])
    Capture.objects.filter(pk=photographed[0].pk).update(status=S.EXPECTED)
    assert (
        services.prints_received(actor=actor, capture_ids=[photographed[0].pk], received=False) == 1
    )


def test_ticks_stay_inside_the_actors_unit(
    law_counsellor, economics_counsellor, notice, law, economics, photographed, office
):
    services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=law.pk)
    ids = [photographed[0].pk]
    for actor in (Actor.of(economics_counsellor), Actor.coordinator_link(economics.pk)):
        with pytest.raises(DomainError) as refused:
            services.prints_received(actor=actor, capture_ids=ids)
        assert refused.value.code == "not_found"
    other = _capture(notice, economics, S.PHOTOGRAPHED)
    with pytest.raises(DomainError) as refused:
        services.prints_received(actor=office, capture_ids=[photographed[0].pk, other.pk])
    assert refused.value.code == "invalid"
    # A link mixing in another unit's student learns nothing of it.
    with pytest.raises(DomainError) as refused:
        services.prints_received(
            actor=Actor.coordinator_link(law.pk), capture_ids=[photographed[0].pk, other.pk]
        )
    assert refused.value.code == "not_found"
    with pytest.raises(DomainError) as refused:
        services.prints_received(actor=office, capture_ids=[])
    assert refused.value.code == "invalid"
    Student.objects.filter(pk=photographed[1].student_id).update(withdrawn=True)
    with pytest.raises(DomainError) as refused:
        services.prints_received(actor=office, capture_ids=[photographed[1].pk])
    assert refused.value.code == "not_found"
    assert _received(photographed + [other]) == set()
    # The unit's own link may.
    assert services.prints_received(actor=Actor.coordinator_link(law.pk), capture_ids=ids) == 1


def test_a_closed_campaign_takes_no_ticks(office, notice, law, photographed):
    services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=law.pk)
    Campaign.objects.filter(pk=notice.pk).update(status=Campaign.Status.CLOSED)
    with pytest.raises(DomainError) as refused:
        services.prints_received(actor=office, capture_ids=[photographed[0].pk])
    assert refused.value.code == "campaign_closed"


# --- prints: the pages ------------------------------------------------------------------------


def test_counsellor_records_arrival_and_ticks_on_the_prints_page(
    client, law_counsellor, notice, law, photographed
):
    a, b, c = photographed
    url = reverse("unit:prints", args=[law.pk])
    client = _logged_in(client, law_counsellor)
    page = client.get(url).content.decode()
    assert "登记照片已到" in page and 'name="capture_id"' not in page
    client.post(url, {"action": "arrived"})
    assert UnitPrints.objects.filter(unit=law).exists()
    page = client.get(url).content.decode()
    assert f'name="capture_id" value="{a.pk}"' in page and "全部登记为已领取（3 人）" in page
    response = client.post(url, {"action": "tick", "capture_id": [a.pk, b.pk]}, follow=True)
    assert "已登记 2 名学生领取照片。" in response.content.decode()
    assert _received(photographed) == {a.pk, b.pk}
    client.post(url, {"action": "untick", "untick": a.pk})
    assert _received(photographed) == {b.pk}
    client.post(url, {"action": "tick_all"})
    assert _received(photographed) == {a.pk, b.pk, c.pk}
    sheet = client.get(url).context["prints"]
    assert (sheet.received, sheet.out) == (3, 0)
    # Nothing chosen: a message, no change.
    response = client.post(url, {"action": "tick"}, follow=True)
    assert "请先勾选学生。" in response.content.decode()


def test_a_counsellor_cannot_reach_another_units_prints(
    client, economics_counsellor, office, notice, law, photographed
):
    services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=law.pk)
    client = _logged_in(client, economics_counsellor)
    url = reverse("unit:prints", args=[law.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"action": "tick", "capture_id": [photographed[0].pk]})
    assert response.status_code == 404
    assert _received(photographed) == set()


@pytest.fixture
def law_link(office, notice, law):
    return services.coordinator_link_rotate(actor=office, campaign_id=notice.pk, unit_id=law.pk)


def test_the_coordinator_link_ticks_its_own_unit(client, law_link, notice, law, photographed):
    a = photographed[0]
    page = reverse("payments:coordinator", args=[law_link])
    post = reverse("payments:coordinator_prints", args=[law_link])
    html = client.get(page).content.decode()
    assert 'id="prints"' in html and "登记照片已到" in html
    response = client.post(post, {"action": "arrived"})
    assert response.status_code == 302 and response["Location"].endswith("#prints")
    assert UnitPrints.objects.get(unit=law).recorded_label == f"coordinator-link:{law.pk}"
    client.post(post, {"action": "tick", "capture_id": [a.pk]})
    assert _received(photographed) == {a.pk}
    log = CaptureLog.objects.get(action="print_received")
    assert (log.actor_user, log.actor_label) == (None, f"coordinator-link:{law.pk}")
    response = client.get(page)
    html = response.content.decode()
    # A fellow student's page: the last four digits only.
    assert a.student.student_no not in html and f"…{a.student.student_no[-4:]}" in html
    tags = {r.capture.pk: [t.text for t in r.capture.after] for r in response.context["rows"]}
    assert tags[a.pk] == ["学信网校对：未记录", "照片：已领取"]


def test_the_coordinator_link_cannot_tick_another_unit(client, law_link, office, notice, economics):
    other = _capture(notice, economics, S.PHOTOGRAPHED)
    services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=economics.pk)
    response = client.post(
        reverse("payments:coordinator_prints", args=[law_link]),
        {"action": "tick", "capture_id": [other.pk]},
        follow=True,
    )
    assert "找不到该学生。" in response.content.decode()
    assert _received([other]) == set()


def test_a_rotated_link_ticks_nothing(client, law_link, office, notice, law, photographed):
    services.coordinator_link_rotate(actor=office, campaign_id=notice.pk, unit_id=law.pk)
    response = client.post(
        reverse("payments:coordinator_prints", args=[law_link]), {"action": "arrived"}
    )
    assert response.status_code == 410
    assert not UnitPrints.objects.exists()


def test_the_office_sees_per_unit_how_many_prints_are_out(
    client, office_user, office, notice, law, economics, photographed
):
    services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=law.pk)
    services.prints_received(actor=office, capture_ids=[photographed[0].pk])
    _capture(notice, economics, S.PHOTOGRAPHED)
    _capture(notice, economics, S.OFFSITE)  # prints posted home: not counted
    response = _logged_in(client, office_user).get(reverse("staff:prints"))
    rows = {u.unit.name: u for u in response.context["overview"].units}
    assert rows["法学院"].arrival is not None
    assert (rows["法学院"].photographed, rows["法学院"].received, rows["法学院"].out) == (3, 1, 2)
    assert rows["经济学院"].arrival is None
    assert (rows["经济学院"].photographed, rows["经济学院"].out) == (1, 1)
    overview = response.context["overview"]
    assert (overview.total.received, overview.total.out, overview.arrived) == (1, 3, 1)
    index = client.get(reverse("staff:index")).content.decode()
    assert reverse("staff:prints") in index and reverse("staff:offsite_followup") in index


# --- statuses everywhere ----------------------------------------------------------------------


def test_rows_show_the_after_the_day_states_in_plain_words(
    client, law_counsellor, law_link, office, notice, law
):
    services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=law.pk)
    confirmed = _capture(notice, law, S.PHOTOGRAPHED, name="确认")
    disputed = _capture(notice, law, S.PHOTOGRAPHED, name="异议")
    waiting = _capture(notice, law, S.PHOTOGRAPHED, name="未记")
    Capture.objects.filter(pk=confirmed.pk).update(chsi_state=ChsiState.CONFIRMED)
    Capture.objects.filter(pk=disputed.pk).update(
        chsi_state=ChsiState.DISPUTED, chsi_reason="照片模糊"
    )
    services.prints_received(actor=office, capture_ids=[confirmed.pk])
    html = _logged_in(client, law_counsellor).get(reverse("unit:detail", args=[law.pk]))
    rows = {c.pk: [t.text for t in c.after] for c in html.context["rows"]}
    assert rows[confirmed.pk] == ["学信网校对：已确认", "照片：已领取"]
    assert rows[disputed.pk] == ["学信网校对：有异议：照片模糊", "照片：未领取"]
    assert rows[waiting.pk] == ["学信网校对：未记录", "照片：未领取"]
    assert '<span class="badge bad">有异议</span> <span class="hint">照片模糊</span>' in (
        html.content.decode()
    )
    client.logout()
    coordinator = client.get(reverse("payments:coordinator", args=[law_link]))
    tags = {r.capture.pk: [t.text for t in r.capture.after] for r in coordinator.context["rows"]}
    # A fellow student is not told why a photo is disputed.
    assert tags[disputed.pk] == ["学信网校对：有异议", "照片：未领取"]
    assert "照片模糊" not in coordinator.content.decode()


def test_an_overdue_offsite_student_is_flagged_on_the_coordinator_page(
    client, law_counsellor, law_link, notice, law
):
    away = _offsite(law_counsellor, notice, law, "外地", "实习", phone="13700003333")
    _deadline(notice, -1)
    response = client.get(reverse("payments:coordinator", args=[law_link]))
    tags = {r.capture.pk: [t.text for t in r.capture.after] for r in response.context["rows"]}
    assert tags[away.pk] == ["分散采集照片：逾期未交"]
    assert "逾期未交" in response.content.decode()
    assert "13700003333" not in response.content.decode()  # phones: the counsellor's page


# --- exports ----------------------------------------------------------------------------------


def _sheet_rows(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_exports_carry_the_offsite_reason_the_chsi_check_and_the_prints(
    client, office_user, law_counsellor, office, notice, law
):
    gone = _offsite(law_counsellor, notice, law, "分散", "=实习在外地")
    shot = _capture(notice, law, S.PHOTOGRAPHED, name="现场")
    Capture.objects.filter(pk=shot.pk).update(chsi_state=ChsiState.DISPUTED, chsi_reason="不是本人")
    services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=law.pk)
    services.prints_received(actor=office, capture_ids=[shot.pk])
    shot.refresh_from_db()
    client = _logged_in(client, office_user)
    rows = _sheet_rows(client.get(reverse("staff:roster_xlsx")))
    header = rows[0]
    assert header[:11] == (
        "培养单位",
        "学号",
        "姓名",
        "层次",
        "专业",
        "状态",
        "状态时间",
        "站点",
        "拍摄号",
        "提醒事项",
        "场次",
    )
    assert header[11:] == ("分散采集原因", "学信网校对", "照片领取")
    by_name = {r[2]: r for r in rows[1:]}
    # A formula-like reason is neutralised like every other cell.
    assert by_name["分散"][11:] == ("'=实习在外地", None, None)
    received = timezone.localtime(shot.print_received_at).strftime("%Y-%m-%d")
    assert by_name["现场"][11:] == (None, "有异议：不是本人", received)
    absentees = _sheet_rows(client.get(reverse("staff:absentees_xlsx")))
    # The absentees are called: their phones end the row (tests/sessions/test_exports_print.py).
    assert absentees[0][11:] == ("分散采集原因", "学信网校对", "照片领取", "手机")
    assert [r[2] for r in absentees[1:]] == ["分散"]
    assert absentees[1][11] == "'=实习在外地"
    client.force_login(law_counsellor)
    unit_rows = _sheet_rows(client.get(reverse("unit:roster_xlsx", args=[law.pk])))
    assert {r[2]: r[12] for r in unit_rows[1:]} == {"分散": None, "现场": "有异议：不是本人"}
    assert gone.offsite_reason == "=实习在外地"


# --- query counts -----------------------------------------------------------------------------


def _students(campaign, start, n):
    """`n` students over the notice's 14 units in every after-the-day state: photographed
    (some received their prints, some with a CHSI state), off-site (with a reason), sheet
    received, verified, expected."""
    units = list(TrainingUnit.objects.order_by("pk"))
    students = Student.objects.bulk_create(
        Student(
            student_no=f"2022{i:08d}",
            name=f"学生{i}",
            unit=units[i % len(units)],
            cohort=2025,
            major="专业",
            phone=f"138{i:08d}",
        )
        for i in range(start, start + n)
    )
    now = timezone.now()
    states = [
        {"status": S.PHOTOGRAPHED, "print_received_at": now, "chsi_state": ChsiState.CONFIRMED},
        {"status": S.PHOTOGRAPHED, "chsi_state": ChsiState.DISPUTED, "chsi_reason": "模糊"},
        {"status": S.OFFSITE, "offsite_reason": "实习", "status_at": now},
        {"status": S.SHEET_RECEIVED},
        {"status": S.VERIFIED},
        {"status": S.EXPECTED},
    ]
    Capture.objects.bulk_create(
        Capture(student=s, campaign=campaign, **states[(i // 14) % len(states)])
        for i, s in enumerate(students)
    )
    analyze_after_bulk()


def _count(fn):
    with CaptureQueriesContext(connection) as queries:
        response = fn()
    assert response.status_code == 200, response
    return len(queries)


def _counts(client, office_user, counsellor_user, unit, link):
    found = {}
    client.force_login(office_user)
    for name in ("staff:offsite_followup", "staff:prints"):
        found[name] = _count(lambda n=name: client.get(reverse(n)))
    client.force_login(counsellor_user)
    for name in ("unit:prints", "unit:detail"):
        found[name] = _count(lambda n=name: client.get(reverse(n, args=[unit.pk])))
    client.logout()
    found["payments:coordinator"] = _count(
        lambda: client.get(reverse("payments:coordinator", args=[link]))
    )
    return found


@pytest.mark.django_db
def test_query_counts_of_the_after_the_day_pages_do_not_grow_with_the_roster(
    client, office_user, office, notice
):
    unit = TrainingUnit.objects.order_by("pk").first()
    counsellor_user = MembershipFactory(user=UserFactory(username="q-counsellor"), unit=unit).user
    services.prints_arrived(actor=office, campaign_id=notice.pk, unit_id=unit.pk)
    link = services.coordinator_link_rotate(actor=office, campaign_id=notice.pk, unit_id=unit.pk)
    _deadline(notice, -1)
    _students(notice, 0, 100)
    small = _counts(client, office_user, counsellor_user, unit, link)
    _students(notice, 100, 9_900)
    large = _counts(client, office_user, counsellor_user, unit, link)
    assert large == small
    # The pages did show rows of every kind.
    followup = aftercare_selectors.offsite_followup(notice)
    assert followup.total.overdue > 1_000
    assert aftercare_selectors.prints_overview(notice).total.received > 1_000


def test_the_dashboard_counts_the_after_the_day_work(client, office_user, notice):
    from sessions.models import CorrectionRequest

    law = TrainingUnit.objects.get(name="法学院")
    disputed = Capture.objects.create(
        student=StudentFactory(unit=law),
        campaign=notice,
        status=Capture.Status.PHOTOGRAPHED,
        chsi_state=ChsiState.DISPUTED,
    )
    Capture.objects.create(
        student=StudentFactory(unit=law), campaign=notice, status=Capture.Status.OFFSITE
    )
    notice.offsite_deadline = timezone.localdate() - dt.timedelta(days=1)
    notice.save()
    CorrectionRequest.objects.create(
        capture=disputed, from_status="photographed", to_status="expected", reason="拍错"
    )
    client.force_login(office_user)
    html = client.get(reverse("staff:index")).content.decode()
    counts = html[html.index('id="after-counts"') :]
    assert [int(n) for n in re.findall(r'<span class="n">(\d+)</span>', counts)[:3]] == [1, 1, 1]
