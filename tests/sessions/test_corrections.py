"""Issue 14, points 1 and 2: corrections (by the office, requested by counsellors),
exemptions with a reason and their undo, attention notes per student, in bulk and from a
roster column; and what each page costs in queries, whatever the roster size."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import services
from sessions.models import Campaign, Capture, CaptureLog, CorrectionRequest, Station
from sessions.services import captures as capture_service
from sessions.services import corrections
from tests.conftest import analyze_after_bulk, device_actor, device_client
from tests.factories import CaptureFactory, MembershipFactory, StudentFactory, UserFactory
from tests.rosterfiles import xlsx
from units.models import Student, TrainingUnit

S = Capture.Status
pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(Capture.objects.order_by("pk").values()),
        list(CaptureLog.objects.order_by("pk").values()),
        list(CorrectionRequest.objects.order_by("pk").values()),
    )


def _status(capture):
    return Capture.objects.get(pk=capture.pk).status


def _set_status(capture, status):
    """Put a capture in a status for a test's start (the office's correction)."""
    services.capture_correct(
        actor=Actor.system(), capture_id=capture.pk, to_status=status, reason="测试准备"
    )


@pytest.fixture
def north(notice):
    return device_client(Station.objects.get(name="北门-1"))


def scan(door, code, **extra):
    response = door.post(
        reverse("station:scan"),
        json.dumps({"code": code, **extra}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def law_counsellor(notice, law):
    return MembershipFactory(user=UserFactory(username="law-counsellor"), unit=law).user


# --- corrections by the office ---------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_correction_without_a_reason_is_refused(office, capture, reason):
    before = _snapshot()
    with pytest.raises(DomainError) as refused:
        services.capture_correct(
            actor=office, capture_id=capture.pk, to_status=S.ARRIVED, reason=reason
        )
    assert refused.value.code == "reason_required"
    assert _snapshot() == before


def test_the_detail_page_refuses_a_correction_without_a_reason(client, office_user, capture):
    client.force_login(office_user)
    before = _snapshot()
    url = reverse("staff:capture_detail", args=[capture.pk])
    response = client.post(url, {"action": "correct", "correct-to_status": S.ARRIVED})
    assert response.status_code == 400
    assert _snapshot() == before


def test_offsite_student_who_came_after_all_is_moved_back_and_scanned_at_the_door(
    client, office_user, student, north, counsellor_user
):
    services.capture_send_offsite(actor=Actor.system(), capture_id=student.pk, note="实习在外地")
    refused = scan(north, "202201010001")
    assert refused["outcome"] == "red" and refused["code"] == "not_allowed"
    client.force_login(office_user)
    response = client.post(
        reverse("staff:capture_detail", args=[student.pk]),
        {"action": "correct", "correct-to_status": S.EXPECTED, "correct-reason": "本人已到现场"},
    )
    assert response.status_code == 302
    assert _status(student) == S.EXPECTED
    log = CaptureLog.objects.filter(capture=student).latest("pk")
    assert (log.action, log.from_status, log.to_status) == ("correct", S.OFFSITE, S.EXPECTED)
    assert log.actor_user == office_user and log.note == "本人已到现场"
    assert scan(north, "202201010001")["outcome"] == "green"
    assert _status(student) == S.PHOTOGRAPHED
    # The history shows who, when and why, newest first, in plain words.
    page = client.get(reverse("staff:capture_detail", args=[student.pk]))
    history = page.context["detail"].history
    assert [row.log.action for row in history] == ["photograph", "correct", "send_offsite"]
    assert [row.label for row in history] == ["拍摄完成", "更正状态", "转为分散采集"]
    assert "本人已到现场" in page.content.decode() and "office-test" in page.content.decode()


def test_correcting_to_the_same_status_writes_nothing(office, capture):
    result = services.capture_correct(
        actor=office, capture_id=capture.pk, to_status=S.EXPECTED, reason="核对"
    )
    assert not result.changed and not CaptureLog.objects.exists()


def test_a_counsellor_cannot_correct_directly_but_can_request(counsellor, capture):
    before = _snapshot()
    with pytest.raises(DomainError) as refused:
        services.capture_correct(
            actor=counsellor, capture_id=capture.pk, to_status=S.OFFSITE, reason="想改"
        )
    assert refused.value.code == "forbidden"
    assert _snapshot() == before
    request, created = services.correction_request_create(
        actor=counsellor, capture_id=capture.pk, to_status=S.OFFSITE, reason="实习在外地"
    )
    assert created and request.status == CorrectionRequest.Status.PENDING
    assert (request.from_status, request.to_status) == (S.EXPECTED, S.OFFSITE)
    assert _status(capture) == S.EXPECTED  # nothing changes until the office approves
    again, created = services.correction_request_create(
        actor=counsellor, capture_id=capture.pk, to_status=S.OFFSITE, reason="实习在外地"
    )
    assert not created and again.pk == request.pk  # a double click requests once


@pytest.mark.parametrize(
    ("to_status", "reason", "code"),
    [
        (S.OFFSITE, "", "reason_required"),
        ("nowhere", "原因", "invalid"),
        (S.EXPECTED, "原因", "not_allowed"),
    ],
)
def test_a_bad_request_is_refused(counsellor, capture, to_status, reason, code):
    with pytest.raises(DomainError) as refused:
        services.correction_request_create(
            actor=counsellor, capture_id=capture.pk, to_status=to_status, reason=reason
        )
    assert refused.value.code == code
    assert not CorrectionRequest.objects.exists()


def test_another_units_counsellor_cannot_request(capture, other_unit):
    stranger = MembershipFactory(user=UserFactory(username="stranger"), unit=other_unit).user
    with pytest.raises(DomainError) as refused:
        services.correction_request_create(
            actor=Actor.of(stranger), capture_id=capture.pk, to_status=S.OFFSITE, reason="x"
        )
    assert refused.value.code == "forbidden"


def test_approving_applies_the_correction_and_logs_who_asked(office, counsellor, capture):
    _set_status(capture, S.OFFSITE)
    request, _created = services.correction_request_create(
        actor=counsellor, capture_id=capture.pk, to_status=S.EXPECTED, reason="学生到现场了"
    )
    request, changed = services.correction_request_decide(
        actor=office, request_id=request.pk, approve=True
    )
    assert changed and request.status == CorrectionRequest.Status.APPROVED
    assert request.decided_by == office.user and request.decided_at is not None
    assert _status(capture) == S.EXPECTED
    log = CaptureLog.objects.filter(capture=capture).latest("pk")
    assert log.action == "correct" and log.actor_user == office.user
    assert log.note == "申请人: counsellor-test 原因: 学生到现场了"
    logs = CaptureLog.objects.count()
    _request, changed = services.correction_request_decide(
        actor=office, request_id=request.pk, approve=True
    )
    assert not changed and CaptureLog.objects.count() == logs  # approving twice: once
    with pytest.raises(DomainError) as refused:
        services.correction_request_decide(
            actor=office, request_id=request.pk, approve=False, note="晚了"
        )
    assert refused.value.code == "decided"


def test_a_counsellor_cannot_decide(counsellor, capture):
    request, _created = services.correction_request_create(
        actor=counsellor, capture_id=capture.pk, to_status=S.OFFSITE, reason="实习"
    )
    with pytest.raises(DomainError) as refused:
        services.correction_request_decide(actor=counsellor, request_id=request.pk, approve=True)
    assert refused.value.code == "forbidden"


def test_a_stale_request_is_refused(office, counsellor, capture):
    request, _created = services.correction_request_create(
        actor=counsellor, capture_id=capture.pk, to_status=S.OFFSITE, reason="实习在外地"
    )
    _set_status(capture, S.PHOTOGRAPHED)  # the student came and was photographed since
    before = _snapshot()
    with pytest.raises(DomainError) as refused:
        services.correction_request_decide(actor=office, request_id=request.pk, approve=True)
    assert refused.value.code == "stale"
    assert _snapshot() == before


def test_rejecting_needs_a_note(office, counsellor, capture):
    request, _created = services.correction_request_create(
        actor=counsellor, capture_id=capture.pk, to_status=S.OFFSITE, reason="实习在外地"
    )
    before = _snapshot()
    with pytest.raises(DomainError) as refused:
        services.correction_request_decide(actor=office, request_id=request.pk, approve=False)
    assert refused.value.code == "reason_required"
    assert _snapshot() == before
    request, changed = services.correction_request_decide(
        actor=office, request_id=request.pk, approve=False, note="请学生先来现场"
    )
    assert changed and request.status == CorrectionRequest.Status.REJECTED
    assert request.decision_note == "请学生先来现场"
    assert _status(capture) == S.EXPECTED


def test_the_request_and_decision_pages(client, office_user, law_counsellor, student, law):
    client.force_login(law_counsellor)
    url = reverse("unit:correction_request", args=[law.pk, student.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"to_status": S.OFFSITE, "reason": ""})
    assert refused.status_code == 400 and not CorrectionRequest.objects.exists()
    response = client.post(url, {"to_status": S.OFFSITE, "reason": "实习在外地"})
    assert response.status_code == 302 and response["Location"] == url
    request = CorrectionRequest.objects.get()
    assert request.requested_by == law_counsellor
    client.force_login(office_user)
    page = client.get(reverse("staff:corrections"))
    assert [r.pk for r in page.context["pending"]] == [request.pk]
    assert "实习在外地" in page.content.decode()
    response = client.post(
        reverse("staff:corrections"), {"request_id": request.pk, "decision": "reject"}
    )
    assert response.status_code == 302
    assert CorrectionRequest.objects.get().status == CorrectionRequest.Status.PENDING
    client.post(reverse("staff:corrections"), {"request_id": request.pk, "decision": "approve"})
    assert CorrectionRequest.objects.get().status == CorrectionRequest.Status.APPROVED
    assert _status(student) == S.OFFSITE
    assert Capture.objects.get(pk=student.pk).offsite_reason.endswith("原因: 实习在外地")


# --- shooting numbers ------------------------------------------------------------------------


def test_the_office_corrects_a_shooting_number_with_a_reason(client, office_user, capture):
    _set_status(capture, S.PHOTOGRAPHED)
    client.force_login(office_user)
    url = reverse("staff:capture_detail", args=[capture.pk])
    page = client.get(url).content.decode()
    assert 'id="form-shooting-no"' in page
    refused = client.post(url, {"action": "shooting_no", "shooting_no-shooting_no": "0042"})
    assert refused.status_code == 400
    response = client.post(
        url,
        {
            "action": "shooting_no",
            "shooting_no-shooting_no": "0042",
            "shooting_no-reason": "读卡器跳号",
        },
    )
    assert response.status_code == 302
    assert Capture.objects.get(pk=capture.pk).shooting_no == "0042"
    log = CaptureLog.objects.filter(capture=capture).latest("pk")
    assert log.action == "correct_shooting_no" and "读卡器跳号" in log.note


def test_no_shooting_number_form_before_the_photograph(client, office_user, capture):
    client.force_login(office_user)
    page = client.get(reverse("staff:capture_detail", args=[capture.pk])).content.decode()
    assert 'id="form-shooting-no"' not in page
    response = client.post(
        reverse("staff:capture_detail", args=[capture.pk]),
        {"action": "shooting_no", "shooting_no-shooting_no": "1", "shooting_no-reason": "x"},
    )
    assert response.status_code == 400 and Capture.objects.get().shooting_no == ""


# --- exemptions ------------------------------------------------------------------------------


@pytest.mark.parametrize("choice", corrections.EXEMPT_REASONS)
def test_exempt_with_each_reason_of_the_list(client, office_user, capture, choice):
    client.force_login(office_user)
    url = reverse("staff:capture_detail", args=[capture.pk])
    data = {"action": "exempt", "exempt-reason": choice}
    if choice == "其他":
        refused = client.post(url, data)
        assert refused.status_code == 400 and _status(capture) == S.EXPECTED
        data["exempt-other"] = "出国交流"
    response = client.post(url, data)
    assert response.status_code == 302
    assert _status(capture) == S.EXEMPT
    log = CaptureLog.objects.get(capture=capture)
    assert log.action == "exempt"
    assert log.note == ("其他：出国交流" if choice == "其他" else choice)
    client.post(url, data)  # a second click
    assert CaptureLog.objects.count() == 1


def test_an_exemption_reason_not_on_the_list_is_refused(office, capture):
    for choice, code in (("", "reason_required"), ("随便", "invalid"), ("其他", "reason_required")):
        with pytest.raises(DomainError) as refused:
            services.capture_exempt_listed(actor=office, capture_id=capture.pk, choice=choice)
        assert refused.value.code == code
    assert _status(capture) == S.EXPECTED


@pytest.mark.parametrize("before", [S.OFFSITE, S.PHOTOGRAPHED, S.EXPECTED])
def test_undoing_an_exemption_returns_to_the_status_before_it(client, office_user, capture, before):
    if before != S.EXPECTED:
        _set_status(capture, before)
    office = Actor.of(office_user)
    services.capture_exempt_listed(actor=office, capture_id=capture.pk, choice="延期毕业")
    client.force_login(office_user)
    url = reverse("staff:capture_detail", args=[capture.pk])
    assert client.get(url).context["exempt_from_label"] == S(before).label
    refused = client.post(url, {"action": "unexempt"})
    assert refused.status_code == 400 and _status(capture) == S.EXEMPT
    response = client.post(url, {"action": "unexempt", "unexempt-reason": "延期取消"})
    assert response.status_code == 302
    assert _status(capture) == before
    log = CaptureLog.objects.filter(capture=capture).latest("pk")
    assert (log.action, log.from_status, log.to_status) == ("correct", S.EXEMPT, before)
    assert "延期取消" in log.note and log.actor_user == office_user
    with pytest.raises(DomainError) as refused:
        services.capture_exempt_undo(actor=office, capture_id=capture.pk, reason="再点一次")
    assert refused.value.code == "not_exempt"


def test_a_counsellor_cannot_exempt_or_undo(counsellor, capture):
    with pytest.raises(DomainError) as refused:
        services.capture_exempt_listed(actor=counsellor, capture_id=capture.pk, choice="延期毕业")
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as refused:
        services.capture_exempt_undo(actor=counsellor, capture_id=capture.pk, reason="x")
    assert refused.value.code == "forbidden"


# --- attention notes -------------------------------------------------------------------------


def test_an_attention_note_set_on_the_page_is_an_orange_answer_at_the_door(
    client, office_user, student, north
):
    client.force_login(office_user)
    url = reverse("staff:capture_detail", args=[student.pk])
    response = client.post(url, {"action": "attention", "attention-note": "学籍异动，请核对姓名"})
    assert response.status_code == 302
    log = CaptureLog.objects.get(capture=student)
    assert (log.action, log.from_status, log.to_status) == ("attention", S.EXPECTED, S.EXPECTED)
    assert log.note == "学籍异动，请核对姓名" and log.actor_user == office_user
    client.post(url, {"action": "attention", "attention-note": "学籍异动，请核对姓名"})
    assert CaptureLog.objects.count() == 1  # the same note again: nothing written
    answer = scan(north, "202201010001")
    assert answer["outcome"] == "orange" and "学籍异动，请核对姓名" in answer["message"]
    assert _status(student) == S.EXPECTED
    client.post(url, {"action": "attention", "attention-note": ""})
    assert Capture.objects.get(pk=student.pk).attention_note == ""
    assert CaptureLog.objects.latest("pk").note == "清除提醒"
    assert scan(north, "202201010001")["outcome"] == "green"


def test_attention_notes_are_refused_to_others_and_after_closing(counsellor, office, capture):
    with pytest.raises(DomainError) as refused:
        services.capture_set_attention(actor=counsellor, capture_id=capture.pk, note="x")
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as refused:
        services.capture_set_attention(actor=office, capture_id=capture.pk, note="x" * 201)
    assert refused.value.code == "invalid"
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    with pytest.raises(DomainError) as refused:
        services.capture_set_attention(actor=office, capture_id=capture.pk, note="x")
    assert refused.value.code == "campaign_closed"
    assert not CaptureLog.objects.exists()


# --- in bulk ---------------------------------------------------------------------------------


@pytest.fixture
def five(campaign, unit):
    """Five captures of the campaign, 2023000001 … 2023000005."""
    return [
        CaptureFactory(
            campaign=campaign, student=StudentFactory(unit=unit, student_no=f"202300000{i}")
        )
        for i in range(1, 6)
    ]


PASTED = (
    "2023000001\n2023000002, 2023000003，2023000004\r\n２０２３０００００５\n"
    "9999999999 8888888888\n2023000001"
)


def test_the_bulk_preview_counts_and_lists_unknown_numbers(client, office_user, five):
    for capture in five[:2]:
        services.capture_exempt(
            actor=Actor.of(office_user), capture_id=capture.pk, reason="延期毕业"
        )
    client.force_login(office_user)
    before = _snapshot()
    response = client.post(
        reverse("staff:capture_bulk"),
        {"step": "preview", "numbers": PASTED, "action": "exempt", "reason": "延期毕业"},
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert len(preview.numbers) == 7  # the repeat counted once, full-width digits folded
    assert (preview.found, preview.already, preview.change) == (5, 2, 3)
    assert preview.unknown == ["9999999999", "8888888888"] and preview.unknown_count == 2
    assert "9999999999" in response.content.decode()
    assert _snapshot() == before  # a preview writes nothing
    note = client.post(
        reverse("staff:capture_bulk"),
        {"step": "preview", "numbers": PASTED, "action": "note", "note": ""},
    )
    assert note.status_code == 400  # a note to set must be written


def test_the_bulk_confirmation_applies_and_a_second_changes_nothing(client, office_user, five):
    client.force_login(office_user)
    data = {
        "step": "apply",
        "numbers": PASTED,
        "action": "exempt",
        "reason": "其他",
        "other": "出国",
    }
    response = client.post(reverse("staff:capture_bulk"), data)
    assert response.status_code == 302
    assert set(Capture.objects.values_list("status", flat=True)) == {S.EXEMPT}
    assert set(CaptureLog.objects.values_list("note", flat=True)) == {"其他：出国"}
    assert CaptureLog.objects.count() == 5
    client.post(reverse("staff:capture_bulk"), data)
    assert CaptureLog.objects.count() == 5


@pytest.mark.parametrize(
    ("action", "text", "field", "value"),
    [
        ("note", "学籍异动", "attention_note", "学籍异动"),
        ("exempt", "延期毕业", "status", S.EXEMPT),
    ],
)
def test_bulk_is_idempotent(office, five, campaign, action, text, field, value):
    result = services.captures_bulk_apply(
        actor=office, campaign_id=campaign.pk, numbers_text=PASTED, action=action, text=text
    )
    assert (result.found, result.unknown, result.changed) == (5, 2, 5)
    assert {getattr(c, field) for c in Capture.objects.all()} == {value}
    logs = CaptureLog.objects.count()
    again = services.captures_bulk_apply(
        actor=office, campaign_id=campaign.pk, numbers_text=PASTED, action=action, text=text
    )
    assert again.changed == 0 and CaptureLog.objects.count() == logs


def test_bulk_clear_notes(office, five, campaign):
    services.capture_set_attention(actor=office, capture_id=five[0].pk, note="核对姓名")
    result = services.captures_bulk_apply(
        actor=office, campaign_id=campaign.pk, numbers_text=PASTED, action="clear_note"
    )
    assert result.changed == 1
    assert not Capture.objects.exclude(attention_note="").exists()
    assert CaptureLog.objects.latest("pk").note == "清除提醒"


def _fail_on_second_call(monkeypatch, module, name):
    real = getattr(module, name)
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the second chunk fails")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


@pytest.mark.parametrize(
    ("action", "text", "module", "name", "chunk"),
    [
        ("exempt", "延期毕业", capture_service, "_write", "CHUNK"),
        ("note", "学籍异动", corrections, "_write_notes", "NOTE_CHUNK"),
    ],
)
def test_bulk_is_all_or_nothing(
    office, five, campaign, monkeypatch, action, text, module, name, chunk
):
    monkeypatch.setattr(module, chunk, 2)  # three chunks of 2, 2 and 1
    calls = _fail_on_second_call(monkeypatch, module, name)
    before = _snapshot()
    with pytest.raises(RuntimeError):
        services.captures_bulk_apply(
            actor=office, campaign_id=campaign.pk, numbers_text=PASTED, action=action, text=text
        )
    assert len(calls) == 2  # the first chunk was written, then rolled back
    assert _snapshot() == before


def test_bulk_refusals(office, counsellor, five, campaign):
    for kwargs, code in (
        (
            {"actor": counsellor, "numbers_text": PASTED, "action": "exempt", "text": "x"},
            "forbidden",
        ),
        ({"actor": office, "numbers_text": " ,\n", "action": "exempt", "text": "x"}, "empty"),
        (
            {"actor": office, "numbers_text": PASTED, "action": "exempt", "text": ""},
            "reason_required",
        ),
        ({"actor": office, "numbers_text": PASTED, "action": "drop", "text": "x"}, "invalid"),
        (
            {
                "actor": office,
                "numbers_text": "\n".join(str(10**9 + i) for i in range(5_001)),
                "action": "note",
                "text": "x",
            },
            "too_many",
        ),
    ):
        with pytest.raises(DomainError) as refused:
            services.captures_bulk_apply(campaign_id=campaign.pk, **kwargs)
        assert refused.value.code == code
    Campaign.objects.update(status=Campaign.Status.CLOSED)
    with pytest.raises(DomainError) as refused:
        services.captures_bulk_apply(
            actor=office, campaign_id=campaign.pk, numbers_text=PASTED, action="note", text="x"
        )
    assert refused.value.code == "campaign_closed"
    assert not CaptureLog.objects.exists()


# --- the roster column -----------------------------------------------------------------------

HEADER = ["学号", "姓名", "培养单位", "备注", "学籍异动"]


def _import(office, campaign, rows, header=HEADER):
    preview = services.roster_import_preview(
        actor=office, campaign_id=campaign.pk, file_name="r.xlsx", data=xlsx(rows, header=header)
    )
    assert preview.parsed.errors == [], preview.parsed.errors
    return services.roster_import_commit(actor=office, import_id=preview.upload.pk)


def test_a_roster_column_sets_attention_notes(office, notice):
    rows = [
        ["202201010001", "张三", "法学院", "请核对姓名", ""],
        ["202201010002", "李四", "法学院", "", "转专业"],
        ["202201010003", "王五", "法学院", "", "否"],
        ["202201010004", "赵六", "法学院", "", "是"],
    ]
    result = _import(office, notice, rows)
    assert result.upload.summary["attention_notes"] == 3
    notes = dict(Capture.objects.values_list("student__student_no", "attention_note"))
    assert notes == {
        "202201010001": "请核对姓名",
        "202201010002": "学籍异动：转专业",
        "202201010003": "",
        "202201010004": "学籍异动",
    }
    logs = CaptureLog.objects.filter(action="attention")
    assert logs.count() == 3 and {log.actor_user for log in logs} == {office.user}
    # Importing again: the same notes change nothing; an empty cell keeps a note; a new
    # note replaces the old one.
    rows[0][3] = ""
    rows[1][4] = "休学复学"
    again = _import(office, notice, rows)
    assert again.upload.summary["attention_notes"] == 1
    notes = dict(Capture.objects.values_list("student__student_no", "attention_note"))
    assert notes["202201010001"] == "请核对姓名"
    assert notes["202201010002"] == "学籍异动：休学复学"
    assert CaptureLog.objects.filter(action="attention").count() == 4


def test_a_roster_without_the_column_sets_no_note(office, notice):
    _import(office, notice, [["202201010001", "张三", "法学院"]], header=HEADER[:3])
    assert Capture.objects.get().attention_note == ""
    assert not CaptureLog.objects.exists()


def test_a_roster_note_with_a_line_break_is_a_row_error(office, notice):
    preview = services.roster_import_preview(
        actor=office,
        campaign_id=notice.pk,
        file_name="r.xlsx",
        data=xlsx([["202201010001", "张三", "法学院", "核对\n姓名", ""]], header=HEADER),
    )
    assert [e.column for e in preview.parsed.errors] == ["备注"]


# --- pages and permissions -------------------------------------------------------------------


def test_the_search_finds_by_number_and_by_name(client, office_user, notice, student, law):
    StudentFactory(student_no="202201010099", name="张 三", unit=law)  # not on this roster
    client.force_login(office_user)
    by_number = client.get(reverse("staff:capture_search"), {"q": "202201010001"})
    assert [c.pk for c in by_number.context["results"]] == [student.pk]
    assert reverse("staff:capture_detail", args=[student.pk]) in by_number.content.decode()
    by_name = client.get(reverse("staff:capture_search"), {"q": " 张　三 "})
    assert [c.pk for c in by_name.context["results"]] == [student.pk]
    assert by_name["Cache-Control"].startswith("max-age=0")
    nobody = client.get(reverse("staff:capture_search"), {"q": "李四"})
    assert nobody.context["results"] == []


@pytest.mark.parametrize(
    "name",
    ["staff:capture_search", "staff:capture_bulk", "staff:corrections", "staff:capture_detail"],
)
def test_a_counsellor_is_refused_the_office_pages(client, counsellor_user, capture, name):
    client.force_login(counsellor_user)
    args = [capture.pk] if name == "staff:capture_detail" else []
    assert client.get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse(name, args=args), {"action": "correct"}).status_code == 403


def test_another_units_counsellor_gets_404_on_the_request_page(client, capture, unit, other_unit):
    stranger = MembershipFactory(user=UserFactory(username="stranger"), unit=other_unit).user
    client.force_login(stranger)
    url = reverse("unit:correction_request", args=[unit.pk, capture.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"to_status": S.OFFSITE, "reason": "x"}).status_code == 404
    # Their own unit in the URL, another unit's capture: 404 as well.
    url = reverse("unit:correction_request", args=[other_unit.pk, capture.pk])
    assert client.get(url).status_code == 404
    assert not CorrectionRequest.objects.exists()


def test_a_missing_capture_is_404(client, office_user, campaign):
    client.force_login(office_user)
    assert client.get(reverse("staff:capture_detail", args=[999999])).status_code == 404


# --- query counts ----------------------------------------------------------------------------


def _roster(campaign, start, n):
    units = list(TrainingUnit.objects.order_by("pk"))
    students = Student.objects.bulk_create(
        Student(
            student_no=f"2022{i:08d}",
            name=f"学生{i}",
            unit=units[i % len(units)],
            cohort=2025,
            major="专业",
        )
        for i in range(start, start + n)
    )
    Capture.objects.bulk_create(Capture(student=s, campaign=campaign) for s in students)
    analyze_after_bulk()


def _count(fn):
    with CaptureQueriesContext(connection) as queries:
        response = fn()
    assert response.status_code == 200, response
    return len(queries)


def _page_counts(client, capture, pasted):
    return {
        "detail": _count(lambda: client.get(reverse("staff:capture_detail", args=[capture.pk]))),
        "bulk": _count(
            lambda: client.post(
                reverse("staff:capture_bulk"),
                {"step": "preview", "numbers": pasted, "action": "note", "note": "核对"},
            )
        ),
        "corrections": _count(lambda: client.get(reverse("staff:corrections"))),
        "search": _count(lambda: client.get(reverse("staff:capture_search"), {"q": "学生7"})),
        "search_no": _count(
            lambda: client.get(reverse("staff:capture_search"), {"q": "202200000007"})
        ),
    }


def test_query_counts_do_not_grow_with_the_roster(client, notice, office_user, law_counsellor):
    _roster(notice, 0, 100)
    office = Actor.of(office_user)
    capture = Capture.objects.get(student__student_no="202200000007")
    services.capture_send_offsite(actor=office, capture_id=capture.pk, note="实习")
    services.capture_set_attention(actor=office, capture_id=capture.pk, note="核对姓名")
    law_captures = Capture.objects.filter(student__unit__name="法学院").order_by("pk")[:3]
    for c in law_captures:
        services.correction_request_create(
            actor=Actor.of(law_counsellor), capture_id=c.pk, to_status=S.EXEMPT, reason="延期"
        )
    pasted = "\n".join([f"2022{i:08d}" for i in range(0, 100, 2)] + ["9999999999"])
    client.force_login(office_user)
    small = _page_counts(client, capture, pasted)
    _roster(notice, 100, 9_900)
    large = _page_counts(client, capture, pasted)
    assert large == small
    assert small["bulk"] <= 12 and small["detail"] <= 12


def test_a_note_set_after_a_photograph_does_not_block_the_shooting_number(office, student):
    door = device_actor(student.campaign)
    photo = services.scan_record(actor=door, code="202201010001")
    assert photo.outcome == "green"
    services.capture_set_attention(actor=office, capture_id=student.pk, note="核对姓名")
    services.scan_shooting_no(actor=door, log_id=photo.log.pk, shooting_no="0007")
    assert Capture.objects.get(pk=student.pk).shooting_no == "0007"


@pytest.mark.parametrize("typed", ["\x00", "2022\x0001", "张\t三"])
def test_a_search_with_control_characters_finds_nobody(notice, typed):
    from sessions import corrections_selectors

    assert corrections_selectors.capture_search(notice, typed) == []


def test_a_second_pending_request_for_one_student_is_refused(law_counsellor, student):
    asker = Actor.of(law_counsellor)
    services.correction_request_create(
        actor=asker, capture_id=student.pk, to_status="offsite", reason="实习"
    )
    with pytest.raises(DomainError) as refused:
        services.correction_request_create(
            actor=asker, capture_id=student.pk, to_status="exempt", reason="别的"
        )
    assert refused.value.code == "pending"


def test_every_recorded_action_has_a_label_in_the_history():
    # A student's history showed the raw code for the paper actions (paper_arrive …).
    from sessions.corrections_selectors import ACTION_LABELS
    from sessions.services.captures import NOTE_ACTIONS, NUMBER_ACTIONS, RULES

    actions = set(RULES) | set(NUMBER_ACTIONS) | set(NOTE_ACTIONS)
    assert sorted(actions - set(ACTION_LABELS)) == []
