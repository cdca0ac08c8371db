"""Issue 15, points 1, 2 and 6: taking in the photographer's archive — the image standard,
the archive treated as hostile, matching files to students, the preview and the commit.

Every photo is a real JPEG made by Pillow here (tests/photofiles.py)."""

import io
import logging
import os
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from capture_portal.exceptions import DomainError
from sessions.models import (
    Campaign,
    Capture,
    CaptureSession,
    Photo,
    PhotoIntake,
    PhotoIntakeBatch,
    photo_storage,
)
from sessions.photos import archive as archive_module
from sessions.photos.archive import open_archive
from sessions.photos.intake import (
    photo_intake_commit,
    photo_intake_discard,
    photo_intake_preview,
)
from sessions.photos.purge import purge_photos
from sessions.photos.standard import FAULTS, LABELS, WARNINGS, check_image
from tests import photofiles as pf
from tests.factories import CaptureSessionFactory, StudentFactory
from units.models import TrainingUnit

ID_LAW = "11010519900307123X"  # an ID number whose last 4 are 123X


# --- the image standard ---------------------------------------------------------------------


def test_a_photo_that_meets_the_standard_has_no_fault_and_no_warning():
    data = pf.jpeg()
    assert 20 * 1024 <= len(data) <= 40 * 1024
    check = check_image(data)
    assert (check.faults, check.warnings) == ([], [])
    assert (check.width, check.height, check.mode, check.dpi) == (480, 640, "RGB", 300)
    assert check.usable


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        (pf.png(), "not_jpeg"),
        (b"GIF89a not really", "not_jpeg"),
        (pf.jpeg()[:15_000], "unreadable"),  # cut short: no end-of-image marker
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 40, "unreadable"),
        (pf.declare_size(pf.jpeg(), 30_000, 30_000), "too_many_pixels"),
        (pf.jpeg(size=(2400, 3200), noise=0), "too_many_pixels"),
        (pf.jpeg(size=(640, 480)), "wrong_size"),
        (pf.jpeg(size=(360, 480)), "wrong_size"),
        (pf.jpeg(mode="L"), "wrong_mode"),
        (pf.jpeg(mode="CMYK"), "wrong_mode"),
    ],
    ids=[
        "png",
        "gif-header",
        "truncated",
        "no-frame",
        "declared-bomb",
        "too-many-pixels",
        "landscape",
        "small",
        "grayscale",
        "cmyk",
    ],
)
def test_each_hard_fault(data, fault):
    check = check_image(data)
    assert fault in check.faults
    assert check.usable == (fault in ("wrong_size", "wrong_mode"))


def test_a_png_with_alpha_is_not_a_jpeg_whatever_its_name():
    check = check_image(pf.png(mode="RGBA"))
    assert check.faults == ["not_jpeg"]
    assert (check.format, check.mode) == ("PNG", "RGBA")


@pytest.mark.parametrize(
    ("options", "warning"),
    [
        ({"dpi": (72, 72)}, "dpi"),
        ({"dpi": None}, "dpi"),
        ({"quality": 20}, "too_small"),
        ({"quality": 98}, "too_large"),
        ({"background": (255, 255, 255)}, "background"),
        ({"background": (200, 30, 30)}, "background"),
    ],
    ids=["72dpi", "no-dpi", "too-small", "too-large", "white-background", "red-background"],
)
def test_each_warning(options, warning):
    check = check_image(pf.jpeg(**options))
    assert check.faults == []
    assert check.warnings == [warning]


def test_dpi_within_the_tolerance_is_fine():
    assert check_image(pf.jpeg(dpi=(290, 290))).warnings == []


def test_the_background_is_sampled_at_the_top_corners_and_edge_not_the_shoulders():
    # The default portrait has dark shoulders across both bottom corners: no warning.
    assert "background" not in check_image(pf.jpeg()).warnings
    # Something dark in the top-left corner is noticed.
    image = pf.portrait()
    image.paste((20, 20, 20), (0, 0, 60, 60))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85, dpi=(300, 300))
    assert check_image(buf.getvalue()).warnings == ["background"]


@pytest.mark.parametrize(
    "box",
    [(0, 0, 60, 16), (420, 0, 480, 16), (120, 0, 360, 8)],
    ids=["top-left corner", "top-right corner", "top edge"],
)
def test_a_dark_patch_in_each_sampled_region_is_noticed(box):
    image = pf.portrait()
    image.paste((20, 20, 20), box)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85, dpi=(300, 300))
    check = check_image(buf.getvalue())
    assert check.warnings == ["background"]
    assert max(check.background) < 150  # the worst region is reported, not the clean ones


def test_below_the_top_band_the_picture_is_not_judged_as_background():
    # A dark patch 40 px down (where a tall hairstyle may reach) is not the background.
    image = pf.portrait()
    image.paste((20, 20, 20), (120, 40, 360, 64))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85, dpi=(300, 300))
    assert check_image(buf.getvalue()).warnings == []


def test_a_progressive_jpeg_is_read_too():
    check = check_image(pf.jpeg(progressive=True))
    assert (check.faults, check.warnings) == ([], [])


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(monkeypatch):
    import simplejpeg
    from PIL import ImageFile

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(simplejpeg, "decode_jpeg", no_decoding)
    check = check_image(pf.declare_size(pf.jpeg(), 40_000, 40_000))
    assert check.faults == ["too_many_pixels"]


def _without_jfif(data):
    """The JPEG without its JFIF (APP0) segment, as some cameras write them."""
    assert data[2:4] == b"\xff\xe0"
    return data[:2] + data[4 + int.from_bytes(data[4:6], "big") :]


@pytest.mark.parametrize(
    ("make", "dpi"),
    [
        (lambda: pf.jpeg(dpi=(300, 300)), 300),
        (lambda: pf.jpeg(dpi=(72, 72)), 72),
        (lambda: pf.jpeg(dpi=None), None),  # JFIF without a unit: no resolution
        (lambda: _without_jfif(pf.jpeg(dpi=None)), None),
    ],
    ids=["jfif-300", "jfif-72", "jfif-no-unit", "no-jfif"],
)
def test_the_resolution_is_read_from_the_jfif_segment(make, dpi):
    assert check_image(make()).dpi == dpi


