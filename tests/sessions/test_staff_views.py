"""The office's pages through HTTP: forms keep what was typed, refusals change nothing."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from sessions.models import (
    Campaign,
    Capture,
    CaptureSession,
    Coordinator,
    CoordinatorChange,
    RosterImport,
    SlotUnit,
    TimeSlot,
)
from tests.factories import StudentFactory
from tests.rosterfiles import xlsx
from tests.sessions.test_notice_fixture import ANNEX_1
from tests.sessions.test_roster_import import GOOD
from units.models import Student, TrainingUnit


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def _upload(client, data, name="roster.xlsx"):
    return client.post(reverse("staff:roster_import"), {"file": SimpleUploadedFile(name, data)})


def test_upload_bad_file_shows_message_and_changes_nothing(office_client, notice):
    response = _upload(office_client, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.xlsx")
    assert response.status_code == 200
    assert "只支持 Excel（.xlsx）和 CSV" in response.content.decode()
    assert not RosterImport.objects.exists() and not Student.objects.exists()


def test_upload_with_row_error_shows_row_column_reason(office_client, notice):
    rows = [GOOD[0], ["202201010009", "赵六", "法学", None, None, None, None]]
    html = _upload(office_client, xlsx(rows)).content.decode()
    assert "发现 1 处错误" in html
    assert "<td>3</td><td>培养单位</td>" in html
    assert "是否为“法学院”" in html
    assert not RosterImport.objects.exists() and not Student.objects.exists()


def test_upload_preview_confirm(office_client, notice):
    response = _upload(office_client, xlsx(GOOD))
    assert response.status_code == 302
    preview_url = response["Location"]
    html = office_client.get(preview_url).content.decode()
    assert 'id="count-create">3<' in html
    assert not Student.objects.exists()
    response = office_client.post(preview_url, {}, follow=True)
    assert "导入完成：新增 3 人" in response.content.decode()
    assert Student.objects.count() == 3
    response = office_client.post(preview_url, {}, follow=True)
    assert "已经导入过" in response.content.decode()
    assert Student.objects.count() == 3


def test_withdraw_needs_the_tick(office_client, notice):
    office_client.post(_upload(office_client, xlsx(GOOD))["Location"], {})
    url = _upload(office_client, xlsx(GOOD[:2]))["Location"]
    assert "库中有、本文件中没有的学生" in office_client.get(url).content.decode()
    office_client.post(url, {"withdraw_missing": "on"})
    assert Student.objects.get(student_no="202202010001").withdrawn


# --- schedule -------------------------------------------------------------------------


@pytest.fixture
def session(notice):
    return CaptureSession.objects.get()


def _schedule(client, session, **data):
    return client.post(reverse("staff:schedule", args=[session.pk]), data)


def _print_rows(html):
    import re

    table = html.split('class="annex1"', 1)[1].split("</table>", 1)[0]
    rows, window = [], None
    for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        if cells:
            window = cells[1] if len(cells) == 2 else window
            rows.append((cells[0], window))
    return rows


def test_annex_1_on_screen_and_in_print(office_client, session):
    html = office_client.get(reverse("staff:schedule_print", args=[session.pk])).content.decode()
    assert _print_rows(html) == ANNEX_1
    assert "site-header" not in html  # no navigation on the printed page
    assert "print-a4.css" in html


def test_annex_1_xlsx_has_merged_window_cells(office_client, session):
    response = office_client.get(reverse("staff:schedule_xlsx", args=[session.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    # Rows 1-3: 附件 1, the title, date and place (tests/sessions/test_exports_print.py).
    assert [ws.cell(4, 1).value, ws.cell(4, 2).value] == ["培养单位名称", "预估时间"]
    rows = []
    for r in range(5, ws.max_row + 1):
        rows.append(ws.cell(r, 1).value)
    assert rows == [name for name, _w in ANNEX_1]
    merged = sorted(str(m) for m in ws.merged_cells.ranges if m.min_row > 4)
    assert merged == sorted(["B5:B7", "B8:B10", "B11:B13", "B14:B16", "B17:B18"])
    assert [ws.cell(r, 2).value for r in (5, 8, 11, 14, 17)] == [
        "13:20-14:00",
        "14:00-14:30",
        "14:30-15:00",
        "15:00-15:30",
        "15:30-16:00",
    ]


def test_proposal_preview_writes_nothing(office_client, session):
    before = list(TimeSlot.objects.values())
    html = office_client.get(
        reverse("staff:schedule", args=[session.pk]), {"window_minutes": 40}
    ).content.decode()
    assert "应用此方案" in html
    assert list(TimeSlot.objects.values()) == before


def test_rebuild_refused_while_published_then_applied(office_client, session):
    StudentFactory.create_batch(5, unit=TrainingUnit.objects.get(name="法学院"))
    response = _schedule(office_client, session, action="propose", window_minutes=30)
    assert response.status_code == 400
    assert "请先撤回发布" in response.content.decode()
    _schedule(office_client, session, action="withdraw")
    response = _schedule(office_client, session, action="propose", window_minutes=30)
    assert response.status_code == 302
    assert SlotUnit.objects.filter(session=session).count() == 14
    assert all(s.start.minute % 10 == 0 for s in TimeSlot.objects.filter(session=session))


def test_overlapping_times_are_refused_and_typed_values_kept(office_client, session):
    slots = list(TimeSlot.objects.filter(session=session).order_by("order"))
    data = {"action": "times"}
    for s in slots:
        data[f"start_{s.pk}"] = f"{s.start:%H:%M}"
        data[f"end_{s.pk}"] = f"{s.end:%H:%M}"
    data[f"end_{slots[0].pk}"] = "14:10"  # runs into the second window
    response = _schedule(office_client, session, **data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "重叠" in html
    assert 'value="14:10"' in html
    assert TimeSlot.objects.get(pk=slots[0].pk).end == dt.time(14, 0)


def test_times_outside_the_session_are_refused(office_client, session):
    slots = list(TimeSlot.objects.filter(session=session).order_by("order"))
    data = {"action": "times"}
    for s in slots:
        data[f"start_{s.pk}"] = f"{s.start:%H:%M}"
        data[f"end_{s.pk}"] = f"{s.end:%H:%M}"
    data[f"end_{slots[-1].pk}"] = "16:30"
    response = _schedule(office_client, session, **data)
    assert response.status_code == 400 and "不在场次时间" in response.content.decode()


def test_move_unit_and_publish_rules(office_client, session):
    law = TrainingUnit.objects.get(name="法学院")
    last = TimeSlot.objects.filter(session=session).order_by("-order").first()
    _schedule(office_client, session, action="withdraw")
    response = _schedule(office_client, session, action="move", unit=law.pk, slot=last.pk)
    assert response.status_code == 302
    assert SlotUnit.objects.get(session=session, unit=law).slot == last
    # Moving the other two units out of the first window leaves it empty: not publishable.
    for name in ("生物科学与工程学院", "财政税务学院"):
        _schedule(
            office_client,
            session,
            action="move",
            unit=TrainingUnit.objects.get(name=name).pk,
            slot=last.pk,
        )
    response = _schedule(office_client, session, action="publish")
    assert response.status_code == 400 and "没有安排任何培养单位" in response.content.decode()
    assert not CaptureSession.objects.get().schedule_published


def test_publish_refuses_unscheduled_unit(office_client, session):
    TrainingUnit.objects.create(code="99", name="新学院", display_order=99)
    _schedule(office_client, session, action="withdraw")
    response = _schedule(office_client, session, action="publish")
    assert "还有培养单位没有安排时段：新学院" in response.content.decode()


def test_public_page_shows_only_published_schedule(client, office_client, session):
    _schedule(office_client, session, action="withdraw")
    assert "时间表尚未发布" in client.get("/").content.decode()
    _schedule(office_client, session, action="publish")
    assert 'class="annex1"' in client.get("/").content.decode()


# --- exports ------------------------------------------------------------------------------


def _xlsx(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_roster_export_neutralises_formulas(office_client, notice):
    law = TrainingUnit.objects.get(name="法学院")
    for name in ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "王五"):
        Capture.objects.create(student=StudentFactory(unit=law, name=name), campaign=notice)
    wb = _xlsx(office_client.get(reverse("staff:roster_xlsx")))
    ws = wb.worksheets[0]
    assert ws.title == "名单与采集状态"
    assert [c.value for c in ws[1]][:3] == ["培养单位", "学号", "姓名"]
    names = [ws.cell(r, 3).value for r in range(2, ws.max_row + 1)]
    assert '\'=HYPERLINK("http://x")' in names and "'+1" in names and "'-2" in names
    assert "'@SUM(A1)" in names and "王五" in names
    assert all(ws.cell(r, 3).data_type == "s" for r in range(2, ws.max_row + 1))
    assert ws.column_dimensions["A"].width > 10


def test_absentees_export_lists_only_absentees(office_client, notice):
    law = TrainingUnit.objects.get(name="法学院")
    Capture.objects.create(
        student=StudentFactory(unit=law, name="缺席者"),
        campaign=notice,
        status=Capture.Status.ABSENT,
    )
    Capture.objects.create(
        student=StudentFactory(unit=law, name="已拍者"),
        campaign=notice,
        status=Capture.Status.PHOTOGRAPHED,
    )
    ws = _xlsx(office_client.get(reverse("staff:absentees_xlsx"))).worksheets[0]
    names = [ws.cell(r, 3).value for r in range(2, ws.max_row + 1)]
    assert names == ["缺席者"]
    assert ws.cell(2, 6).value == "缺席"


# --- coordinators ----------------------------------------------------------------------


def _coord_data(n1="张负责", p1="13800000001", n2="李负责", p2="0311-87657669", s1=""):
    return {
        "c1-name": n1,
        "c1-phone": p1,
        "c1-student_no": s1,
        "c2-name": n2,
        "c2-phone": p2,
        "c2-student_no": "",
    }


@pytest.fixture
def counsellor_client(client, notice):
    from tests.factories import MembershipFactory, UserFactory

    unit = TrainingUnit.objects.get(name="法学院")
    user = MembershipFactory(user=UserFactory(username="couns-law"), unit=unit).user
    client.force_login(user)
    client.unit = unit
    client.user = user
    return client


def test_counsellor_registers_two_coordinators(counsellor_client, notice):
    Campaign.objects.update(coordinator_deadline=timezone.now() + dt.timedelta(days=1))
    url = reverse("unit:coordinators", args=[counsellor_client.unit.pk])
    response = counsellor_client.post(url, _coord_data())
    assert response.status_code == 302
    coords = Coordinator.objects.filter(unit=counsellor_client.unit).order_by("position")
    assert [(c.name, c.phone, c.registered_by) for c in coords] == [
        ("张负责", "13800000001", counsellor_client.user),
        ("李负责", "0311-87657669", counsellor_client.user),
    ]
    assert CoordinatorChange.objects.count() == 2
    counsellor_client.post(url, _coord_data())  # the same again: nothing recorded
    assert CoordinatorChange.objects.count() == 2


def test_bad_phone_keeps_what_was_typed(counsellor_client, notice):
    Campaign.objects.update(coordinator_deadline=timezone.now() + dt.timedelta(days=1))
    url = reverse("unit:coordinators", args=[counsellor_client.unit.pk])
    response = counsellor_client.post(url, _coord_data(p1="12345", n2="王 同学"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "请输入 11 位手机号" in html
    assert 'value="12345"' in html and 'value="王 同学"' in html
    assert not Coordinator.objects.exists()


def test_student_link_must_be_of_the_unit(counsellor_client, notice):
    Campaign.objects.update(coordinator_deadline=timezone.now() + dt.timedelta(days=1))
    other = StudentFactory(unit=TrainingUnit.objects.get(name="经济学院"))
    url = reverse("unit:coordinators", args=[counsellor_client.unit.pk])
    response = counsellor_client.post(url, _coord_data(s1=other.student_no))
    assert response.status_code == 400 and "不是本单位在册学生" in response.content.decode()
    assert not Coordinator.objects.exists()


def test_after_deadline_counsellor_is_read_only_office_is_not(
    counsellor_client, notice, office_user
):
    Campaign.objects.update(coordinator_deadline=timezone.now() - dt.timedelta(minutes=1))
    url = reverse("unit:coordinators", args=[counsellor_client.unit.pk])
    html = counsellor_client.get(url).content.decode()
    assert "截止时间" in html and "已过" in html and 'name="c1-name"' not in html
    assert counsellor_client.post(url, _coord_data()).status_code == 403
    assert not Coordinator.objects.exists()
    counsellor_client.force_login(office_user)
    assert counsellor_client.post(url, _coord_data()).status_code == 302
    assert Coordinator.objects.filter(registered_by=office_user).count() == 2


def test_office_overview_and_export(office_client, notice):
    law = TrainingUnit.objects.get(name="法学院")
    Coordinator.objects.create(
        campaign=notice,
        unit=law,
        position=1,
        name="张负责",
        phone="13800000001",
        registered_at=timezone.now(),
    )
    html = office_client.get(reverse("staff:coordinators")).content.decode()
    assert "14 个单位尚未报齐" in html
    ws = _xlsx(office_client.get(reverse("staff:coordinators_xlsx"))).worksheets[0]
    assert [c.value for c in ws[1]] == [
        "培养单位",
        "序号",
        "负责人姓名",
        "联系电话",
        "登记人",
        "登记时间",
    ]
    assert ws.max_row == 1 + 14 * 2
    assert [ws.cell(2, c).value for c in (1, 2, 3, 4)] == ["法学院", 1, "张负责", "13800000001"]


# --- the counsellor's unit page ------------------------------------------------------------


def test_unit_page_counts_and_offsite_flow(counsellor_client, notice):
    unit = counsellor_client.unit
    capture = Capture.objects.create(
        student=StudentFactory(unit=unit, name="赵六"), campaign=notice
    )
    Capture.objects.create(
        student=StudentFactory(unit=unit), campaign=notice, status=Capture.Status.PHOTOGRAPHED
    )
    html = counsellor_client.get(reverse("unit:detail", args=[unit.pk])).content.decode()
    assert "赵六" in html
    url = lambda action: reverse("unit:capture_action", args=[unit.pk, capture.pk, action])  # noqa: E731
    response = counsellor_client.post(url("offsite"), {"reason": ""}, follow=True)
    assert "须填写原因" in response.content.decode()
    capture.refresh_from_db()
    assert capture.status == Capture.Status.EXPECTED
    counsellor_client.post(url("offsite"), {"reason": "实习在外地"})
    counsellor_client.post(url("receive"))
    counsellor_client.post(url("verify"))
    capture.refresh_from_db()
    assert capture.status == Capture.Status.VERIFIED
    assert list(capture.logs.order_by("id").values_list("action", flat=True)) == [
        "send_offsite",
        "receive_sheet",
        "verify_sheet",
    ]
    assert capture.logs.order_by("id").first().note == "实习在外地"


def test_unit_page_query_count_is_fixed(counsellor_client, notice, django_assert_max_num_queries):
    # 15: the page reads the unit's photos once (thumbnails and checks), whatever the roster,
    # and, while the unit has none, whether the campaign has any delivered photo yet (before
    # the delivery nobody counts as missing); and the unit's placements once (the
    # ready-to-send group messages).
    unit = counsellor_client.unit
    for _ in range(30):
        Capture.objects.create(student=StudentFactory(unit=unit), campaign=notice)
    with django_assert_max_num_queries(15):
        counsellor_client.get(reverse("unit:detail", args=[unit.pk]))


def test_unit_export_holds_only_the_unit(counsellor_client, notice):
    Capture.objects.create(
        student=StudentFactory(unit=counsellor_client.unit, name="本单位"), campaign=notice
    )
    Capture.objects.create(
        student=StudentFactory(unit=TrainingUnit.objects.get(name="经济学院"), name="外单位"),
        campaign=notice,
    )
    ws = _xlsx(
        counsellor_client.get(reverse("unit:roster_xlsx", args=[counsellor_client.unit.pk]))
    ).worksheets[0]
    assert [ws.cell(r, 3).value for r in range(2, ws.max_row + 1)] == ["本单位"]
