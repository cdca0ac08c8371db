"""Delivered photos after the intake (issue 15, points 3 and 4): the office's overview per
session and per unit, a unit's missing and faulty photos and their re-capture, the
permission-checked photo view, the hand-over archives (names, manifest, streamed in
constant memory), the thumbnails on the office's and the counsellor's pages, fixed query
counts, and the purge of a closed campaign's photo files."""

import datetime as dt
import hashlib
import io
import secrets
import tracemalloc
import zipfile
from io import StringIO
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions.models import (
    Campaign,
    Capture,
    CaptureLog,
    CaptureSession,
    ChsiState,
    Photo,
    photo_storage,
)
from sessions.photos import handover
from sessions.photos import selectors as photo_selectors
from sessions.photos.recapture import photo_recapture
from sessions.photos.standard import LABELS
from tests.conftest import analyze_after_bulk, station_of
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from units.models import Student, TrainingUnit

S = Capture.Status


def jpeg_bytes(width=480, height=640, colour=(100, 197, 255)):
    """A small JPEG (a plain background with a darker block, so that it is not all one
    colour)."""
    image = Image.new("RGB", (width, height), colour)
    image.paste((40, 40, 40), (width // 4, height // 4, width // 2, height // 2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, dpi=(300, 300))
    return out.getvalue()


def make_photo(capture, *, faults=(), warnings=(), data=None, width=480, height=640):
    """A delivered photo of `capture`, its file saved through the photo storage (as the
    intake stores it)."""
    data = data if data is not None else jpeg_bytes(width, height)
    photo = Photo(
        capture=capture,
        token=secrets.token_urlsafe(24),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        width=width,
        height=height,
        mode="RGB",
        dpi=300,
        faults=list(faults),
        warnings=list(warnings),
        source_name=f"{capture.pk}.jpg",
        received_at=timezone.now(),
    )
    photo.file.save(f"{secrets.token_hex(8)}.jpg", ContentFile(data), save=False)
    photo.save()
    return photo


def _capture(campaign, unit, status=S.PHOTOGRAPHED, session=None, **student):
    return Capture.objects.create(
        student=StudentFactory(unit=unit, **student),
        campaign=campaign,
        status=status,
        session=session or CaptureSession.objects.filter(campaign=campaign).first(),
        shooting_no="0001" if status == S.PHOTOGRAPHED else "",
    )


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def _code():
    """A fault code of the image standard, with its label."""
    return "wrong_size", str(LABELS["wrong_size"])


@pytest.fixture
def law(notice):
    return TrainingUnit.objects.get(name="法学院")


@pytest.fixture
def econ(notice):
    return TrainingUnit.objects.exclude(name="法学院").order_by("display_order").first()


@pytest.fixture
def makeup(notice):
    first = CaptureSession.objects.get(campaign=notice)
    return CaptureSession.objects.create(
        campaign=notice,
        kind=CaptureSession.Kind.MAKEUP,
        date=first.date + dt.timedelta(days=10),
        start=dt.time(14, 0),
        end=dt.time(16, 0),
        place="补拍室",
    )


@pytest.fixture
def law_counsellor(law):
    return MembershipFactory(user=UserFactory(username="law-counsellor"), unit=law).user


@pytest.fixture
def econ_counsellor(econ):
    return MembershipFactory(user=UserFactory(username="econ-counsellor"), unit=econ).user


# The overview ------------------------------------------------------------------------


@pytest.fixture
def delivered(notice, law, econ, makeup):
    """法学院: 4 photographed on the day (fine, faulty, warned, missing), 1 off-site with a
    photo, 1 expected, 1 withdrawn with a photo; 2 photographed at the make-up session (one
    fine, one missing). 经济: 1 photographed, fine."""
    first = CaptureSession.objects.get(campaign=notice, kind=CaptureSession.Kind.REGULAR)
    code, _label = _code()
    c = {
        "fine": _capture(notice, law, session=first),
        "faulty": _capture(notice, law, session=first),
        "warned": _capture(notice, law, session=first),
        "missing": _capture(notice, law, session=first),
        "offsite": _capture(notice, law, S.VERIFIED, session=first),
        "expected": _capture(notice, law, S.EXPECTED, session=first),
        "withdrawn": _capture(notice, law, session=first, withdrawn=True),
        "makeup_fine": _capture(notice, law, session=makeup),
        "makeup_missing": _capture(notice, law, session=makeup),
        "econ": _capture(notice, econ, session=first),
    }
    make_photo(c["fine"])
    make_photo(c["faulty"], faults=[code], warnings=["background"])
    make_photo(c["warned"], warnings=["background"])
    make_photo(c["offsite"])
    make_photo(c["withdrawn"], faults=[code])
    make_photo(c["makeup_fine"])
    make_photo(c["econ"])
    return c


def _as_tuple(counts):
    return (
        counts.expected,
        counts.received,
        counts.faulty,
        counts.warned,
        counts.missing,
        counts.other,
    )


def test_the_overview_counts_photos_per_session_and_unit_exactly(notice, law, econ, delivered):
    overview = photo_selectors.photo_overview(notice)
    per_session = {row.session.kind: _as_tuple(row.counts) for row in overview.sessions}
    # expected, received, faulty, warned-only, missing, other (not expected, with a photo)
    assert per_session == {"regular": (5, 4, 1, 1, 1, 1), "makeup": (2, 1, 0, 0, 1, 0)}
    per_unit = {row.unit.pk: _as_tuple(row.counts) for row in overview.units}
    assert per_unit[law.pk] == (6, 4, 1, 1, 2, 1)
    assert per_unit[econ.pk] == (1, 1, 0, 0, 0, 0)
    assert _as_tuple(overview.total) == (7, 5, 1, 1, 2, 1)
    assert all(_as_tuple(r.counts) == (0,) * 6 for r in overview.units if r.unit not in (law, econ))

    makeup = next(r.session for r in overview.sessions if r.session.kind == "makeup")
    one = photo_selectors.photo_overview(notice, session_id=makeup.pk)
    assert one.session == makeup
    assert [(r.unit.pk, _as_tuple(r.counts)) for r in one.units] == [(law.pk, (2, 1, 0, 0, 1, 0))]
    # An unknown session: every session.
    assert photo_selectors.photo_overview(notice, session_id=10**9).session is None


def test_the_overview_page_shows_the_counts_and_links_the_units(
    notice, law, delivered, office_user
):
    response = _logged_in(office_user).get(reverse("staff:photos"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert reverse("staff:photos_unit", args=[law.pk]) in html
    assert f"{reverse('staff:photos_zip')}?unit={law.pk}" in html
    row = html[html.index(f'id="unit-{law.pk}"') :]
    row = row[: row.index("</tr>")]
    cells = [c.split("<")[0] for c in row.split('<td class="n')[1:]]
    assert [c.split(">")[1] for c in cells] == ["6", "4", "1", "1", "2"]
    # The staff index links it.
    index = _logged_in(office_user).get(reverse("staff:index")).content.decode()
    assert reverse("staff:photos") in index


def test_the_unit_list_shows_missing_faulty_and_warned_with_thumbnails_and_words(
    notice, law, delivered, makeup, office_user
):
    _code_, label = _code()
    response = _logged_in(office_user).get(reverse("staff:photos_unit", args=[law.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    listing = response.context["listing"]
    assert [c.pk for c in listing.missing] == sorted(
        [delivered["missing"].pk, delivered["makeup_missing"].pk],
        key=lambda pk: Capture.objects.get(pk=pk).student.student_no,
    )
    assert [c.pk for c in listing.faulty] == [delivered["faulty"].pk]
    assert [c.pk for c in listing.warned] == [delivered["warned"].pk]
    assert listing.makeup_sessions == [makeup]
    faulty = delivered["faulty"].photo
    assert f'src="{reverse("photo", args=[faulty.token])}?size=thumb"' in html
    assert label in html
    # Fine photos, the off-site student and the withdrawn one are not listed.
    for key in ("fine", "offsite", "withdrawn", "expected", "econ"):
        assert f'id="c{delivered[key].pk}"' not in html
    assert "安排补拍" in html


# The photo view ----------------------------------------------------------------------


@pytest.fixture
def photo(notice, law):
    return make_photo(_capture(notice, law))


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("office", 200),
        ("own_counsellor", 200),
        ("other_counsellor", 404),
        ("anonymous", 404),
        ("plain_user", 404),
        ("device", 404),
    ],
)
def test_only_the_office_and_the_units_counsellor_see_a_photo(
    notice, photo, who, status, office_user, law_counsellor, econ_counsellor, plain_user
):
    from tests.conftest import pair_device

    clients = {
        "office": lambda: _logged_in(office_user),
        "own_counsellor": lambda: _logged_in(law_counsellor),
        "other_counsellor": lambda: _logged_in(econ_counsellor),
        "anonymous": Client,
        "plain_user": lambda: _logged_in(plain_user),
        "device": lambda: Client(HTTP_AUTHORIZATION=f"Device {pair_device(station_of(notice))[1]}"),
    }
    client = clients[who]()
    for url in (reverse("photo", args=[photo.token]), reverse("photo", args=[photo.token])):
        assert client.get(url).status_code == status
        assert client.get(url + "?size=thumb").status_code == status


def test_a_wrong_or_foreign_token_is_404(notice, photo, office_user):
    client = _logged_in(office_user)
    for token in (photo.token[:-2] + "xx", "0" * 32, str(photo.pk), photo.sha256):
        assert client.get(reverse("photo", args=[token])).status_code == 404


def test_the_photo_is_streamed_private_and_typed(notice, photo, office_user):
    response = _logged_in(office_user).get(reverse("photo", args=[photo.token]))
    assert response.status_code == 200
    assert response.streaming  # FileResponse on the storage's file
    assert b"".join(response.streaming_content) == photo_storage().open(photo.file.name).read()
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    # The stored name is not shown.
    assert photo.file.name.split("/")[-1] not in response["Content-Disposition"]


def test_the_thumbnail_is_120_pixels_wide(notice, photo, office_user):
    response = _logged_in(office_user).get(reverse("photo", args=[photo.token]) + "?size=thumb")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    with Image.open(io.BytesIO(response.content)) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (120, 160)


def test_a_photo_whose_file_is_gone_is_404(notice, photo, office_user):
    photo_storage().delete(photo.file.name)
    client = _logged_in(office_user)
    assert client.get(reverse("photo", args=[photo.token])).status_code == 404
    assert client.get(reverse("photo", args=[photo.token]) + "?size=thumb").status_code == 404


def test_photo_urls_are_not_guessable(notice, law):
    photos = [make_photo(_capture(notice, law)) for _ in range(3)]
    assert len({p.token for p in photos}) == 3
    for p in photos:
        assert len(p.token) >= 20
        assert str(p.pk) not in reverse("photo", args=[p.token]).split("/")
        # No public address: the storage has no URL base of its own.
        assert not p.file.name.startswith(("static/", "media/"))


# Thumbnails on the office's student page and links on the counsellor's unit page -----


def test_the_office_student_page_shows_the_thumbnail_and_checks(notice, law, office_user):
    code, label = _code()
    plain = _capture(notice, law)
    capture = _capture(notice, law)
    photo = make_photo(capture, faults=[code])
    client = _logged_in(office_user)

    def count(pk):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("staff:capture_detail", args=[pk]))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    n_plain, html_plain = count(plain.pk)
    n_photo, html = count(capture.pk)
    assert n_photo == n_plain
    assert 'id="photo"' not in html_plain
    assert f'src="{reverse("photo", args=[photo.token])}?size=thumb"' in html
    assert label in html


def test_the_counsellor_unit_page_links_each_photo(notice, law, law_counsellor):
    with_photo = _capture(notice, law)
    without = _capture(notice, law)
    photo = make_photo(with_photo)
    response = _logged_in(law_counsellor).get(reverse("unit:detail", args=[law.pk]))
    html = response.content.decode()
    row = html[html.index(f'id="c{with_photo.pk}"') :]
    assert reverse("photo", args=[photo.token]) in row[: row.index("</tr>")]
    row = html[html.index(f'id="c{without.pk}"') :]
    assert "photo-link" not in row[: row.index("</tr>")]
    assert reverse("unit:photos_zip", args=[law.pk]) in html


# The hand-over archives --------------------------------------------------------------


def _zip(response):
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _manifest(archive):
    book = load_workbook(io.BytesIO(archive.read("manifest.xlsx")), read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}


def test_a_units_archive_names_files_by_student_number_with_a_manifest(
    notice, law, econ, delivered, office_user, law_counsellor
):
    code, label = _code()
    expected_names = {
        "manifest.xlsx",
        *(
            f"{delivered[k].student.student_no}.jpg"
            for k in ("fine", "faulty", "warned", "offsite", "makeup_fine")
        ),
    }
    office = _logged_in(office_user).get(f"{reverse('staff:photos_zip')}?unit={law.pk}")
    counsellor = _logged_in(law_counsellor).get(reverse("unit:photos_zip", args=[law.pk]))
    for response in (office, counsellor):
        disposition = response["Content-Disposition"]
        archive = _zip(response)
        assert archive.testzip() is None
        assert set(archive.namelist()) == expected_names
        assert disposition.startswith('attachment; filename="photos-')
        assert f"filename*=UTF-8''{quote(notice.title)}" in disposition
        assert quote("法学院") in disposition
        faulty = delivered["faulty"]
        assert (
            archive.read(f"{faulty.student.student_no}.jpg")
            == photo_storage().open(faulty.photo.file.name).read()
        )
    sheets = _manifest(archive)
    photos_sheet, missing_sheet = sheets.values()
    assert photos_sheet[0] == [
        "学号",
        "姓名",
        "培养单位",
        "拍摄号",
        "文件大小（KB）",
        "宽×高（像素）",
        "不合格项",
        "提醒项",
        "采集状态",
    ]
    rows = {r[0]: r for r in photos_sheet[1:]}
    assert set(rows) == {n[: -len(".jpg")] for n in expected_names if n.endswith(".jpg")}
    student = faulty.student
    row = rows[student.student_no]
    assert row[1:4] == [student.name, "法学院", "0001"]
    assert row[4] == round(faulty.photo.size / 1024, 1)
    assert row[5] == "480×640"
    assert row[6] == label and row[7] == str(LABELS["background"])
    assert [r[0] for r in missing_sheet[1:]] == sorted(
        [delivered["missing"].student.student_no, delivered["makeup_missing"].student.student_no]
    )


def test_each_file_in_the_archive_is_dated_when_the_photo_was_received(notice, law, delivered):
    photo = delivered["fine"].photo
    received = timezone.localtime(photo.received_at)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(handover.archive_chunks(notice, law))))
    info = archive.getinfo(f"{delivered['fine'].student.student_no}.jpg")
    assert info.date_time[:5] == received.timetuple()[:5]  # zip keeps even seconds
    assert archive.getinfo("manifest.xlsx").date_time[0] == timezone.localtime().year


def test_the_manifest_tells_which_students_are_being_photographed_again(
    notice, law, delivered, makeup
):
    # A photo the office sent for a retake is still handed over, marked as such.
    retaken = delivered["faulty"]
    Capture.objects.filter(pk=retaken.pk).update(status=S.EXPECTED, session=makeup)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(handover.archive_chunks(notice, law))))
    photos_sheet = list(_manifest(archive).values())[0]
    assert photos_sheet[0][-1] == "采集状态"
    rows = {r[0]: r for r in photos_sheet[1:]}
    assert rows[retaken.student.student_no][-1] == str(S.EXPECTED.label)
    assert rows[delivered["fine"].student.student_no][-1] == str(S.PHOTOGRAPHED.label)