def test_a_resolution_given_only_in_exif_is_read_as_pillow_reads_it():
    from PIL import Image

    exif = Image.Exif()
    exif[0x011A], exif[0x011B], exif[0x0128] = 300, 300, 2  # 300 per inch
    buf = io.BytesIO()
    pf.portrait().save(buf, "JPEG", quality=85, exif=exif.tobytes())
    check = check_image(_without_jfif(buf.getvalue()))
    assert (check.dpi, check.warnings) == (300, [])


@pytest.mark.parametrize(("mode", "expected"), [("L", "L"), ("CMYK", "CMYK"), ("RGB", "RGB")])
def test_the_colour_mode_is_read_from_the_frame_header(mode, expected):
    check = check_image(pf.jpeg(mode=mode))
    assert check.mode == expected
    assert ("wrong_mode" in check.faults) == (expected != "RGB")


def test_the_pixel_limit_is_a_setting(settings):
    settings.PHOTO_INTAKE_LIMITS = {**settings.PHOTO_INTAKE_LIMITS, "max_pixels": 100_000}
    assert check_image(pf.jpeg()).faults == ["too_many_pixels"]


def test_the_thresholds_are_settings(settings):
    settings.PHOTO_STANDARD = {
        **settings.PHOTO_STANDARD,
        "width": 640,
        "height": 480,
        "background": (255, 255, 255),
    }
    check = check_image(pf.jpeg(size=(640, 480), background=(255, 255, 255)))
    assert (check.faults, check.warnings) == ([], [])


def test_every_code_has_a_label_in_chinese():
    assert set(LABELS) == set(FAULTS) | set(WARNINGS)
    assert all(str(label) for label in LABELS.values())


# --- the archive ----------------------------------------------------------------------------


@pytest.fixture
def world(notice):
    """The notice's campaign and session; students of 法学院 (code 01) and 经济学院."""
    law = TrainingUnit.objects.get(name="法学院")
    econ = TrainingUnit.objects.get(name="经济学院")
    session = CaptureSession.objects.get(campaign=notice)

    def student(no, unit=law, tail="0000", status=Capture.Status.PHOTOGRAPHED, shooting=""):
        s = StudentFactory(student_no=no, unit=unit, id_tail=tail, name=f"学生{no[-3:]}")
        capture = Capture.objects.create(student=s, campaign=notice)
        Capture.objects.filter(pk=capture.pk).update(
            status=status, shooting_no=shooting, session=session
        )
        capture.refresh_from_db()
        return capture

    return {
        "campaign": notice,
        "session": session,
        "law": law,
        "econ": econ,
        "student": student,
    }


def _stored_files():
    location = photo_storage().location
    found = set()
    for root, _dirs, files in os.walk(location):
        found.update(os.path.join(root, f) for f in files)
    return found


def _preview(office, world, members, session=None, **kwargs):
    fileobj = members if hasattr(members, "read") else pf.zip_file(members)
    return photo_intake_preview(
        actor=office,
        campaign_id=world["campaign"].pk,
        session_id=session.pk if session else None,
        file_name="交付.zip",
        fileobj=fileobj,
        **kwargs,
    )


def _rows(intake):
    """The intake's rows, in the archive's order, as dicts of the fields that have a value."""
    rows = []
    for batch in PhotoIntakeBatch.objects.filter(intake=intake).order_by("number"):
        rows.extend(batch.rows)
    assert [row["index"] for row in rows] == sorted(row["index"] for row in rows)
    return rows


def _row(intake, member):
    (row,) = [r for r in _rows(intake) if r["member"] == member]
    return row


def _refused(office, world, fileobj, code):
    before = _stored_files()
    with pytest.raises(DomainError) as exc:
        _preview(office, world, fileobj)
    assert exc.value.code == code
    assert PhotoIntake.objects.count() == 0
    assert _stored_files() == before
    return exc.value


@pytest.mark.parametrize(
    "payload",
    [b"", b"not a zip at all", pf.jpeg(), pf.png()],
    ids=["empty-file", "text", "a-jpeg-named-zip", "a-png"],
)
def test_not_a_zip_is_refused_and_nothing_is_stored(office, world, payload):
    error = _refused(office, world, io.BytesIO(payload), "not_zip")
    assert ".zip" in error.message


@pytest.mark.parametrize(
    "name",
    ["../evil.jpg", "photos/../../evil.jpg", "/etc/evil.jpg", "..\\evil.jpg", "C:\\evil.jpg"],
)
def test_path_traversal_and_absolute_paths_are_refused(office, world, name):
    _refused(office, world, pf.zip_file([("ok.jpg", pf.jpeg()), (name, pf.jpeg())]), "unsafe_path")


def test_a_zip_bomb_is_refused_from_the_directory(office, world):
    # 4 MiB of zeros pack into 4 KB: a ratio of ~1000.
    _refused(
        office, world, pf.zip_file([("a.jpg", b"\0" * (4 * 1024 * 1024))]), "compression_ratio"
    )


def test_many_small_bombs_are_refused_by_the_total_ratio(office, world):
    members = [(f"{i}.jpg", b"\0" * 60_000) for i in range(40)]  # each under the floor
    _refused(office, world, pf.zip_file(members), "compression_ratio")


def test_a_member_too_large_is_refused(office, world, settings):
    settings.PHOTO_INTAKE_LIMITS = {**settings.PHOTO_INTAKE_LIMITS, "max_member_bytes": 10_000}
    _refused(office, world, pf.zip_file([("a.jpg", pf.jpeg())]), "member_too_large")


def test_overlapping_members_are_refused(office, world):
    _refused(office, world, io.BytesIO(pf.zip_overlapping()), "overlapping")


def test_too_many_members_are_refused_before_zipfile_reads_them(office, world, settings):
    settings.PHOTO_INTAKE_LIMITS = {**settings.PHOTO_INTAKE_LIMITS, "max_members": 3}
    _refused(office, world, pf.zip_file([(f"{i}.jpg", b"x") for i in range(4)]), "too_many_members")


