"""Paper sign-in sheets (sessions.paper): the sheet lists a unit's expected students, and a
recorded sheet (text box, pass tokens, .xlsx) becomes the same transitions, timed at the
window's start with source "paper", all or nothing, idempotent."""

import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from capture_portal.exceptions import DomainError
from sessions import paper
from sessions.models import Capture, CaptureLog, CaptureSession, SlotUnit
from sessions.services.captures import capture_photograph
from sessions.tokens import pass_token
from tests.factories import StudentFactory
from units.models import TrainingUnit

S = Capture.Status


@pytest.fixture
def day(notice, law):
    session = CaptureSession.objects.get()
    captures = [
        Capture.objects.create(student=StudentFactory(unit=law), campaign=notice) for _ in range(5)
    ]
    return session, captures


def _new(law, notice, **kw):
    return Capture.objects.create(student=StudentFactory(unit=law, **kw), campaign=notice)


def _window_start(session, unit):
    slot = SlotUnit.objects.get(session=session, unit=unit).slot
    return timezone.make_aware(dt.datetime.combine(session.date, slot.start))


def _state():
    return sorted(
        Capture.objects.values_list("pk", "status", "status_at", "shooting_no")
    ), CaptureLog.objects.count()


def _encoded(entries):
    """The confirm form's hidden field for `entries` ((action, text, shooting number))."""
    return json.dumps([list(e) for e in entries])


def test_sheet_lists_exactly_the_units_expected_students(day, law, notice):
    session, captures = day
    withdrawn = _new(law, notice, withdrawn=True)
    exempt = _new(law, notice)
    Capture.objects.filter(pk=exempt.pk).update(status=S.EXEMPT)
    other_unit = TrainingUnit.objects.exclude(pk=law.pk).first()
    stranger = Capture.objects.create(student=StudentFactory(unit=other_unit), campaign=notice)

    sheet = paper.paper_sheet(session, law.pk)

    assert [c.pk for c in sheet.rows] == [
        c.pk for c in sorted(captures, key=lambda c: c.student.student_no)
    ]
    listed = {c.pk for c in sheet.rows}
    assert not listed & {withdrawn.pk, exempt.pk, stranger.pk}
    assert all(c.qr.startswith("data:image/png;base64,") for c in sheet.rows)


def test_sheet_page_counts_and_numbers(office_user, client, notice, law):
    session = CaptureSession.objects.get()
    for _ in range(paper.ROWS_PER_PAGE + 3):
        _new(law, notice)
    client.force_login(office_user)
    html = client.get(reverse("staff:paper_sheet", args=[session.pk, law.pk])).content.decode()
    assert "第 1 页 共 2 页" in html and "第 2 页 共 2 页" in html
    assert f"本页 {paper.ROWS_PER_PAGE} 人" in html and "本页 3 人" in html
    assert html.count('class="row-qr"') == paper.ROWS_PER_PAGE + 3
    assert session.entry_door in html and law.name in html


def test_sheet_queries_do_not_grow_with_the_roster(office_user, client, notice, law):
    session = CaptureSession.objects.get()
    client.force_login(office_user)
    url = reverse("staff:paper_sheet", args=[session.pk, law.pk])
    _new(law, notice)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(30):
        _new(law, notice)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert len(large) == len(small)


def test_sheet_of_a_unit_not_in_the_session_is_404(office_user, client, notice):
    session = CaptureSession.objects.get()
    client.force_login(office_user)
    assert client.get(reverse("staff:paper_sheet", args=[session.pk, 999999])).status_code == 404


def test_sheet_xlsx_has_the_rows_and_empty_tick_columns(office_user, client, day, law):
    session, captures = day
    client.force_login(office_user)
    response = client.get(reverse("staff:paper_sheet_xlsx", args=[session.pk, law.pk]))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == paper.XLSX_HEADERS
    assert {r[0] for r in rows[1:]} == {c.student.student_no for c in captures}
    assert all(r[3] is None and r[4] is None for r in rows[1:])


def _filled_xlsx(client, session, law, arrive=(), photograph=(), numbers=None):
    """The sheet's .xlsx with ticks; `numbers`: {student number: shooting number}."""
    response = client.get(reverse("staff:paper_sheet_xlsx", args=[session.pk, law.pk]))
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in arrive:
            row[3].value = "✓"
        if row[0].value in photograph:
            row[4].value = "√"
        if numbers and row[0].value in numbers:
            row[5].value = numbers[row[0].value]
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "sheet.xlsx"
    return buf


