"""The CHSI confirmation loop (issue 14, point 3): recording a student's 学信档案 photo
state, importing the states from a file (preview, all or nothing, idempotent), the
exception queue and its three actions, the counsellor's page and the student's "下一步"."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import confirmation_selectors, services
from sessions.models import (
    Campaign,
    Capture,
    CaptureLog,
    CaptureSession,
    ConfirmationImport,
)
from sessions.services.captures import RULES
from sessions.tokens import pass_token
from tests.conftest import analyze_after_bulk
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from tests.rosterfiles import csv_bytes, xlsx
from units.models import Student, TrainingUnit

S = Capture.Status
HEADER = ["学号", "姓名", "校对状态", "原因"]
MAKEUP = {
    "date": dt.date(2024, 5, 20),
    "start": dt.time(14, 0),
    "end": dt.time(16, 0),
    "place": "图书馆报告厅",
    "campus": "",
    "entry_door": "东门",
    "exit_door": "西门",
    "cameras": 1,
}
CORPUS = Path(__file__).resolve().parent.parent / "data" / "bad_xlsx"


def _yesterday():
    return timezone.now() - dt.timedelta(days=1)


def _photographed(unit, campaign, number=None, name=None, id_tail="1234", **kwargs):
    fields = {"status": S.PHOTOGRAPHED, "status_at": _yesterday(), **kwargs}
    student = StudentFactory(
        unit=unit,
        id_tail=id_tail,
        **({"student_no": number} if number else {}),
        **({"name": name} if name else {}),
    )
    return Capture.objects.create(student=student, campaign=campaign, **fields)


@pytest.fixture
def law(notice):
    return TrainingUnit.objects.get(name="法学院")


@pytest.fixture
def econ(notice):
    return TrainingUnit.objects.get(name="经济学院")


@pytest.fixture
def zhang(notice, law):
    return _photographed(law, notice, "202201010001", "张三", id_tail="123X")


@pytest.fixture
def li(notice, law):
    return _photographed(law, notice, "202201010002", "李四", id_tail="5678")


@pytest.fixture
def wang(notice, econ):
    return _photographed(econ, notice, "202202010001", "王五", id_tail="0042")


@pytest.fixture
def makeup(office, notice):
    return services.makeup_session_create(actor=office, campaign_id=notice.pk, **MAKEUP)


def _snapshot():
    return (
        list(Capture.objects.order_by("pk").values()),
        CaptureLog.objects.count(),
        ConfirmationImport.objects.count(),
    )


def _state(capture):
    capture.refresh_from_db()
    return capture.chsi_state, capture.chsi_reason


# --- recording one student's state ----------------------------------------------------------


def test_the_office_records_a_state_with_a_log_row_and_a_repeat_changes_nothing(office, zhang):
    result = services.chsi_record(actor=office, capture_id=zhang.pk, state="confirmed")
    assert result.changed
    zhang.refresh_from_db()
    assert (zhang.chsi_state, zhang.status) == ("confirmed", S.PHOTOGRAPHED)
    assert zhang.chsi_at is not None
    log = CaptureLog.objects.get(capture=zhang)
    assert (log.action, log.from_status, log.to_status) == ("chsi", S.PHOTOGRAPHED, S.PHOTOGRAPHED)
    assert log.note == "已确认"
    again = services.chsi_record(actor=office, capture_id=zhang.pk, state="confirmed")
    assert not again.changed
    assert CaptureLog.objects.filter(capture=zhang).count() == 1


def test_disputed_needs_a_reason_and_a_refusal_changes_nothing(office, zhang):
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        services.chsi_record(actor=office, capture_id=zhang.pk, state="disputed", reason="  ")
    assert err.value.code == "reason_required"
    with pytest.raises(DomainError) as err:
        services.chsi_record(actor=office, capture_id=zhang.pk, state="maybe")
    assert err.value.code == "invalid"
    assert _snapshot() == before
    services.chsi_record(actor=office, capture_id=zhang.pk, state="disputed", reason="不是本人")
    assert _state(zhang) == ("disputed", "不是本人")
    assert CaptureLog.objects.get(capture=zhang).note == "有异议：不是本人"


def test_the_units_counsellor_records_and_another_unit_is_refused(office, zhang, wang, law):
    counsellor = Actor.of(MembershipFactory(user=UserFactory(), unit=law).user)
    services.chsi_record(actor=counsellor, capture_id=zhang.pk, state="no_image")
    assert _state(zhang) == ("no_image", "")
    before = _snapshot()
    for actor in (counsellor, Actor.coordinator_link(law.pk)):
        with pytest.raises(DomainError) as err:
            services.chsi_record(actor=actor, capture_id=wang.pk, state="confirmed")
        assert err.value.code == "forbidden"
    assert _snapshot() == before


def test_a_closed_campaign_takes_no_state(office, zhang, notice):
    Campaign.objects.filter(pk=notice.pk).update(status=Campaign.Status.CLOSED)
    with pytest.raises(DomainError) as err:
        services.chsi_record(actor=office, capture_id=zhang.pk, state="confirmed")
    assert err.value.code == "campaign_closed"


def test_a_new_problem_reopens_a_resolved_issue(office, zhang):
    services.chsi_record(actor=office, capture_id=zhang.pk, state="disputed", reason="模糊")
    services.exception_resolve(actor=office, capture_id=zhang.pk, note="学信网已更正")
    zhang.refresh_from_db()
    assert zhang.issue_resolved_at is not None
    # The same problem again (a file delivered twice) leaves the resolution alone ...
    services.chsi_record(actor=office, capture_id=zhang.pk, state="disputed", reason="模糊")
    zhang.refresh_from_db()
    assert zhang.issue_resolved_at is not None
    # ... a different one is a new issue.
    services.chsi_record(actor=office, capture_id=zhang.pk, state="no_image")
    zhang.refresh_from_db()
    assert (zhang.issue_resolved_at, zhang.issue_note) == (None, "")


# --- the import --------------------------------------------------------------------------------


def _preview(office, campaign, data, name="校对.xlsx"):
    return services.confirmation_import_preview(
        actor=office, campaign_id=campaign.pk, file_name=name, data=data
    )


def test_a_clean_file_previews_then_commits_once(office, notice, zhang, li, wang):
    data = xlsx(
        [
            ["202201010001", "张三", "已确认", None],
            ["202201010002", "李四", "有异议", "照片不是本人"],
            ["202202010001", "王五", "无图像", None],
            ["202202010001", "王五", "无图像", None],  # repeated: counted once
        ],
        header=HEADER,
        title="2025届图像校对结果",
    )
    before = _snapshot()[:2]
    preview = _preview(office, notice, data)
    assert preview.parsed.errors == []
    assert _snapshot()[:2] == before  # the preview writes no capture
    s = preview.upload.summary
    assert (s["rows"], s["students"], s["duplicates"]) == (4, 3, 1)
    assert (s["confirmed"], s["disputed"], s["no_image"], s["changed"]) == (1, 1, 1, 3)
    assert s["problem_sample"] == [
        ["202201010002", "李四", "disputed", "照片不是本人"],
        ["202202010001", "王五", "no_image", ""],
    ]
    result = services.confirmation_import_commit(actor=office, import_id=preview.upload.pk)
    assert (result.changed, result.updated) == (True, 3)
    assert _state(zhang) == ("confirmed", "")
    assert _state(li) == ("disputed", "照片不是本人")
    assert _state(wang) == ("no_image", "")
    logs = CaptureLog.objects.filter(action="chsi")
    assert logs.count() == 3
    assert all(log.from_status == log.to_status == S.PHOTOGRAPHED for log in logs)
    assert f"导入 #{preview.upload.pk}" in logs.get(capture=li).note
    after = _snapshot()
    second = services.confirmation_import_commit(actor=office, import_id=preview.upload.pk)
    assert not second.changed
    assert _snapshot() == after
    # The same file uploaded again commits with nothing to change.
    again = _preview(office, notice, data)
    assert again.upload.summary["changed"] == 0
    third = services.confirmation_import_commit(actor=office, import_id=again.upload.pk)
    assert third.updated == 0
    assert CaptureLog.objects.filter(action="chsi").count() == 3


def test_a_bad_file_lists_every_row_error_and_changes_nothing(office, notice, zhang, li, law):
    # Two students share the last 4 of the ID number and the name: ambiguous.
    _photographed(law, notice, "202201010003", "赵六", id_tail="9999")
    _photographed(law, notice, "202201010004", "赵六", id_tail="9999")
    data = xlsx(
        [
            ["202201010001", "张三", "已确认", None],  # row 2: fine
            ["209999999999", "某人", "已确认", None],  # 3: unknown student
            [None, "赵六", "已确认", None],  # 4: no number, no ID tail
            ["202201010002", "李四", "不知道", None],  # 5: unknown state
            ["202201010002", "李四", "有异议", None],  # 6: disputed without a reason
            ["202201010001", "张三", "无图像", None],  # 7: same student, another state
            ["202201010002", "王八", "已确认", None],  # 8: the name does not match
        ],
        header=HEADER,
    )
    tail = xlsx(
        [[None, "9999", "赵六", "已确认", None]],
        header=["学号", "证件号后四位", "姓名", "校对状态", "原因"],
    )
    before = _snapshot()
    preview = _preview(office, notice, data)
    assert preview.upload is None
    errors = {(e.row, e.column) for e in preview.parsed.errors}
    assert errors == {
        (3, "学号"),
        (4, "学号"),
        (5, "校对状态"),
        (6, "原因"),
        (7, "校对状态"),
        (8, "姓名"),
    }, preview.parsed.errors
    messages = {e.row: e.message for e in preview.parsed.errors}
    assert "不在本次采集的名单中" in messages[3]
    assert "第 2 行" in messages[7]
    ambiguous = _preview(office, notice, tail)
    assert [(e.row, e.column) for e in ambiguous.parsed.errors] == [(2, "证件号后四位")]
    assert "对应 2 名学生" in ambiguous.parsed.errors[0].message
    assert _snapshot() == before  # nothing stored, nothing changed


@pytest.mark.parametrize(
    "name", ["zip-bomb.xlsx", "huge-dimension.xlsx", "billion-laughs.xlsx", "deep-nesting.xlsx"]
)
def test_a_hostile_file_is_refused_and_changes_nothing(office, notice, zhang, name):
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        _preview(office, notice, (CORPUS / name).read_bytes(), name=name)
    assert err.value.message
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "xls"),
        (xlsx([["202201010001", "张三"]], header=["学号", "姓名"]), "missing_column"),
        (xlsx([["a", "b"]], header=["甲", "乙"]), "no_header"),
        (xlsx([], header=HEADER), "no_rows"),
    ],
)
def test_an_unusable_file_is_refused_with_its_code(office, notice, zhang, data, code):
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        _preview(office, notice, data)
    assert err.value.code == code
    assert _snapshot() == before


def test_students_are_found_by_id_tail_and_name_and_english_states_are_read(
    office, notice, zhang, li, wang
):
    header = ["学号", "证件号后四位", "姓名", "state", "reason"]
    data = xlsx(
        [
            [None, "123x", "张 三", "Confirmed", None],
            [None, None, "李四", "disputed", "wrong person"],  # neither number nor ID tail
            [None, 42, "王五", "No image", None],  # Excel dropped the zeros of 0042
        ],
        header=header,
    )
    preview = _preview(office, notice, data)
    assert [(e.row, e.column) for e in preview.parsed.errors] == [(3, "学号")]
    # A full ID number is read for its last 4 characters only (a GBK CSV here).
    data = csv_bytes(
        [
            ["", "13010219990101123x", "张 三", "Confirmed", ""],
            ["", "130102199901015678", "李四", "disputed", "wrong person"],
            ["", "", "王五", "no_image", ""],
        ],
        header=["学号", "证件号码", "姓名", "state", "reason"],
        encoding="gb18030",
    )
    preview = _preview(office, notice, data, name="x.csv")
    assert [(e.row, e.column) for e in preview.parsed.errors] == [(4, "学号")]
    data = xlsx(
        [
            [None, "13010219990101123x", "张 三", "Confirmed", None],
            [None, "130102199901015678", "李四", "disputed", "wrong person"],
        ],
        header=["学号", "证件号码", "姓名", "state", "reason"],
    )
    preview = _preview(office, notice, data)
    assert preview.parsed.errors == []
    services.confirmation_import_commit(actor=office, import_id=preview.upload.pk)
    assert _state(zhang) == ("confirmed", "")
    assert _state(li) == ("disputed", "wrong person")
    # The full ID number was only read: nothing of it is stored.
    stored = ConfirmationImport.objects.get(pk=preview.upload.pk)
    assert "1301021999" not in str(stored.rows) + str(stored.summary)
    data = xlsx([[None, 42, "王五", "No image", None]], header=header)
    preview = _preview(office, notice, data)
    services.confirmation_import_commit(actor=office, import_id=preview.upload.pk)
    assert _state(wang) == ("no_image", "")


def test_a_number_stored_by_excel_as_a_float_is_read(office, notice, zhang, wang):
    data = xlsx([[float("202201010001"), "张三", "已确认", None]], header=HEADER)
    preview = _preview(office, notice, data)
    assert preview.parsed.errors == []


def test_the_commit_is_all_or_nothing(office, notice, zhang, li, wang):
    data = xlsx(
        [
            ["202201010001", "张三", "已确认", None],
            ["202201010002", "李四", "无图像", None],
        ],
        header=HEADER,
    )
    preview = _preview(office, notice, data)
    Capture.objects.filter(pk=li.pk).delete()  # the roster changed since the preview
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        services.confirmation_import_commit(actor=office, import_id=preview.upload.pk)
    assert err.value.code == "has_errors"
    assert _snapshot() == before
    assert _state(zhang) == ("", "")


def test_only_the_office_imports(counsellor, notice, zhang):
    with pytest.raises(DomainError) as err:
        _preview(
            counsellor, notice, xlsx([["202201010001", "张三", "已确认", None]], header=HEADER)
        )
    assert err.value.code == "forbidden"


def test_a_large_import_writes_in_chunks(office, notice, law):
    students = Student.objects.bulk_create(
        StudentFactory.build(unit=law, student_no=f"2022{i:08d}", name=f"学生{i}")
        for i in range(12_000)
    )
    Capture.objects.bulk_create(
        Capture(student=s, campaign=notice, status=S.PHOTOGRAPHED, status_at=_yesterday())
        for s in students
    )
    analyze_after_bulk()
    rows = [
        [
            s.student_no,
            s.name,
            "有异议" if i % 3 == 0 else "已确认",
            f"原因{i}" if i % 3 == 0 else None,
        ]
        for i, s in enumerate(students)
    ]
    preview = _preview(office, notice, xlsx(rows, header=HEADER))
    assert preview.parsed.errors == []
    result = services.confirmation_import_commit(actor=office, import_id=preview.upload.pk)
    assert result.updated == 12_000
    assert Capture.objects.filter(chsi_state="disputed").count() == 4_000
    assert Capture.objects.get(student__student_no="202200000003").chsi_reason == "原因3"
    assert CaptureLog.objects.filter(action="chsi").count() == 12_000


# --- the exception queue -------------------------------------------------------------------------


def test_the_queue_lists_exactly_the_problem_students(office, notice, law, econ):
    disputed = _photographed(law, notice, chsi_state="disputed", chsi_reason="模糊")
    no_image = _photographed(econ, notice, chsi_state="no_image", status=S.VERIFIED)
    unconfirmed = _photographed(law, notice)
    confirmed = _photographed(law, notice, chsi_state="confirmed")
    _resolved = _photographed(
        law, notice, chsi_state="disputed", chsi_reason="x", issue_resolved_at=timezone.now()
    )
    withdrawn = _photographed(law, notice, chsi_state="no_image")
    Student.objects.filter(pk=withdrawn.student_id).update(withdrawn=True)
    _expected = Capture.objects.create(student=StudentFactory(unit=law), campaign=notice)
    other = Campaign.objects.create(
        title="另一届", cohort=2026, school_code="11832", coordinator_deadline=timezone.now()
    )
    _photographed(law, other, chsi_state="disputed", chsi_reason="x")
    assert confirmed.chsi_state == "confirmed"

    def queue():
        notice.refresh_from_db()
        return set(confirmation_selectors.exception_captures(notice).values_list("pk", flat=True))

    # Before the deadline: only what CHSI reported.
    assert queue() == {disputed.pk, no_image.pk}
    Campaign.objects.filter(pk=notice.pk).update(confirmation_deadline=timezone.localdate())
    assert queue() == {disputed.pk, no_image.pk}  # the deadline's own day still counts
    Campaign.objects.filter(pk=notice.pk).update(
        confirmation_deadline=timezone.localdate() - dt.timedelta(days=1)
    )
    assert queue() == {disputed.pk, no_image.pk, unconfirmed.pk}
    page = confirmation_selectors.exception_queue(notice)
    assert {c.pk for c in page.rows} == queue()
    assert [(u.name, u.n) for u in page.units] == [("法学院", 2), ("经济学院", 1)]
    assert page.total == 3
    one = confirmation_selectors.exception_queue(notice, unit_id=econ.pk)
    assert [c.pk for c in one.rows] == [no_image.pk]


def test_the_photo_statuses_are_the_recapture_rules_sources():
    assert set(confirmation_selectors.HAS_PHOTO) == set(RULES["recapture"].sources)


def test_recapture_moves_the_student_into_the_makeup_session(office, notice, zhang, makeup):
    services.chsi_record(actor=office, capture_id=zhang.pk, state="disputed", reason="不是本人")
    result = services.exception_recapture(
        actor=office, capture_id=zhang.pk, session_id=makeup.pk, note="已电话通知"
    )
    assert result.changed
    zhang.refresh_from_db()
    assert (zhang.status, zhang.session_id) == (S.EXPECTED, makeup.pk)
    assert zhang.chsi_state == "disputed"  # kept as CHSI reported it
    assert zhang.issue_resolved_at is not None
    assert zhang.issue_note == "已安排补拍：2024-05-20 图书馆报告厅；已电话通知"
    log = CaptureLog.objects.filter(capture=zhang).order_by("-id").first()
    assert (log.action, log.from_status, log.to_status) == ("recapture", S.PHOTOGRAPHED, S.EXPECTED)
    assert "不是本人" in log.note
    assert not confirmation_selectors.exception_captures(notice).filter(pk=zhang.pk).exists()
    before = _snapshot()
    again = services.exception_recapture(actor=office, capture_id=zhang.pk, session_id=makeup.pk)
    assert not again.changed
    assert _snapshot() == before


def test_recapture_refuses_a_closed_or_regular_session_and_a_student_without_issue(
    office, notice, zhang, li, makeup
):
    services.chsi_record(actor=office, capture_id=zhang.pk, state="no_image")
    regular = CaptureSession.objects.get(campaign=notice, kind="regular")
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        services.exception_recapture(actor=office, capture_id=zhang.pk, session_id=regular.pk)
    assert err.value.code == "not_makeup"
    with pytest.raises(DomainError) as err:
        services.exception_recapture(actor=office, capture_id=li.pk, session_id=makeup.pk)
    assert err.value.code == "no_issue"
    CaptureSession.objects.filter(pk=makeup.pk).update(closed_at=timezone.now())
    with pytest.raises(DomainError) as err:
        services.exception_recapture(actor=office, capture_id=zhang.pk, session_id=makeup.pk)
    assert err.value.code == "session_closed"
    assert _snapshot() == before


def test_offsite_sends_the_student_to_a_xinhua_centre(office, notice, zhang):
    services.chsi_record(actor=office, capture_id=zhang.pk, state="disputed", reason="在外地")
    result = services.exception_offsite(actor=office, capture_id=zhang.pk)
    assert result.changed
    zhang.refresh_from_db()
    assert zhang.status == S.OFFSITE
    assert "在外地" in zhang.offsite_reason
    assert zhang.issue_note == "已转分散采集"
    assert not services.exception_offsite(actor=office, capture_id=zhang.pk).changed


def test_resolve_needs_a_note_and_logs_it(office, notice, zhang):
    services.chsi_record(actor=office, capture_id=zhang.pk, state="no_image")
    with pytest.raises(DomainError) as err:
        services.exception_resolve(actor=office, capture_id=zhang.pk, note=" ")
    assert err.value.code == "reason_required"
    services.exception_resolve(actor=office, capture_id=zhang.pk, note="学信网已补传")
    zhang.refresh_from_db()
    assert (zhang.status, zhang.issue_note) == (S.PHOTOGRAPHED, "学信网已补传")
    log = CaptureLog.objects.filter(capture=zhang, action="resolve_issue").get()
    assert log.from_status == log.to_status == S.PHOTOGRAPHED
    assert "学信网已补传" in log.note
    assert not services.exception_resolve(actor=office, capture_id=zhang.pk, note="x").changed
    assert CaptureLog.objects.filter(capture=zhang, action="resolve_issue").count() == 1


def test_the_queues_actions_are_the_offices(counsellor, office, notice, zhang, makeup):
    services.chsi_record(actor=office, capture_id=zhang.pk, state="no_image")
    before = _snapshot()
    for call in (
        lambda: services.exception_recapture(
            actor=counsellor, capture_id=zhang.pk, session_id=makeup.pk
        ),
        lambda: services.exception_offsite(actor=counsellor, capture_id=zhang.pk),
        lambda: services.exception_resolve(actor=counsellor, capture_id=zhang.pk, note="x"),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "forbidden"
    assert _snapshot() == before


# --- the pages -----------------------------------------------------------------------------------


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def test_the_import_pages_preview_and_confirm(office_client, notice, zhang, li):
    data = xlsx(
        [["202201010001", "张三", "已确认", None], ["202201010002", "李四", "有异议", "模糊"]],
        header=HEADER,
    )
    upload = io.BytesIO(data)
    upload.name = "校对.xlsx"
    response = office_client.post(reverse("staff:confirmation_import"), {"file": upload})
    assert response.status_code == 302
    url = response["Location"]
    html = office_client.get(url).content.decode()
    assert '<span class="n" id="count-disputed">1</span>' in html and "模糊" in html
    response = office_client.post(url, follow=True)
    assert "2 名学生的校对状态已更新" in response.content.decode()
    assert _state(li) == ("disputed", "模糊")


def test_the_import_page_shows_the_row_errors(office_client, notice, zhang):
    upload = io.BytesIO(xlsx([["209999999999", "某人", "已确认", None]], header=HEADER))
    upload.name = "bad.xlsx"
    response = office_client.post(reverse("staff:confirmation_import"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "未导入任何数据" in html and "不在本次采集的名单中" in html
    assert ConfirmationImport.objects.count() == 0


def test_the_exceptions_page_lists_and_acts(office_client, office, notice, zhang, li, makeup):
    services.chsi_record(actor=office, capture_id=zhang.pk, state="disputed", reason="模糊")
    services.chsi_record(actor=office, capture_id=li.pk, state="no_image")
    html = office_client.get(reverse("staff:exceptions")).content.decode()
    assert 'id="count-total">2<' in html
    assert f'id="c{zhang.pk}"' in html and "有异议：模糊" in html and f'id="c{li.pk}"' in html
    assert "图书馆报告厅" in html  # the open make-up session to choose
    url = reverse("staff:exceptions")
    response = office_client.post(
        url, {"action": "recapture", "capture_id": zhang.pk, "session_id": makeup.pk}, follow=True
    )
    assert "已安排补拍" in response.content.decode()
    response = office_client.post(url, {"action": "resolve", "capture_id": li.pk, "note": ""})
    li.refresh_from_db()
    assert li.issue_resolved_at is None  # a note is required
    office_client.post(url, {"action": "resolve", "capture_id": li.pk, "note": "已补传"})
    html = office_client.get(url).content.decode()
    assert 'id="count-total">0<' in html and 'id="none-open"' in html


def test_the_export_holds_the_queue(office_client, office, notice, zhang, li, wang):
    services.chsi_record(actor=office, capture_id=zhang.pk, state="disputed", reason="=1+1")
    Student.objects.filter(pk=wang.student_id).update(name="=HYPERLINK()")
    services.chsi_record(actor=office, capture_id=wang.pk, state="no_image")
    response = office_client.get(reverse("staff:exceptions_xlsx"))
    assert "no-store" in response["Cache-Control"]
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:5] == ("培养单位", "学号", "姓名", "采集状态", "校对问题")
    assert [r[1] for r in rows[1:]] == ["202201010001", "202202010001"]
    assert rows[1][4] == "有异议：=1+1"
    assert rows[2][2] == "'=HYPERLINK()"  # formula text neutralised
    counts = list(wb.worksheets[1].iter_rows(values_only=True))
    assert counts[1:] == [("法学院", 1), ("经济学院", 1)]


def test_the_counsellor_records_states_for_their_unit_only(client, notice, law, econ, zhang, wang):
    user = MembershipFactory(user=UserFactory(), unit=law).user
    client.force_login(user)
    url = reverse("unit:confirmation", args=[law.pk])
    html = client.get(url).content.decode()
    assert "张三" in html and "王五" not in html
    response = client.post(url, {"capture_id": zhang.pk, "state": "disputed", "reason": ""})
    assert response.status_code == 302
    assert _state(zhang) == ("", "")  # disputed without a reason: refused
    client.post(url, {"capture_id": zhang.pk, "state": "disputed", "reason": "眼镜反光"})
    assert _state(zhang) == ("disputed", "眼镜反光")
    # Another unit's student, through this unit's page or the other's: nobody.
    assert client.post(url, {"capture_id": wang.pk, "state": "confirmed"}).status_code == 404
    other = reverse("unit:confirmation", args=[econ.pk])
    assert client.get(other).status_code == 404
    assert client.post(other, {"capture_id": wang.pk, "state": "confirmed"}).status_code == 404
    assert _state(wang) == ("", "")


# --- the student's page --------------------------------------------------------------------------


def _student_page(client, capture):
    return client.get(
        reverse("student", args=[pass_token(capture.student_id, capture.campaign_id)])
    )


def test_the_student_page_says_what_next_from_the_day_after_capture(client, notice, zhang):
    Capture.objects.filter(pk=zhang.pk).update(status_at=timezone.now())
    html = _student_page(client, zhang).content.decode()
    assert "下一步：在学信网校对照片" not in html  # the day of the capture itself
    Capture.objects.filter(pk=zhang.pk).update(status_at=_yesterday())
    html = _student_page(client, zhang).content.decode()
    assert "下一步：在学信网校对照片" in html
    assert "学信网 → 学信档案 → 图像校对" in html
    assert "另行通知" in html  # no dates yet
    assert "有异议" in html and "辅导员" in html
    assert "二办106" in html and "87657669" in html
    Campaign.objects.filter(pk=notice.pk).update(
        confirmation_opens=dt.date(2024, 5, 6), confirmation_deadline=dt.date(2024, 5, 31)
    )
    Capture.objects.filter(pk=zhang.pk).update(chsi_state="disputed", chsi_reason="不是本人")
    html = _student_page(client, zhang).content.decode()
    assert "另行通知" not in html
    assert "2024年5月6日 至 2024年5月31日" in html
    assert "不是本人" in html
    Capture.objects.filter(pk=zhang.pk).update(chsi_state="confirmed", chsi_reason="")
    assert "已确认 ✓" in _student_page(client, zhang).content.decode()


def test_no_next_step_before_a_photo(client, notice, law):
    capture = Capture.objects.create(
        student=StudentFactory(unit=law), campaign=notice, status_at=_yesterday()
    )
    assert "下一步：在学信网校对照片" not in _student_page(client, capture).content.decode()


def test_the_student_page_keeps_its_three_queries(client, notice, zhang, django_assert_num_queries):
    Capture.objects.filter(pk=zhang.pk).update(chsi_state="confirmed")
    url = reverse("student", args=[pass_token(zhang.student_id, zhang.campaign_id)])
    # The page's three + the live announcements (sessions.announcements): 4.
    with django_assert_num_queries(4):
        assert "已确认 ✓" in client.get(url).content.decode()


# --- query counts ---------------------------------------------------------------------------------


def _roster(campaign, start, n):
    units = list(TrainingUnit.objects.order_by("pk"))
    students = Student.objects.bulk_create(
        Student(
            student_no=f"2023{i:08d}",
            name=f"学生{i}",
            unit=units[i % len(units)],
            cohort=2025,
            id_tail=f"{i % 10000:04d}",
        )
        for i in range(start, start + n)
    )
    states = ["", "confirmed", "disputed", "no_image", "", "confirmed", "", ""]
    Capture.objects.bulk_create(
        Capture(
            student=s,
            campaign=campaign,
            status=S.PHOTOGRAPHED,
            status_at=_yesterday(),
            chsi_state=states[i % len(states)],
            chsi_reason="模糊" if states[i % len(states)] == "disputed" else "",
        )
        for i, s in enumerate(students, start=start)
    )
    analyze_after_bulk()


def _count(fn):
    with CaptureQueriesContext(connection) as queries:
        response = fn()
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, response
    return len(queries)


def _counts(client, office_user, counsellor_user, campaign, upload, unit, token):
    client.force_login(office_user)
    found = {
        name: _count(lambda n=name: client.get(reverse(n)))
        for name in (
            "staff:exceptions",
            "staff:exceptions_xlsx",
            "staff:confirmation_import",
            "staff:index",
        )
    }
    found["staff:exceptions?unit"] = _count(
        lambda: client.get(reverse("staff:exceptions") + f"?unit={unit.pk}")
    )
    found["staff:confirmation_preview"] = _count(
        lambda: client.get(reverse("staff:confirmation_preview", args=[upload.pk]))
    )
    found["unit:confirmation"] = _count(
        lambda: client.get(reverse("unit:confirmation", args=[unit.pk]))
    )
    client.force_login(counsellor_user)
    found["unit:confirmation (counsellor)"] = _count(
        lambda: client.get(reverse("unit:confirmation", args=[unit.pk]))
    )
    client.logout()
    found["student"] = _count(lambda: client.get(reverse("student", args=[token])))
    return found


@pytest.mark.django_db
def test_query_counts_of_the_new_pages_do_not_grow_with_the_roster(
    client, office, office_user, notice, zhang
):
    unit = zhang.student.unit
    counsellor_user = MembershipFactory(user=UserFactory(), unit=unit).user
    services.makeup_session_create(actor=office, campaign_id=notice.pk, **MAKEUP)
    Campaign.objects.filter(pk=notice.pk).update(
        confirmation_deadline=timezone.localdate() - dt.timedelta(days=1)
    )
    upload = _preview(
        office, notice, xlsx([["202201010001", "张三", "有异议", "模糊"]], header=HEADER)
    ).upload
    token = pass_token(zhang.student_id, notice.pk)
    args = (client, office_user, counsellor_user, notice, upload, unit, token)
    _roster(notice, 0, 100)
    small = _counts(*args)
    _roster(notice, 100, 9_900)
    large = _counts(*args)
    assert large == small
    assert small["student"] == 4  # 3 + the live announcements (sessions.announcements)
    # The queue page lists at most ROW_LIMIT rows at once, and says so.
    html = client.get(reverse("staff:exceptions"))
    assert html.status_code == 302  # logged out above: to the login page
    client.force_login(office_user)
    html = client.get(reverse("staff:exceptions")).content.decode()
    assert 'id="truncated"' in html


@pytest.mark.parametrize("status", [Capture.Status.ABSENT, Capture.Status.EXEMPT])
def test_confirmed_or_disputed_needs_a_photo_and_exempt_students_are_no_exception(
    office, notice, law, status
):
    nobody = Capture.objects.create(
        student=StudentFactory(unit=law), campaign=notice, status=status
    )
    for state in ("confirmed", "disputed"):
        with pytest.raises(DomainError) as refused:
            services.chsi_record(actor=office, capture_id=nobody.pk, state=state, reason="x")
        assert refused.value.code == "no_photo"
    # CHSI's own "no image" is what such a student has.
    services.chsi_record(actor=office, capture_id=nobody.pk, state="no_image")
    in_queue = set(confirmation_selectors.exception_captures(notice).values_list("pk", flat=True))
    assert (nobody.pk in in_queue) == (status != Capture.Status.EXEMPT)