def test_a_directory_that_lies_about_its_count_is_counted_anyway(office, world, settings):
    settings.PHOTO_INTAKE_LIMITS = {**settings.PHOTO_INTAKE_LIMITS, "max_members": 3}
    data = bytearray(pf.zip_bytes([(f"{i}.jpg", b"x") for i in range(4)]))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)  # the end record claims one entry
    _refused(office, world, io.BytesIO(bytes(data)), "too_many_members")


def test_an_archive_too_large_is_refused(office, world, settings):
    settings.PHOTO_INTAKE_LIMITS = {**settings.PHOTO_INTAKE_LIMITS, "max_archive_bytes": 1000}
    _refused(office, world, pf.zip_file([("a.jpg", pf.jpeg())]), "archive_too_large")


def test_symlinks_and_encrypted_members_are_refused(office, world):
    _refused(office, world, io.BytesIO(pf.zip_with_symlink()), "symlink")
    _refused(office, world, io.BytesIO(pf.zip_encrypted([("a.jpg", pf.jpeg())])), "encrypted")


def test_an_archive_of_nothing_but_folders_and_junk_is_refused(office, world):
    members = [("照片/", b""), ("__MACOSX/._a.jpg", b"x"), (".DS_Store", b"x")]
    _refused(office, world, pf.zip_file(members), "empty")


def test_members_are_read_one_at_a_time_and_never_extracted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = pf.zip_bytes([("a.jpg", pf.jpeg()), ("b/c.jpg", pf.jpeg(seed=1))])
    with open_archive(io.BytesIO(data)) as archive:
        members = iter(archive)
        first = next(members)
        assert (first.folders, first.name) == ((), "a.jpg")
        assert next(members).path == "b/c.jpg"
    assert list(tmp_path.iterdir()) == []


def test_a_member_with_a_bad_crc_is_an_unreadable_file_not_a_refusal(office, world):
    world["student"]("2022001")
    data = pf.zip_bytes([("2022001.jpg", pf.jpeg())], compression=zipfile.ZIP_STORED)
    intake = _preview(office, world, io.BytesIO(pf.corrupt_member(data, "2022001.jpg")))
    row = _row(intake, "2022001.jpg")
    assert row["faults"] == ["unreadable"]
    assert "action" not in row