@pytest.mark.parametrize("how", ["text", "tokens", "xlsx"])
def test_each_input_makes_the_same_paper_transitions(how, office, office_user, client, day, law):
    """Two arrived, two photographed with their shooting numbers (拍摄号), one untouched:
    the same rows, times, source and numbers whichever way the sheet comes in."""
    session, captures = day
    arrived, photographed = captures[:2], captures[2:4]
    numbers = {c.student.student_no: f"A-{i}" for i, c in enumerate(photographed, start=17)}
    client.force_login(office_user)
    url = reverse("staff:paper_record", args=[session.pk])
    if how == "xlsx":
        upload = _filled_xlsx(
            client,
            session,
            law,
            arrive={c.student.student_no for c in arrived},
            photograph=set(numbers),
            numbers=numbers,
        )
        preview = client.post(url, {"action": "arrive", "file": upload, "preview": "1"})
        assert len(preview.context["preview"].changes) == 4
        encoded = preview.context["encoded"]
    else:

        def line(c):
            return (
                c.student.student_no if how == "text" else pass_token(c.student_id, c.campaign_id)
            )

        # The text box takes one action a submission: the arrivals, then the photographs
        # with "<student number or pass> <shooting number>" a line.
        preview = client.post(
            url,
            {"numbers": "\n".join(line(c) for c in arrived), "action": "arrive", "preview": "1"},
        )
        assert len(preview.context["preview"].changes) == 2
        assert (
            client.post(url, {"entries": preview.context["encoded"], "confirm": "1"}).status_code
            == 302
        )
        text = "\n".join(f"{line(c)} {numbers[c.student.student_no]}" for c in photographed)
        preview = client.post(url, {"numbers": text, "action": "photograph", "preview": "1"})
        assert len(preview.context["preview"].changes) == 2
        encoded = preview.context["encoded"]
    assert preview.status_code == 200
    assert "A-17" in preview.content.decode() and "A-18" in preview.content.decode()
    response = client.post(url, {"entries": encoded, "confirm": "1"})
    assert response.status_code == 302

    when = _window_start(session, law)
    rows = {
        pk: (status, no)
        for pk, status, no in Capture.objects.values_list("pk", "status", "shooting_no")
    }
    assert [rows[c.pk] for c in captures] == [
        (S.ARRIVED, ""),
        (S.ARRIVED, ""),
        (S.PHOTOGRAPHED, "A-17"),
        (S.PHOTOGRAPHED, "A-18"),
        (S.EXPECTED, ""),
    ]
    logs = list(CaptureLog.objects.all())
    assert len(logs) == 6
    assert {(log.source, log.station, log.occurred_at, log.actor_user_id) for log in logs} == {
        ("paper", paper.PAPER_STATION, when, office_user.pk)
    }
    assert (
        sorted(log.action for log in logs)
        == ["paper_arrive"] * 2 + ["paper_photograph"] * 2 + ["paper_shooting_no"] * 2
    )


def test_replaying_the_same_sheet_changes_nothing(office, day):
    session, captures = day
    entries = [paper.Entry(c.student.student_no, paper.PHOTOGRAPH) for c in captures]
    assert paper.paper_record(actor=office, session_id=session.pk, entries=entries) == 5
    before = _state()
    assert paper.paper_record(actor=office, session_id=session.pk, entries=entries) == 0
    assert _state() == before
    preview = paper.paper_preview(session, entries)
    assert len(preview.unchanged) == 5 and not preview.changes and not preview.blocking


def test_conflicts_are_reported_and_nothing_half_applies(office, station, day, law, notice):
    session, captures = day
    capture_photograph(actor=station, capture_id=captures[0].pk)  # recorded at a door
    exempt = captures[1]
    Capture.objects.filter(pk=exempt.pk).update(status=S.EXEMPT)
    other = CaptureSession.objects.create(
        campaign=notice, date=session.date, start=session.start, end=session.end, place="别处"
    )
    elsewhere = captures[2]
    Capture.objects.filter(pk=elsewhere.pk).update(session=other)
    entries = [paper.Entry(c.student.student_no, paper.ARRIVE) for c in captures] + [
        paper.Entry("000000000000", paper.ARRIVE),
        paper.Entry("not-a-token:xyz", paper.ARRIVE),
    ]

    preview = paper.paper_preview(session, entries)
    assert [r.capture.pk for r in preview.at_door] == [captures[0].pk]
    assert [r.capture.pk for r in preview.exempt] == [exempt.pk]
    assert [r.capture.pk for r in preview.wrong_session] == [elsewhere.pk]
    assert [r.entry.text for r in preview.unknown] == ["000000000000", "not-a-token:xyz"]
    assert [r.capture.pk for r in preview.changes] == [c.pk for c in captures[3:]]

    before = _state()
    with pytest.raises(DomainError) as refused:
        paper.paper_record(actor=office, session_id=session.pk, entries=entries)
    assert refused.value.code == "conflicts"
    assert _state() == before