def test_an_english_hand_over_names_the_campaign_and_units_in_english(
    notice, law, delivered, office_user
):
    from django.utils import translation

    client = _logged_in(office_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(f"{reverse('staff:photos_zip')}?unit={law.pk}")
    disposition = response["Content-Disposition"]
    assert quote(notice.title_en) in disposition and quote("School of Law") in disposition
    assert quote(notice.title) not in disposition
    with translation.override("en"):
        photos_sheet = list(_manifest(_zip(response)).values())[0]
    row = {r[0]: r for r in photos_sheet[1:]}[delivered["faulty"].student.student_no]
    assert row[2] == "School of Law"
    assert "、" not in row[6] + row[7] and "：" not in row[6] + row[7]


def test_the_all_units_archive_has_a_folder_per_unit(notice, law, econ, delivered, office_user):
    archive = _zip(_logged_in(office_user).get(reverse("staff:photos_zip")))
    names = set(archive.namelist())
    assert f"法学院/{delivered['fine'].student.student_no}.jpg" in names
    assert f"{econ.name}/{delivered['econ'].student.student_no}.jpg" in names
    assert len(names) == 1 + 6  # the manifest; the withdrawn student's photo is left out
    manifest = _manifest(archive)
    assert {r[2] for r in list(manifest.values())[0][1:]} == {"法学院", econ.name}


def test_archives_of_other_units_and_unknown_units_are_404(
    notice, law, econ, delivered, office_user, law_counsellor
):
    assert (
        _logged_in(law_counsellor).get(reverse("unit:photos_zip", args=[econ.pk])).status_code
        == 404
    )
    office = _logged_in(office_user)
    assert office.get(f"{reverse('staff:photos_zip')}?unit=999999").status_code == 404
    assert office.get(f"{reverse('staff:photos_zip')}?unit=abc").status_code == 404


def test_a_photo_whose_file_is_gone_is_left_out_of_the_archive(notice, law, delivered):
    photo = delivered["fine"].photo
    photo_storage().delete(photo.file.name)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(handover.archive_chunks(notice, law))))
    assert f"{delivered['fine'].student.student_no}.jpg" not in archive.namelist()
    assert archive.testzip() is None