def test_a_member_whose_deflate_stream_is_broken_is_an_unreadable_file(office, world):
    # The inflating library (zlib-ng) raises its own error type on a broken stream.
    world["student"]("2022001")
    world["student"]("2022002")
    data = bytearray(pf.zip_bytes([("2022001.jpg", pf.jpeg()), ("2022002.jpg", pf.jpeg(seed=1))]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("2022001.jpg")
    start = info.header_offset + 30 + len(info.orig_filename.encode()) + len(info.extra)
    data[start] = 0x07  # a final block of the reserved type 3: "invalid block type"
    intake = _preview(office, world, io.BytesIO(bytes(data)))
    assert _row(intake, "2022001.jpg")["faults"] == ["unreadable"]
    assert _row(intake, "2022002.jpg")["action"] == "new"


def test_the_directory_is_read_as_a_stream_without_zipfiles_list_of_members(
    office, world, monkeypatch, django_capture_on_commit_callbacks
):
    # zipfile.ZipFile keeps an object per member (some 500 bytes each) for as long as it is
    # open: the archive is read without it, so memory does not grow with the photos.
    for i in range(3):
        world["student"](f"202200{i}")
    members = [(f"法学院/202200{i}.jpg", pf.jpeg(seed=i)) for i in range(3)]
    members.insert(1, ("__MACOSX/._x.jpg", b"junk"))

    def no_zipfile(*args, **kwargs):
        raise AssertionError("zipfile.ZipFile read the whole directory")

    archive = pf.zip_file(members)
    monkeypatch.setattr(zipfile.ZipFile, "__init__", no_zipfile)
    intake = _preview(office, world, archive)
    assert [r["index"] for r in _rows(intake)] == [0, 2, 3]
    assert intake.summary["skipped"] == 1
    result = _commit(office, intake, django_capture_on_commit_callbacks)
    assert result.created == 3
    stored = {p.source_name: p for p in Photo.objects.all()}
    for name, data in members[:1] + members[2:]:
        with stored[name].file.open("rb") as f:
            assert f.read() == data


def test_the_directory_reader_finds_members_again_by_index():
    data = pf.zip_bytes([("a.jpg", b"1"), ("d/", b""), ("b.jpg", b"22"), (".DS_Store", b"x")])
    with open_archive(io.BytesIO(data)) as archive:
        found = list(archive.members([0, 1, 2, 3, 9]))
    assert [(i, m and m.data) for i, m in found] == [
        (0, b"1"),
        (1, None),
        (2, b"22"),
        (3, None),
        (9, None),
    ]


def test_junk_of_archivers_is_skipped(office, world):
    world["student"]("2022001")
    members = [
        ("2022001.jpg", pf.jpeg()),
        ("__MACOSX/._2022001.jpg", b"mac resource"),
        (".DS_Store", b"x"),
        ("法学院/Thumbs.db", b"x"),
        ("法学院/", b""),
    ]
    intake = _preview(office, world, members)
    assert [r["member"] for r in _rows(intake)] == ["2022001.jpg"]
    assert intake.summary["skipped"] == 3


def test_gbk_folder_names_from_chinese_windows_are_read(office, world):
    world["student"]("2022001", tail="123X")
    raw = "法学院/123X.jpg".encode("gbk")
    intake = _preview(office, world, io.BytesIO(pf.zip_with_raw_names([(raw, pf.jpeg())])))
    row = _row(intake, "法学院/123X.jpg")
    assert row["matched_by"] == "id_tail"


# --- matching -------------------------------------------------------------------------------


def test_each_match_rule(office, world):
    law, econ, session = world["law"], world["econ"], world["session"]
    by_number = world["student"]("2022001")
    by_shooting = world["student"]("2022002", shooting="A0123")
    by_id = world["student"]("2022003", unit=law, tail="123X")
    world["student"]("2022004", unit=econ, tail="123X")  # the same tail in another unit
    by_tail = world["student"]("2022005", unit=econ, tail="0042")
    by_code = world["student"]("2022006", unit=law, tail="7777")
    intake = _preview(
        office,
        world,
        [
            ("2022001.jpg", pf.jpeg(seed=1)),
            ("a0123.JPG", pf.jpeg(seed=2)),  # letters compared upper-case
            (f"法学院/{ID_LAW}.jpg", pf.jpeg(seed=3)),
            ("照片/经济学院/0042.jpg", pf.jpeg(seed=4)),
            ("01/7777.jpg", pf.jpeg(seed=5)),  # the unit's code as the folder
        ],
        session=session,
    )
    expected = {
        "2022001.jpg": (by_number, "student_no"),
        "a0123.JPG": (by_shooting, "shooting_no"),
        f"法学院/{ID_LAW}.jpg": (by_id, "id_number"),
        "照片/经济学院/0042.jpg": (by_tail, "id_tail"),
        "01/7777.jpg": (by_code, "id_tail"),
    }
    for member, (capture, rule) in expected.items():
        row = _row(intake, member)
        assert (row["capture_id"], row["matched_by"], row.get("problem")) == (
            capture.pk,
            rule,
            None,
        ), member
        assert row["action"] == "new"
    assert intake.summary["by_rule"] == {
        "student_no": 1,
        "shooting_no": 1,
        "id_number": 1,
        "id_tail": 2,
    }
    assert intake.summary["take"] == 5


def test_full_width_digits_and_spaces_in_names_still_match(office, world):
    capture = world["student"]("2022001")
    intake = _preview(office, world, [(" ２０２２００１ .jpg", pf.jpeg())])
    assert _rows(intake)[0]["capture_id"] == capture.pk


def test_a_unit_folder_may_carry_the_units_english_name(office, world):
    capture = world["student"]("2022001", tail="4321")
    intake = _preview(office, world, [("School of Law/4321.jpg", pf.jpeg())])
    row = _rows(intake)[0]
    assert (row["capture_id"], row["matched_by"]) == (capture.pk, "id_tail")


def test_invisible_characters_in_a_name_do_not_stop_a_match(office, world):
    # A zero-width space or a right-to-left mark copied in from a chat or a spreadsheet.
    capture = world["student"]("2022001")
    other = world["student"]("2022002")
    intake = _preview(
        office,
        world,
        [("2022\u200b001.jpg", pf.jpeg()), ("\u200f2022002\ufeff.jpg", pf.jpeg(seed=1))],
    )
    assert [r.get("capture_id") for r in _rows(intake)] == [capture.pk, other.pk]


def test_an_id_tail_without_a_unit_folder_is_not_enough(office, world):
    world["student"]("2022001", tail="123X")
    intake = _preview(office, world, [(f"{ID_LAW}.jpg", pf.jpeg()), ("123X.jpg", pf.jpeg(seed=1))])
    for row in _rows(intake):
        assert (row["problem"], row["hint"]) == ("unmatched", "no_unit_folder")
        assert "capture_id" not in row


def test_a_shooting_number_in_a_unit_folder_is_not_taken_for_an_id_tail(office, world):
    shot = world["student"]("2022001", shooting="0815")
    world["student"]("2022002", tail="0815")  # the same four digits, as an ID tail
    intake = _preview(office, world, [("法学院/0815.jpg", pf.jpeg())], session=world["session"])
    row = _rows(intake)[0]
    assert (row["capture_id"], row["matched_by"], row.get("problem")) == (
        shot.pk,
        "shooting_no",
        None,
    )


def test_unmatched_files_and_withdrawn_students(office, world):
    gone = world["student"]("2022009")
    gone.student.withdrawn = True
    gone.student.save()
    intake = _preview(office, world, [("nobody.jpg", pf.jpeg()), ("2022009.jpg", pf.jpeg(seed=1))])
    assert [r["problem"] for r in _rows(intake)] == ["unmatched", "unmatched"]
    assert intake.summary["unmatched"] == 2
    assert intake.summary["take"] == 0


def test_shooting_numbers_are_looked_up_in_the_chosen_session_only(office, world):
    other = CaptureSessionFactory(campaign=world["campaign"], place="二号楼")
    here = world["student"]("2022001", shooting="0815")
    there = world["student"]("2022002", shooting="0815")
    Capture.objects.filter(pk=there.pk).update(session=other)
    intake = _preview(office, world, [("0815.jpg", pf.jpeg())], session=world["session"])
    assert _rows(intake)[0]["capture_id"] == here.pk
    # Without a session the number points to both students.
    intake = _preview(office, world, [("0815.jpg", pf.jpeg())])
    assert _rows(intake)[0]["problem"] == "ambiguous"
    assert _rows(intake)[0]["candidates"] == sorted([here.pk, there.pk])


def test_a_shooting_number_counts_only_for_photographed_students(office, world):
    world["student"]("2022001", shooting="0815", status=Capture.Status.ARRIVED)
    intake = _preview(office, world, [("0815.jpg", pf.jpeg())], session=world["session"])
    assert _rows(intake)[0]["problem"] == "unmatched"


def test_a_name_used_twice_is_ambiguous(office, world):
    a = world["student"]("2022001", shooting="0815")
    b = world["student"]("2022002", shooting="0815")  # the reader gave one number twice
    c = world["student"]("2022003", tail="5678")
    d = world["student"]("2022004", tail="5678")
    intake = _preview(
        office,
        world,
        [("0815.jpg", pf.jpeg()), ("法学院/5678.jpg", pf.jpeg(seed=1))],
        session=world["session"],
    )
    assert _row(intake, "0815.jpg")["candidates"] == sorted([a.pk, b.pk])
    assert _row(intake, "法学院/5678.jpg")["candidates"] == sorted([c.pk, d.pk])
    assert {r["problem"] for r in _rows(intake)} == {"ambiguous"}
    assert intake.summary["ambiguous"] == 2


def test_two_photos_for_one_student(office, world):
    capture = world["student"]("2022001", shooting="0815")
    intake = _preview(
        office,
        world,
        [("2022001.jpg", pf.jpeg()), ("0815.jpg", pf.jpeg(seed=1))],
        session=world["session"],
    )
    assert [(r["capture_id"], r["problem"]) for r in _rows(intake)] == [
        (capture.pk, "duplicate_student"),
        (capture.pk, "duplicate_student"),
    ]
    assert intake.summary["take"] == 0
    assert intake.summary["duplicate_student"] == 2


def test_one_photo_claimed_by_two_numbers(office, world):
    world["student"]("2022001")
    world["student"]("2022002")
    same = pf.jpeg()
    intake = _preview(office, world, [("2022001.jpg", same), ("2022002.jpg", same)])
    assert [r["problem"] for r in _rows(intake)] == ["same_image", "same_image"]
    assert intake.summary["take"] == 0


def test_the_judgements_between_files_cross_batches(office, world, monkeypatch):
    # The preview writes its rows a batch at a time and judges between files afterwards:
    # with batches of 2, the second file of a student and the second copy of an image sit
    # in other batches than the first; the counts follow the rows.
    from sessions.photos import intake as intake_module

    monkeypatch.setattr(intake_module, "BATCH", 2)
    twice, a, b, fine = (world["student"](f"202200{i}") for i in range(1, 5))
    same = pf.jpeg(seed=7)
    files = [
        ("2022001.jpg", pf.jpeg(seed=1)),
        ("2022002.jpg", same),
        ("2022004.jpg", pf.jpeg(seed=4)),
        ("x/2022001.jpg", pf.jpeg(seed=2)),
        ("nobody.jpg", pf.jpeg(seed=5)),
        ("2022003.jpg", same),
    ]
    intake = _preview(office, world, files)
    assert PhotoIntakeBatch.objects.filter(intake=intake).count() == 3
    assert [(r["member"], r.get("problem", r.get("action"))) for r in _rows(intake)] == [
        ("2022001.jpg", "duplicate_student"),
        ("2022002.jpg", "same_image"),
        ("2022004.jpg", "new"),
        ("x/2022001.jpg", "duplicate_student"),
        ("nobody.jpg", "unmatched"),
        ("2022003.jpg", "same_image"),
    ]
    summary = intake.summary
    assert (summary["take"], summary["new"], summary["students"]) == (1, 1, 4)
    assert (summary["duplicate_student"], summary["same_image"], summary["unmatched"]) == (2, 2, 1)
    assert summary["missing_sample"] == [twice.pk, a.pk, b.pk]
    assert fine.pk not in summary["missing_sample"]


def test_missing_students_are_those_photographed_without_any_photo(office, world):
    in_archive = world["student"]("2022001")
    missing = world["student"]("2022002", shooting="0815")
    world["student"]("2022003", status=Capture.Status.EXPECTED)  # not photographed
    other = CaptureSessionFactory(campaign=world["campaign"], place="二号楼")
    elsewhere = world["student"]("2022004")
    Capture.objects.filter(pk=elsewhere.pk).update(session=other)
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())], session=world["session"])
    assert intake.summary["missing_sample"] == [missing.pk]
    assert in_archive.pk not in intake.summary["missing_sample"]
    # Without a session: the whole campaign's photographed students.
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    assert intake.summary["missing_sample"] == [missing.pk, elsewhere.pk]