def test_a_door_record_is_left_alone_and_the_rest_applies(office, station, day):
    session, captures = day
    capture_photograph(actor=station, capture_id=captures[0].pk)
    door_log = CaptureLog.objects.get()
    entries = [paper.Entry(c.student.student_no, paper.ARRIVE) for c in captures]
    assert paper.paper_record(actor=office, session_id=session.pk, entries=entries) == 4
    assert Capture.objects.get(pk=captures[0].pk).status == S.PHOTOGRAPHED
    assert CaptureLog.objects.filter(capture_id=captures[0].pk).get() == door_log


def test_recording_a_sheet_needs_the_office(counsellor, day):
    session, captures = day
    entries = [paper.Entry(captures[0].student.student_no, paper.ARRIVE)]
    with pytest.raises(DomainError) as refused:
        paper.paper_record(actor=counsellor, session_id=session.pk, entries=entries)
    assert refused.value.code == "forbidden"
    assert Capture.objects.get(pk=captures[0].pk).status == S.EXPECTED


def test_a_double_submission_records_once(office_user, client, day):
    session, captures = day
    client.force_login(office_user)
    url = reverse("staff:paper_record", args=[session.pk])
    data = {"entries": _encoded([("arrive", captures[0].student.student_no, "")]), "confirm": "1"}
    client.post(url, data)
    client.post(url, data)
    assert CaptureLog.objects.count() == 1


def test_a_bad_upload_is_refused_with_a_message(office_user, client, day):
    session, _captures = day
    client.force_login(office_user)
    bad = io.BytesIO(b"not a workbook")
    bad.name = "x.xlsx"
    response = client.post(
        reverse("staff:paper_record", args=[session.pk]),
        {"action": "arrive", "file": bad, "preview": "1"},
    )
    assert response.status_code == 200
    assert response.context["preview"] is None
    assert response.context["form"].non_field_errors()


def test_a_station_in_from_paper_mode_records_with_the_window_time_and_source_paper(notice):
    """The third input: a station reads the sheet's row codes (pass tokens) afterwards."""
    import datetime as dt
    import json

    from django.utils import timezone

    from sessions.models import Capture, CaptureLog, SlotUnit, Station
    from sessions.tokens import pass_token
    from tests.conftest import device_client
    from tests.factories import StudentFactory
    from units.models import TrainingUnit

    law = TrainingUnit.objects.get(name="法学院")
    capture = Capture.objects.create(student=StudentFactory(unit=law), campaign=notice)
    door = device_client(Station.objects.get(name="北门-1"))
    body = {
        "code": pass_token(capture.student_id, notice.pk),
        "paper": True,
        "key": "paper-key-0001",
    }
    for _ in range(2):  # the same sheet read twice changes nothing the second time
        answer = door.post(
            reverse("station:scan"), json.dumps(body), content_type="application/json"
        ).json()
        assert answer["outcome"] == "green", answer
    log = CaptureLog.objects.get()
    slot = SlotUnit.objects.select_related("slot", "session").get(unit=law).slot
    assert log.source == "paper" and log.action == "photograph"
    assert timezone.localtime(log.occurred_at) == timezone.make_aware(
        dt.datetime.combine(slot.session.date, slot.start)
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("zip-bomb.xlsx", "compression_ratio"),
        ("huge-dimension.xlsx", "sheet_too_large"),
        ("billion-laughs.xlsx", "unsafe_xml"),
        ("deep-nesting.xlsx", "xml_structure"),
    ],
)
def test_a_hostile_sheet_is_refused_before_openpyxl_opens_it(name, code):
    """The roster import's checks (units.archive.check_xlsx) guard this upload too."""
    from pathlib import Path

    data = (Path(__file__).resolve().parent.parent / "data" / "bad_xlsx" / name).read_bytes()
    with pytest.raises(DomainError) as refused:
        paper.paper_entries_from_xlsx(data)
    assert refused.value.code == code and refused.value.message


# --- shooting numbers (拍摄号) on a sheet ---------------------------------------------------


def _photograph(captures, numbers):
    return [
        paper.Entry(c.student.student_no, paper.PHOTOGRAPH, no)
        for c, no in zip(captures, numbers, strict=True)
    ]