def test_member_names_are_never_paths():
    assert handover.member_name("2022/../../etc") == "2022_.._.._etc.jpg"
    assert handover.member_name("２０２２０１") == "202201.jpg"  # full-width digits folded
    assert handover.folder_name('法学院/"a"') == "法学院__a_"
    assert handover.content_disposition("法学院.zip", "photos-1.zip") == (
        "attachment; filename=\"photos-1.zip\"; filename*=UTF-8''%E6%B3%95%E5%AD%A6%E9%99%A2.zip"
    )


def _peak(campaign, unit):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        size = 0
        for chunk in handover.archive_chunks(campaign, unit):
            size += len(chunk)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_the_archive_is_streamed_in_constant_memory(notice, law, econ):
    """50 photos and 200 photos: the peak of memory while the archive is produced stays
    within 1.5× (it would be 4× if the archive, or its photos, sat in memory)."""
    small, big = econ, law
    session = CaptureSession.objects.get(campaign=notice)
    # Photos of about 60 KB (noise compresses badly): the files dominate the archive.
    data = [jpeg_bytes() + secrets.token_bytes(60_000) for _ in range(4)]
    for unit, n in ((small, 50), (big, 200)):
        for i in range(n):
            make_photo(_capture(notice, unit, session=session), data=data[i % 4])
    _peak(notice, small)  # warm-up: imports and first-use caches
    small_peak, small_size = _peak(notice, small)
    big_peak, big_size = _peak(notice, big)
    assert big_size > 3.5 * small_size > 3.5 * 50 * 60_000
    assert big_peak < 1.5 * small_peak, (small_peak, big_peak)
    assert big_peak < big_size / 4