def test_a_student_whose_only_file_will_not_be_stored_still_counts_as_missing(office, world):
    # A PNG, two files for one student, one image for two students: none is stored, so
    # after this import these students still have no photo.
    png = world["student"]("2022001")
    twice = world["student"]("2022002")
    shared_a, shared_b = world["student"]("2022003"), world["student"]("2022004")
    fine = world["student"]("2022005")
    same = pf.jpeg(seed=7)
    files = [
        ("2022001.jpg", pf.png()),
        ("2022002.jpg", pf.jpeg(seed=1)),
        ("x/2022002.jpg", pf.jpeg(seed=2)),
        ("2022003.jpg", same),
        ("2022004.jpg", same),
        ("2022005.jpg", pf.jpeg(seed=3)),
    ]
    intake = _preview(office, world, files)
    expected = sorted(c.pk for c in (png, twice, shared_a, shared_b))
    assert sorted(intake.summary["missing_sample"]) == expected
    assert intake.summary["missing"] == 4 and fine.pk not in intake.summary["missing_sample"]


def test_a_bad_file_in_a_good_archive_is_listed_with_its_reasons(office, world):
    world["student"]("2022001")
    world["student"]("2022002")
    world["student"]("2022003")
    intake = _preview(
        office,
        world,
        [
            ("2022001.jpg", pf.png()),  # a PNG renamed .jpg
            ("2022002.jpg", pf.jpeg(size=(640, 480), dpi=(72, 72))),
            ("2022003.jpg", pf.jpeg(background=(255, 255, 255))),
        ],
    )
    png_row = _row(intake, "2022001.jpg")
    assert png_row["faults"] == ["not_jpeg"] and "action" not in png_row
    wrong = _row(intake, "2022002.jpg")
    assert (wrong["faults"], wrong["warnings"], wrong["action"]) == (
        ["wrong_size"],
        ["dpi"],
        "new",
    )
    assert _row(intake, "2022003.jpg")["warnings"] == ["background"]
    assert intake.summary["faults"] == {"not_jpeg": 1, "wrong_size": 1}
    assert intake.summary["unusable"] == 1


def test_rows_keep_no_image_data(office, world):
    world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    assert len(str(_rows(intake))) < 500


def test_the_archive_is_kept_under_a_random_name(office, world):
    world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    assert intake.archive.name.startswith("intake/") and "交付" not in intake.archive.name
    assert photo_storage().exists(intake.archive.name)
    assert intake.file_name == "交付.zip"


# --- who may, and a closed campaign ---------------------------------------------------------


def test_only_the_office_takes_in_photos(counsellor, office, world):
    world["student"]("2022001")
    with pytest.raises(DomainError) as exc:
        _preview(counsellor, world, [("2022001.jpg", pf.jpeg())])
    assert exc.value.code == "forbidden"
    assert PhotoIntake.objects.count() == 0
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    with pytest.raises(DomainError) as exc:
        photo_intake_commit(actor=counsellor, intake_id=intake.pk)
    assert exc.value.code == "forbidden"
    assert Photo.objects.count() == 0


def test_a_session_of_another_campaign_is_not_found(office, world):
    stranger = CaptureSessionFactory()
    with pytest.raises(DomainError) as exc:
        _preview(office, world, [("a.jpg", pf.jpeg())], session=stranger)
    assert exc.value.code == "not_found"


