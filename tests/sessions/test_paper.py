"""Paper sign-in sheets (sessions.paper): the sheet lists a unit's expected students, and a
recorded sheet (text box, pass tokens, .xlsx) becomes the same transitions, timed at the
window's start with source "paper", all or nothing, idempotent."""

import datetime as dt
import io

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
        Capture.objects.values_list("pk", "status", "status_at")
    ), CaptureLog.objects.count()


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


def _filled_xlsx(client, session, law, arrive=(), photograph=()):
    response = client.get(reverse("staff:paper_sheet_xlsx", args=[session.pk, law.pk]))
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in arrive:
            row[3].value = "✓"
        if row[0].value in photograph:
            row[4].value = "√"
            row[5].value = "A-17"
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "sheet.xlsx"
    return buf


@pytest.mark.parametrize("how", ["text", "tokens", "xlsx"])
def test_each_input_makes_the_same_paper_transitions(how, office, office_user, client, day, law):
    session, captures = day
    arrived, photographed = captures[:2], captures[2:4]
    client.force_login(office_user)
    url = reverse("staff:paper_record", args=[session.pk])
    if how == "xlsx":
        upload = _filled_xlsx(
            client,
            session,
            law,
            arrive={c.student.student_no for c in arrived},
            photograph={c.student.student_no for c in photographed},
        )
        preview = client.post(url, {"action": "arrive", "file": upload, "preview": "1"})
        encoded = preview.context["encoded"]
    else:

        def line(c):
            return (
                c.student.student_no if how == "text" else pass_token(c.student_id, c.campaign_id)
            )

        encoded = "\n".join(
            [f"arrive {line(c)}" for c in arrived] + [f"photograph {line(c)}" for c in photographed]
        )
        preview = client.post(
            url,
            {"numbers": "\n".join(line(c) for c in arrived), "action": "arrive", "preview": "1"},
        )
        assert len(preview.context["preview"].changes) == 2
    assert preview.status_code == 200
    response = client.post(url, {"entries": encoded, "confirm": "1"})
    assert response.status_code == 302

    when = _window_start(session, law)
    statuses = dict(Capture.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in captures] == [S.ARRIVED] * 2 + [S.PHOTOGRAPHED] * 2 + [
        S.EXPECTED
    ]
    logs = list(CaptureLog.objects.all())
    assert len(logs) == 4
    assert {(log.source, log.station, log.occurred_at, log.actor_user_id) for log in logs} == {
        ("paper", paper.PAPER_STATION, when, office_user.pk)
    }
    assert sorted(log.action for log in logs) == ["paper_arrive"] * 2 + ["paper_photograph"] * 2


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
    data = {"entries": f"arrive {captures[0].student.student_no}", "confirm": "1"}
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