# Re-capture --------------------------------------------------------------------------


def test_a_faulty_photo_is_sent_to_a_makeup_session(notice, law, delivered, makeup, office):
    capture = delivered["faulty"]
    result = photo_recapture(
        actor=office, capture_id=capture.pk, session_id=makeup.pk, note="背景偏灰"
    )
    assert result.changed
    capture.refresh_from_db()
    assert (capture.status, capture.session_id) == (S.EXPECTED, makeup.pk)
    log = CaptureLog.objects.filter(capture=capture).latest("pk")
    assert log.action == "recapture" and "背景偏灰" in log.note and "不合格" in log.note
    # Again: nothing changes.
    again = photo_recapture(actor=office, capture_id=capture.pk, session_id=makeup.pk)
    assert not again.changed
    assert CaptureLog.objects.filter(capture=capture).count() == 1


def test_a_retake_note_made_on_an_english_page_has_no_chinese_punctuation(
    notice, law, delivered, makeup, office
):
    from django.utils import translation

    capture = delivered["faulty"]
    with translation.override("en"):
        photo_recapture(actor=office, capture_id=capture.pk, session_id=makeup.pk)
    note = CaptureLog.objects.filter(capture=capture).latest("pk").note
    assert "Size is not" in note
    assert not set("：、；，") & set(note), note