def test_a_closed_campaign_takes_in_nothing(office, world):
    world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    Campaign.objects.filter(pk=world["campaign"].pk).update(status=Campaign.Status.CLOSED)
    with pytest.raises(DomainError) as exc:
        photo_intake_commit(actor=office, intake_id=intake.pk)
    assert exc.value.code == "campaign_closed"
    with pytest.raises(DomainError) as exc:
        _preview(office, world, [("2022001.jpg", pf.jpeg())])
    assert exc.value.code == "campaign_closed"
    assert Photo.objects.count() == 0


# --- the commit -----------------------------------------------------------------------------


def _commit(office, intake, capture):
    with capture(execute=True):
        return photo_intake_commit(actor=office, intake_id=intake.pk)


def test_commit_stores_each_matched_photo_under_a_random_name(
    office, world, django_capture_on_commit_callbacks
):
    good = world["student"]("2022001")
    faulty = world["student"]("2022002")
    world["student"]("2022003")
    files = {
        "法学院/2022001.jpg": pf.jpeg(),
        "2022002.jpg": pf.jpeg(size=(640, 480), seed=1),
        "2022003.jpg": pf.png(),
        "stranger.jpg": pf.jpeg(seed=2),
    }
    intake = _preview(office, world, files)
    archive = intake.archive.name
    result = _commit(office, intake, django_capture_on_commit_callbacks)
    assert (result.changed, result.created, result.replaced) == (True, 2, 0)
    photo = Photo.objects.get(capture=good)
    assert len(photo.token) >= 32
    assert photo.file.name.startswith("photos/") and "2022001" not in photo.file.name
    with photo.file.open("rb") as f:
        assert f.read() == files["法学院/2022001.jpg"]
    assert (photo.width, photo.height, photo.mode, photo.dpi) == (480, 640, "RGB", 300)
    assert (photo.faults, photo.warnings, photo.source_name) == ([], [], "法学院/2022001.jpg")
    assert photo.intake == intake and photo.sha256 == _row(intake, "法学院/2022001.jpg")["sha256"]
    # A photo with a fault of the standard is stored, its fault recorded; a PNG is not.
    assert Photo.objects.get(capture=faulty).faults == ["wrong_size"]
    assert Photo.objects.count() == 2
    intake.refresh_from_db()
    assert intake.status == PhotoIntake.Status.COMMITTED and intake.committed_at
    assert not intake.archive and not photo_storage().exists(archive)


def test_a_second_commit_changes_nothing(office, world, django_capture_on_commit_callbacks):
    world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    _commit(office, intake, django_capture_on_commit_callbacks)
    photo = Photo.objects.get()
    files = _stored_files()
    again = _commit(office, intake, django_capture_on_commit_callbacks)
    assert again.changed is False
    assert Photo.objects.get().token == photo.token
    assert _stored_files() == files


def test_reuploading_the_same_archive_changes_nothing(
    office, world, django_capture_on_commit_callbacks
):
    world["student"]("2022001")
    world["student"]("2022002")
    files = [("2022001.jpg", pf.jpeg()), ("2022002.jpg", pf.jpeg(seed=1))]
    _commit(office, _preview(office, world, files), django_capture_on_commit_callbacks)
    before = {p.capture_id: (p.token, p.file.name) for p in Photo.objects.all()}
    stored = _stored_files()
    intake = _preview(office, world, files)
    assert (intake.summary["unchanged"], intake.summary["take"]) == (2, 0)
    assert intake.summary["same_archive_as"] is not None
    # Nothing to import: the page offers no confirm button, and the service refuses one
    # (a forged POST), leaving the preview as it was.
    with pytest.raises(DomainError) as exc:
        photo_intake_commit(actor=office, intake_id=intake.pk)
    assert exc.value.code == "nothing_to_import"
    intake.refresh_from_db()
    assert intake.status == PhotoIntake.Status.PREVIEWED and intake.committed_at is None
    assert {p.capture_id: (p.token, p.file.name) for p in Photo.objects.all()} == before
    with django_capture_on_commit_callbacks(execute=True):
        photo_intake_discard(actor=office, intake_id=intake.pk)
    assert _stored_files() == stored  # and the second archive is gone once discarded


def test_a_corrected_archive_replaces_only_the_changed_photo(
    office, world, django_capture_on_commit_callbacks
):
    a = world["student"]("2022001")
    b = world["student"]("2022002")
    first = [("2022001.jpg", pf.jpeg(background=(255, 255, 255))), ("2022002.jpg", pf.jpeg(seed=1))]
    _commit(office, _preview(office, world, first), django_capture_on_commit_callbacks)
    old_a, old_b = Photo.objects.get(capture=a), Photo.objects.get(capture=b)
    corrected = [("2022001.jpg", pf.jpeg()), ("2022002.jpg", pf.jpeg(seed=1))]
    intake = _preview(office, world, corrected)
    assert [r["action"] for r in _rows(intake)] == ["replace", "unchanged"]
    result = _commit(office, intake, django_capture_on_commit_callbacks)
    assert (result.created, result.replaced, result.unchanged) == (0, 1, 0)
    new_a = Photo.objects.get(capture=a)
    assert new_a.pk == old_a.pk and new_a.token != old_a.token
    assert new_a.warnings == [] and new_a.file.name != old_a.file.name
    assert not photo_storage().exists(old_a.file.name)
    assert Photo.objects.get(capture=b).token == old_b.token


def test_a_failed_commit_leaves_no_file_and_no_photo(
    office, world, monkeypatch, django_capture_on_commit_callbacks
):
    world["student"]("2022001")
    world["student"]("2022002")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg()), ("2022002.jpg", pf.jpeg(seed=1))])
    stored = _stored_files()

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Photo.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        _commit(office, intake, django_capture_on_commit_callbacks)
    assert Photo.objects.count() == 0
    assert _stored_files() == stored
    intake.refresh_from_db()
    assert intake.status == PhotoIntake.Status.PREVIEWED and intake.archive