def test_the_text_box_takes_an_optional_shooting_number_after_the_student_number():
    entries = paper.paper_entries_from_text(
        "2023001  A-17\n2023002\n2023003,０１８\n2023004\tB 9\n\n2023001  A-17\n",
        paper.PHOTOGRAPH,
    )
    assert [(e.text, e.action, e.shooting_no) for e in entries] == [
        ("2023001", paper.PHOTOGRAPH, "A-17"),
        ("2023002", paper.PHOTOGRAPH, ""),
        ("2023003", paper.PHOTOGRAPH, "018"),  # full-width digits folded, as at the door
        ("2023004", paper.PHOTOGRAPH, "B 9"),
    ]


def test_sheet_numbers_are_recorded_with_the_window_time_and_source_paper(office, day, law):
    session, captures = day
    entries = _photograph(captures[:2], ["17", "18"])
    assert paper.paper_record(actor=office, session_id=session.pk, entries=entries) == 2
    assert [Capture.objects.get(pk=c.pk).shooting_no for c in captures[:2]] == ["17", "18"]
    number_logs = CaptureLog.objects.filter(action="paper_shooting_no")
    assert {(log.source, log.station, log.occurred_at) for log in number_logs} == {
        ("paper", paper.PAPER_STATION, _window_start(session, law))
    }
    assert number_logs.count() == 2


def test_replaying_a_sheet_with_numbers_changes_nothing(office, day):
    session, captures = day
    entries = _photograph(captures, ["1", "2", "3", "4", "5"])
    paper.paper_record(actor=office, session_id=session.pk, entries=entries)
    before = _state()
    assert paper.paper_record(actor=office, session_id=session.pk, entries=entries) == 0
    assert _state() == before
    preview = paper.paper_preview(session, entries)
    assert not preview.changes and not preview.numbers and not preview.blocking


def test_a_door_photograph_without_a_number_takes_the_sheets_number(office, station, day):
    session, captures = day
    capture_photograph(actor=station, capture_id=captures[0].pk, station="北门-1")
    door = Capture.objects.get(pk=captures[0].pk)
    entries = _photograph(captures[:1], ["42"])
    preview = paper.paper_preview(session, entries)
    assert [r.capture.pk for r in preview.at_door] == [captures[0].pk]
    assert [(r.capture.pk, r.entry.shooting_no) for r in preview.numbers] == [
        (captures[0].pk, "42")
    ]
    paper.paper_record(actor=office, session_id=session.pk, entries=entries)
    capture = Capture.objects.get(pk=captures[0].pk)
    assert (capture.status, capture.status_station, capture.status_at, capture.shooting_no) == (
        S.PHOTOGRAPHED,
        "北门-1",
        door.status_at,
        "42",
    )


def _refused_whole(office, session, entries):
    before = _state()
    with pytest.raises(DomainError) as refused:
        paper.paper_record(actor=office, session_id=session.pk, entries=entries)
    assert refused.value.code == "conflicts"
    assert _state() == before


def test_a_different_number_already_recorded_is_a_conflict(office, day):
    session, captures = day
    Capture.objects.filter(pk=captures[0].pk).update(status=S.PHOTOGRAPHED, shooting_no="7")
    entries = _photograph(captures[:3], ["8", "9", "10"])
    preview = paper.paper_preview(session, entries)
    assert [(r.capture.pk, r.reason) for r in preview.number_conflicts] == [
        (captures[0].pk, "recorded")
    ]
    assert preview.blocking
    _refused_whole(office, session, entries)  # the other two rows are not recorded either


def test_the_same_number_on_two_students_is_a_conflict(office, day):
    session, captures = day
    on_the_sheet = _photograph(captures[:3], ["5", "5", "6"])
    preview = paper.paper_preview(session, on_the_sheet)
    assert [(r.capture.pk, r.reason) for r in preview.number_conflicts] == [
        (captures[0].pk, "twice"),
        (captures[1].pk, "twice"),
    ]
    _refused_whole(office, session, on_the_sheet)

    Capture.objects.filter(pk=captures[4].pk).update(status=S.PHOTOGRAPHED, shooting_no="6")
    already = _photograph(captures[2:4], ["6", "11"])
    preview = paper.paper_preview(session, already)
    assert [(r.capture.pk, r.reason) for r in preview.number_conflicts] == [
        (captures[2].pk, "taken")
    ]
    _refused_whole(office, session, already)


def test_one_student_with_two_numbers_is_a_conflict(office, day):
    session, captures = day
    entries = _photograph([captures[0], captures[0]], ["5", "6"])
    preview = paper.paper_preview(session, entries)
    assert [(r.capture.pk, r.reason) for r in preview.number_conflicts] == [
        (captures[0].pk, "two_numbers")
    ]
    _refused_whole(office, session, entries)