def test_a_missing_photo_is_sent_to_a_makeup_session(notice, law, delivered, makeup, office):
    capture = delivered["missing"]
    assert photo_recapture(actor=office, capture_id=capture.pk, session_id=makeup.pk).changed
    capture.refresh_from_db()
    assert capture.status == S.EXPECTED and capture.session_id == makeup.pk
    assert "未收到" in CaptureLog.objects.filter(capture=capture).latest("pk").note


def test_a_student_in_the_exception_queue_has_the_issue_resolved(
    notice, law, delivered, makeup, office
):
    capture = delivered["faulty"]
    Capture.objects.filter(pk=capture.pk).update(chsi_state=ChsiState.DISPUTED)
    photo_recapture(actor=office, capture_id=capture.pk, session_id=makeup.pk)
    capture.refresh_from_db()
    assert capture.status == S.EXPECTED and capture.issue_resolved_at is not None
    assert "补拍" in capture.issue_note


@pytest.mark.parametrize(
    ("key", "code"),
    [("fine", "no_problem"), ("offsite", "no_problem"), ("expected", "no_problem")],
)
def test_a_fine_photo_or_a_student_not_photographed_is_refused(
    notice, delivered, makeup, office, key, code
):
    capture = delivered[key]
    before = Capture.objects.values().get(pk=capture.pk)
    with pytest.raises(DomainError) as refusal:
        photo_recapture(actor=office, capture_id=capture.pk, session_id=makeup.pk)
    assert refusal.value.code == code
    assert Capture.objects.values().get(pk=capture.pk) == before