def test_a_commit_larger_than_a_chunk_stores_every_photo_once(
    office, world, monkeypatch, django_capture_on_commit_callbacks
):
    # The preview writes its rows a batch at a time; the commit reads them a batch at a
    # time, locks their captures a chunk at a time in capture order, then stores them a
    # chunk at a time in the archive's order: with batches of 3 and chunks of 2, five new
    # photos and two replaced ones, listed in an order that is not the captures', cross
    # every boundary.
    from sessions.photos import intake as intake_module

    monkeypatch.setattr(intake_module, "CHUNK", 2)
    monkeypatch.setattr(intake_module, "BATCH", 3)
    before = _stored_files()
    numbers = [f"20220{i:02d}" for i in range(1, 8)]
    captures = {no: world["student"](no) for no in numbers}
    first = [(f"{no}.jpg", pf.jpeg(seed=i)) for i, no in enumerate(numbers[:2])]
    _commit(office, _preview(office, world, first), django_capture_on_commit_callbacks)
    old = {p.capture_id: p.file.name for p in Photo.objects.all()}
    files = [(f"{no}.jpg", pf.jpeg(seed=10 + i)) for i, no in enumerate(reversed(numbers))]
    intake = _preview(office, world, files)
    assert intake.summary["take"] == 7
    result = _commit(office, intake, django_capture_on_commit_callbacks)
    assert (result.created, result.replaced, result.unchanged) == (5, 2, 0)
    for name, data in files:
        photo = Photo.objects.get(capture=captures[name[:-4]])
        with photo.file.open("rb") as f:
            assert f.read() == data, name
    assert len({p.file.name for p in Photo.objects.all()}) == 7
    assert not any(photo_storage().exists(name) for name in old.values())
    # What is left in the storage: the seven photos, nothing else (no archive, no copy).
    location = photo_storage().location
    assert {os.path.relpath(f, location) for f in _stored_files() - before} == {
        p.file.name for p in Photo.objects.all()
    }


def test_a_commit_failing_while_writing_files_leaves_none_behind(office, world, monkeypatch):
    for no in ("2022001", "2022002", "2022003"):
        world["student"](no)
    files = [
        (f"{no}.jpg", pf.jpeg(seed=i)) for i, no in enumerate(("2022001", "2022002", "2022003"))
    ]
    intake = _preview(office, world, files)
    stored = _stored_files()
    from django.core.files.storage import storages

    backend = type(storages["photos"])
    save = backend.save
    calls = []

    def failing_third(self, name, content, *args, **kwargs):
        calls.append(name)
        if len(calls) == 3:
            # The disk fills up half-way through the third file: part of it is written.
            with open(self.path(name), "wb") as f:
                f.write(b"\xff\xd8 partial")
            raise OSError("disk full")
        return save(self, name, content, *args, **kwargs)

    monkeypatch.setattr(backend, "save", failing_third)
    with pytest.raises(OSError):
        photo_intake_commit(actor=office, intake_id=intake.pk)
    assert len(calls) == 3
    assert _stored_files() == stored  # the files written first and the partial one are gone
    assert Photo.objects.count() == 0
    intake.refresh_from_db()
    assert intake.status == PhotoIntake.Status.PREVIEWED and intake.archive


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_commits_of_one_intake_at_once_store_each_photo_once(office, world):
    import threading

    from django.db import connections

    numbers = [f"20220{i:02d}" for i in range(1, 13)]
    for no in numbers:
        world["student"](no)
    intake = _preview(
        office, world, [(f"{no}.jpg", pf.jpeg(seed=i)) for i, no in enumerate(numbers)]
    )
    before = _stored_files() - {photo_storage().path(intake.archive.name)}
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(photo_intake_commit(actor=office, intake_id=intake.pk))
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(r.changed for r in results) == [False, True]
    assert sum(r.created for r in results) == len(numbers)
    assert Photo.objects.count() == len(numbers)
    # The loser's files are deleted; the winner's photos and nothing else stay.
    stored = {os.path.relpath(f, photo_storage().location) for f in _stored_files() - before}
    assert stored == set(Photo.objects.values_list("file", flat=True))


@pytest.mark.parametrize("had_photo", [False, True], ids=["new", "replace"])
def test_confirming_an_older_preview_never_overwrites_a_photo_stored_since(
    office, world, had_photo, django_capture_on_commit_callbacks
):
    capture = world["student"]("2022001")
    if had_photo:
        _commit(
            office,
            _preview(office, world, [("2022001.jpg", pf.jpeg(seed=1))]),
            django_capture_on_commit_callbacks,
        )
    older = _preview(office, world, [("2022001.jpg", pf.jpeg(seed=2))])
    newer = _preview(office, world, [("2022001.jpg", pf.jpeg(seed=3))])
    _commit(office, newer, django_capture_on_commit_callbacks)
    kept = Photo.objects.get(capture=capture)
    stored = _stored_files()
    with pytest.raises(DomainError) as exc:
        _commit(office, older, django_capture_on_commit_callbacks)
    assert exc.value.code == "stale"
    assert "2022001" not in str(exc.value)  # the message counts, it names nobody
    photo = Photo.objects.get(capture=capture)
    assert (photo.sha256, photo.token, photo.file.name) == (kept.sha256, kept.token, kept.file.name)
    assert _stored_files() == stored  # the older preview's files are deleted again
    older.refresh_from_db()
    assert older.status == PhotoIntake.Status.PREVIEWED


def test_a_student_who_left_the_roster_since_the_preview_is_dropped(
    office, world, django_capture_on_commit_callbacks
):
    capture = world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    capture.student.withdrawn = True
    capture.student.save()
    stored = _stored_files()
    result = _commit(office, intake, django_capture_on_commit_callbacks)
    assert (result.created, result.dropped) == (0, 1)
    assert Photo.objects.count() == 0
    assert _stored_files() <= stored  # the written file is removed again, the archive too


def test_an_archive_changed_in_storage_is_refused(office, world):
    world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    storage = photo_storage()
    path = storage.path(intake.archive.name)
    with open(path, "wb") as f:
        f.write(pf.zip_bytes([("2022001.jpg", pf.jpeg(seed=9))]))
    stored = _stored_files()
    with pytest.raises(DomainError) as exc:
        photo_intake_commit(actor=office, intake_id=intake.pk)
    assert exc.value.code == "archive_changed"
    assert Photo.objects.count() == 0 and _stored_files() == stored