def test_a_number_without_the_photographed_tick_is_a_conflict(
    office, office_user, client, day, law
):
    session, captures = day
    first, second = (c.student.student_no for c in captures[:2])
    client.force_login(office_user)
    upload = _filled_xlsx(
        client, session, law, arrive={first, second}, photograph=set(), numbers={first: "31"}
    )
    entries = paper.paper_entries_from_xlsx(upload.getvalue())
    assert [(e.text, e.action, e.shooting_no) for e in entries] == [
        (first, paper.ARRIVE, "31"),
        (second, paper.ARRIVE, ""),
    ]
    preview = paper.paper_preview(session, entries)
    assert [(r.capture.pk, r.reason) for r in preview.number_conflicts] == [
        (captures[0].pk, "not_photographed")
    ]
    _refused_whole(office, session, entries)


def test_a_number_cell_typed_as_a_number_reads_as_its_digits(office_user, client, day, law):
    session, captures = day
    no = captures[0].student.student_no
    client.force_login(office_user)
    upload = _filled_xlsx(client, session, law, photograph={no}, numbers={no: 17})
    [entry] = paper.paper_entries_from_xlsx(upload.getvalue())
    assert (entry.text, entry.action, entry.shooting_no) == (no, paper.PHOTOGRAPH, "17")


def test_a_too_long_number_is_a_conflict(office, day):
    session, captures = day
    entries = _photograph(captures[:1], ["9" * 31])
    preview = paper.paper_preview(session, entries)
    assert [r.reason for r in preview.number_conflicts] == ["invalid"]
    _refused_whole(office, session, entries)


def test_the_preview_page_lists_number_conflicts(office_user, client, day):
    session, captures = day
    Capture.objects.filter(pk=captures[0].pk).update(status=S.PHOTOGRAPHED, shooting_no="7")
    client.force_login(office_user)
    response = client.post(
        reverse("staff:paper_record", args=[session.pk]),
        {"numbers": f"{captures[0].student.student_no} 8", "action": "photograph", "preview": "1"},
    )
    body = response.content.decode()
    assert 'id="list-number-conflicts"' in body and captures[0].student.student_no in body
    assert 'name="confirm"' not in body


@pytest.mark.parametrize(
    "entries", ["arrive 2023001", "{", "[" * 100_000, '[["arrive", 1, ""]]', '{"a": 1}']
)
def test_a_malformed_confirm_form_records_nothing(office_user, client, day, entries):
    session, _captures = day
    client.force_login(office_user)
    response = client.post(
        reverse("staff:paper_record", args=[session.pk]), {"entries": entries, "confirm": "1"}
    )
    assert response.status_code == 302
    assert not CaptureLog.objects.exists()


def test_the_three_inputs_end_in_the_same_state(office_user, client, day, law):
    """The issue's three ways of recording a sheet — a station's "from paper" mode reading
    a row's code, the text box, the filled .xlsx — each leave their student photographed at
    the window's start, logged with source "paper" at that time."""
    from sessions.models import Station
    from tests.conftest import device_client

    session, captures = day
    by_station, by_text, by_xlsx = captures[:3]
    door = device_client(Station.objects.get(name="北门-1"))
    answer = door.post(
        reverse("station:scan"),
        json.dumps(
            {
                "code": pass_token(by_station.student_id, by_station.campaign_id),
                "paper": True,
                "key": "paper-three-1",
            }
        ),
        content_type="application/json",
    ).json()
    assert answer["outcome"] == "green", answer
    client.force_login(office_user)
    url = reverse("staff:paper_record", args=[session.pk])
    preview = client.post(
        url, {"numbers": by_text.student.student_no, "action": "photograph", "preview": "1"}
    )
    client.post(url, {"entries": preview.context["encoded"], "confirm": "1"})
    upload = _filled_xlsx(client, session, law, photograph={by_xlsx.student.student_no})
    preview = client.post(url, {"action": "arrive", "file": upload, "preview": "1"})
    client.post(url, {"entries": preview.context["encoded"], "confirm": "1"})

    when = _window_start(session, law)
    for capture in (by_station, by_text, by_xlsx):
        capture.refresh_from_db()
        assert (capture.status, capture.status_at) == (S.PHOTOGRAPHED, when)
        [log] = CaptureLog.objects.filter(capture=capture)
        assert (log.source, log.occurred_at, log.from_status, log.to_status) == (
            "paper",
            when,
            S.EXPECTED,
            S.PHOTOGRAPHED,
        )
    assert Capture.objects.filter(status=S.EXPECTED).count() == 2