def test_recapture_refusals(notice, law, delivered, makeup, office, law_counsellor):
    capture = delivered["faulty"]
    regular = CaptureSession.objects.get(campaign=notice, kind=CaptureSession.Kind.REGULAR)
    cases = [
        (Actor.of(law_counsellor), makeup.pk, "forbidden"),
        (office, regular.pk, "not_makeup"),
        (office, 10**9, "not_found"),
    ]
    for actor, session_id, code in cases:
        with pytest.raises(DomainError) as refusal:
            photo_recapture(actor=actor, capture_id=capture.pk, session_id=session_id)
        assert refusal.value.code == code
    CaptureSession.objects.filter(pk=makeup.pk).update(closed_at=timezone.now())
    with pytest.raises(DomainError) as refusal:
        photo_recapture(actor=office, capture_id=capture.pk, session_id=makeup.pk)
    assert refusal.value.code == "session_closed"
    capture.refresh_from_db()
    assert capture.status == S.PHOTOGRAPHED
    assert not CaptureLog.objects.filter(capture=capture).exists()


def test_the_recapture_form_posts_and_redirects(notice, law, delivered, makeup, office_user):
    client = _logged_in(office_user)
    url = reverse("staff:photos_unit", args=[law.pk])
    capture = delivered["faulty"]
    response = client.post(url, {"capture_id": capture.pk, "session_id": makeup.pk})
    assert response.status_code == 302 and response["Location"] == url
    capture.refresh_from_db()
    assert capture.status == S.EXPECTED
    page = client.get(url).content.decode()
    assert "已安排补拍" in page
    assert f'id="c{capture.pk}"' not in page  # no longer expected to have a photo
    # A fine photo: refused with a message, nothing changed.
    fine = delivered["fine"]
    client.post(url, {"capture_id": fine.pk, "session_id": makeup.pk})
    fine.refresh_from_db()
    assert fine.status == S.PHOTOGRAPHED
    assert "无需补拍" in client.get(url).content.decode()