def test_a_discarded_preview_loses_its_archive_and_rows_but_not_its_record(
    office, world, django_capture_on_commit_callbacks
):
    world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    archive = intake.archive.name
    with django_capture_on_commit_callbacks(execute=True):
        assert photo_intake_discard(actor=office, intake_id=intake.pk) is True
    intake.refresh_from_db()
    assert intake.status == PhotoIntake.Status.DISCARDED and not intake.archive
    assert intake.file_name == "交付.zip"
    assert not photo_storage().exists(archive)
    assert not PhotoIntakeBatch.objects.filter(intake=intake).exists()
    assert Photo.objects.count() == 0
    assert photo_intake_discard(actor=office, intake_id=intake.pk) is False  # again: nothing
    with pytest.raises(DomainError) as exc:
        photo_intake_commit(actor=office, intake_id=intake.pk)
    assert exc.value.code == "discarded"
    assert "放弃" in exc.value.message


def test_an_imported_intake_cannot_be_discarded(office, world, django_capture_on_commit_callbacks):
    world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    _commit(office, intake, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as exc:
        photo_intake_discard(actor=office, intake_id=intake.pk)
    assert exc.value.code == "committed"
    assert Photo.objects.count() == 1


def test_only_the_office_discards(world, office, counsellor):
    world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    with pytest.raises(DomainError) as exc:
        photo_intake_discard(actor=counsellor, intake_id=intake.pk)
    assert exc.value.code == "forbidden"
    with pytest.raises(DomainError) as exc:
        photo_intake_discard(actor=office, intake_id=intake.pk + 1000)
    assert exc.value.code == "not_found"


def test_purge_removes_the_rows_of_an_intake_not_committed(office, world):
    # The rows name files by student and ID numbers: personal data, gone with the campaign.
    world["student"]("2022001")
    intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
    assert len(_rows(intake)) == 1
    Campaign.objects.filter(pk=world["campaign"].pk).update(status=Campaign.Status.CLOSED)
    purge_photos(world["campaign"])
    assert not PhotoIntakeBatch.objects.exists()
    intake.refresh_from_db()
    assert (intake.file_name, intake.archive.name) == ("", "")


def test_logs_name_ids_only(office, world, caplog, django_capture_on_commit_callbacks):
    world["student"]("2022001")
    with caplog.at_level(logging.INFO, logger="sessions.photos.intake"):
        intake = _preview(office, world, [("2022001.jpg", pf.jpeg())])
        _commit(office, intake, django_capture_on_commit_callbacks)
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "photo intake" in text and "2022001" not in text and "交付" not in text


def test_the_archive_module_refuses_without_reading_members(monkeypatch, settings):
    settings.PHOTO_INTAKE_LIMITS = {**settings.PHOTO_INTAKE_LIMITS, "max_members": 2}

    def no_reading(*args, **kwargs):
        raise AssertionError("a member was read")

    hostile = [
        (pf.zip_bytes([("a.jpg", b"\0" * 4_000_000)]), "compression_ratio"),
        (pf.zip_bytes([("../a.jpg", b"x")]), "unsafe_path"),
        (pf.zip_bytes([(f"{i}.jpg", b"x") for i in range(3)]), "too_many_members"),
    ]
    monkeypatch.setattr(zipfile.ZipFile, "open", no_reading)
    for data, code in hostile:
        with pytest.raises(DomainError) as exc:
            with open_archive(io.BytesIO(data)):
                pass
        assert exc.value.code == code
    assert archive_module.RATIO_FLOOR > 0


# --- the pages ------------------------------------------------------------------------------


def _upload(client, data, name="photos.zip", session=""):
    return client.post(
        reverse("staff:photo_intake"),
        {
            "file": SimpleUploadedFile(name, data, content_type="application/zip"),
            "session": session,
        },
    )


def test_the_office_uploads_previews_and_confirms(
    client, office_user, world, django_capture_on_commit_callbacks
):
    world["student"]("2022001")
    world["student"]("2022002")
    client.force_login(office_user)
    page = client.get(reverse("staff:photo_intake"))
    assert page.status_code == 200
    assert world["session"].place in page.content.decode()
    data = pf.zip_bytes(
        [("2022001.jpg", pf.jpeg()), ("2022002.jpg", pf.jpeg(mode="L")), ("x.jpg", pf.jpeg(seed=3))]
    )
    response = _upload(client, data, session=str(world["session"].pk))
    intake = PhotoIntake.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:photo_intake_preview", args=[intake.pk])
    assert intake.session == world["session"]
    page = client.get(response["Location"]).content.decode()
    assert str(LABELS["wrong_mode"]) in page
    assert "找不到对应的学生" in page and "x.jpg" in page
    assert 'id="confirm-intake"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff:photo_intake_preview", args=[intake.pk]))
    assert response.status_code == 302
    assert Photo.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert 'id="committed"' in page and 'id="confirm-intake"' not in page
    assert "photo-intake-links" in client.get(reverse("staff:index")).content.decode()


def test_a_refused_archive_is_explained_on_the_form(client, office_user, world):
    client.force_login(office_user)
    response = _upload(client, pf.zip_bytes([("../x.jpg", pf.jpeg())]))
    assert response.status_code == 200
    assert "上级目录" in response.content.decode()
    assert PhotoIntake.objects.count() == 0


def test_the_preview_page_reads_a_fixed_number_of_queries(client, office_user, world):
    client.force_login(office_user)
    counts = []
    for n in (2, 12):
        for i in range(n):
            world["student"](f"20{n:02d}{i:03d}")
        files = [(f"20{n:02d}{i:03d}.jpg", pf.jpeg(dpi=None, seed=i)) for i in range(n)]
        files += [(f"nobody{i}.jpg", pf.jpeg(seed=100 + i)) for i in range(n)]
        _upload(client, pf.zip_bytes(files))
        intake = PhotoIntake.objects.order_by("-pk").first()
        with CaptureQueriesContext(connection) as queries:
            assert (
                client.get(reverse("staff:photo_intake_preview", args=[intake.pk])).status_code
                == 200
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]