# Query counts ------------------------------------------------------------------------


def _students(campaign, start, n, session):
    units = list(TrainingUnit.objects.order_by("pk"))
    students = Student.objects.bulk_create(
        Student(student_no=f"2022{i:08d}", name=f"学生{i}", unit=units[i % len(units)], cohort=2025)
        for i in range(start, start + n)
    )
    captures = Capture.objects.bulk_create(
        Capture(
            student=s,
            campaign=campaign,
            session=session,
            status=S.PHOTOGRAPHED if i % 3 else S.ABSENT,
            shooting_no=f"{i:05d}",
        )
        for i, s in enumerate(students, start=start)
    )
    now = timezone.now()
    Photo.objects.bulk_create(
        Photo(
            capture=c,
            token=secrets.token_urlsafe(24),
            file=f"photos/{c.pk}.jpg",
            sha256="0" * 64,
            size=30_000,
            width=480,
            height=640,
            mode="RGB",
            faults=["size"] if i % 7 == 0 else [],
            warnings=["background"] if i % 5 == 0 else [],
            source_name="x.jpg",
            received_at=now,
        )
        for i, c in enumerate(captures)
        if i % 4
    )
    analyze_after_bulk()


def _page_counts(client, unit, session):
    found = {}
    for name, url in (
        ("staff:photos", reverse("staff:photos")),
        ("staff:photos?session", f"{reverse('staff:photos')}?session={session.pk}"),
        ("staff:photos_unit", reverse("staff:photos_unit", args=[unit.pk])),
        ("unit:detail", reverse("unit:detail", args=[unit.pk])),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        found[name] = len(queries)
    return found


@pytest.mark.django_db
def test_query_counts_stay_the_same_for_10000_students(notice, office_user, makeup):
    session = CaptureSession.objects.get(campaign=notice, kind=CaptureSession.Kind.REGULAR)
    unit = TrainingUnit.objects.order_by("pk").first()
    client = _logged_in(office_user)
    _students(notice, 0, 100, session)
    few = _page_counts(client, unit, session)
    _students(notice, 100, 9_900, session)
    many = _page_counts(client, unit, session)
    assert many == few
    # And the numbers are those of the roster.
    overview = photo_selectors.photo_overview(notice)
    assert overview.total.expected == Capture.objects.filter(status=S.PHOTOGRAPHED).count()
    assert overview.total.received == Photo.objects.filter(capture__status=S.PHOTOGRAPHED).count()


# Purge -------------------------------------------------------------------------------


def test_purge_removes_the_photo_files_and_rows(notice, law, delivered, office):
    storage = photo_storage()
    names = list(Photo.objects.values_list("file", flat=True))
    assert names and all(storage.exists(n) for n in names)
    Campaign.objects.filter(pk=notice.pk).update(status=Campaign.Status.CLOSED)
    out = StringIO()
    call_command("purge_campaign", str(notice.pk), stdout=out)
    assert not Photo.objects.exists()
    assert not any(storage.exists(n) for n in names)
    assert f"photos: {len(names)}" in out.getvalue()
    # The captures and their counts stay.
    assert Capture.objects.filter(campaign=notice).count() == len(delivered)


def test_purge_of_an_open_campaign_keeps_the_photos(notice, law, delivered):
    with pytest.raises(Exception, match="not_closed"):
        call_command("purge_campaign", str(notice.pk), stdout=StringIO())
    assert all(photo_storage().exists(n) for n in Photo.objects.values_list("file", flat=True))


def test_the_overview_needs_the_office(notice, law_counsellor):
    response = _logged_in(law_counsellor).get(reverse("staff:photos"))
    assert response.status_code == 403
    assert Client().get(reverse("staff:photos")).status_code == 302
