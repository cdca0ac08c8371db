"""The hand-over of delivered photos (issue 15, point 4): one unit's photos, or every
unit's, as a .zip built while it is sent.

The archive holds `manifest.xlsx` (one row per photo: student number, name, unit,
shooting number, size, width × height, faults, warnings; and a second sheet of the
photographed students whose photo has not arrived) and one `<student number>.jpg` per
photo, in a folder per unit when it holds every unit.

Streamed: zipfile writes to `_Pipe`, a write-only file that keeps only what was written
since the last chunk was sent; each photo is read from the photo storage in blocks and
sent on, and the rows come from the database with .iterator(), ITERATOR_CHUNK at a time.
What stays in memory is one block, one chunk of rows, zipfile's entry list (a few hundred
bytes per member, for the central directory at the end) and the manifest (a compressed
workbook, a few dozen bytes per row): a 5,000-photo archive never sits in memory
(tests/sessions/test_photo_handover.py measures it). zipfile works on a writer that cannot
seek: it then follows each member with a data descriptor, which every unzip tool reads.
"""

import logging
import re
import unicodedata
import zipfile
from urllib.parse import quote

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from capture_portal.localised import localised, pick
from capture_portal.xlsx import Sheet, write_workbook
from sessions.models import photo_storage
from sessions.photos.selectors import check_labels, handover_missing, handover_photos

logger = logging.getLogger(__name__)
BLOCK = 64 * 1024  # bytes read from the storage at a time
ITERATOR_CHUNK = 100  # rows fetched from the database at a time
MANIFEST = "manifest.xlsx"
# Photos are JPEG already: deflate finds almost nothing to squeeze, so the fastest level.
# Deflated, not stored: some readers refuse stored members followed by a data descriptor.
COMPRESSION, LEVEL = zipfile.ZIP_DEFLATED, 1

_UNSAFE_NUMBER = re.compile(r"[^0-9A-Za-z._-]")
_UNSAFE_FOLDER = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class _Pipe:
    """A write-only file for zipfile: it keeps what was written until `take()`."""

    def __init__(self):
        self._parts = []

    def write(self, data):
        self._parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def member_name(student_no):
    """A photo's name in the archive: `<student number>.jpg`, anything but letters,
    digits, `.`, `_` and `-` replaced (a student number is a name, never a path)."""
    stem = _UNSAFE_NUMBER.sub("_", unicodedata.normalize("NFKC", student_no)).strip(".")
    return f"{stem or '_'}.jpg"


def folder_name(unit_name):
    """A unit's folder in the all-units archive: its name without path separators or
    characters Windows refuses."""
    name = _UNSAFE_FOLDER.sub("_", unicodedata.normalize("NFKC", unit_name)).strip(" .")
    return name or "_"


def _kb(size):
    return round(size / 1024, 1)


def _manifest_rows(photos):
    comma = pgettext("list separator", "、")
    for photo in photos:
        capture = photo.capture
        student = capture.student
        yield [
            student.student_no,
            student.name,
            localised(student.unit, "name"),
            capture.shooting_no,
            _kb(photo.size),
            f"{photo.width}×{photo.height}",
            comma.join(map(str, check_labels(photo.faults))),
            comma.join(map(str, check_labels(photo.warnings))),
            # A photo sent for a retake is still handed over; its status says so.
            capture.get_status_display(),
        ]


def _missing_rows(rows):
    for number, name, unit, unit_en, shooting in rows:
        yield [number, name, pick(unit, unit_en), shooting]


def manifest_workbook(campaign, unit=None, received_before=None):
    """The archive's manifest.xlsx (bytes): the photos it holds, and the photographed
    students whose photo has not arrived. Rows streamed from the database into openpyxl's
    write-only mode."""
    photos = handover_photos(campaign, unit, received_before).iterator(chunk_size=ITERATOR_CHUNK)
    missing = handover_missing(campaign, unit).iterator(chunk_size=ITERATOR_CHUNK)
    return write_workbook(
        [
            Sheet(
                title=str(_("照片清单")),
                headers=[
                    _("学号"),
                    _("姓名"),
                    _("培养单位"),
                    _("拍摄号"),
                    _("文件大小（KB）"),
                    _("宽×高（像素）"),
                    _("不合格项"),
                    _("提醒项"),
                    _("采集状态"),
                ],
                rows=_manifest_rows(photos),
                widths=[16, 10, 22, 12, 12, 14, 30, 30, 12],
                number_formats={4: "0.0"},
            ),
            Sheet(
                title=str(_("未收到照片")),
                headers=[_("学号"), _("姓名"), _("培养单位"), _("拍摄号")],
                rows=_missing_rows(missing),
                widths=[16, 10, 22, 12],
            ),
        ]
    )


def _entry(name, when):
    """A member dated `when` (local time): unzipped files show when the photo arrived, not
    1 January 1980, zipfile's default."""
    info = zipfile.ZipInfo(name, date_time=timezone.localtime(when).timetuple()[:6])
    info.compress_type = COMPRESSION
    # The level the archive was opened with is not applied to a ZipInfo given to open();
    # Python 3.13 names the attribute compress_level, 3.11 _compresslevel.
    setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", LEVEL)
    return info


def archive_chunks(campaign, unit=None):
    """The hand-over .zip of `unit`'s photos (every unit's, in a folder each, when None),
    as an iterator of byte strings for a StreamingHttpResponse. Photos received after the
    download started are left for the next one, so that the manifest and the files agree;
    a photo whose file is missing from the storage (it should not be) is logged and left
    out of the files, though the manifest, written first, still lists it."""
    started = timezone.now()
    pipe = _Pipe()
    storage = photo_storage()
    with zipfile.ZipFile(pipe, "w", compression=COMPRESSION, compresslevel=LEVEL) as archive:
        with archive.open(_entry(MANIFEST, started), "w") as member:
            member.write(manifest_workbook(campaign, unit, started))
        yield pipe.take()
        photos = handover_photos(campaign, unit, started).iterator(chunk_size=ITERATOR_CHUNK)
        for photo in photos:
            student = photo.capture.student
            name = member_name(student.student_no)
            if unit is None:
                name = f"{folder_name(student.unit.name)}/{name}"
            source = None
            try:
                # An object store may open lazily: a missing file shows at the first read.
                source = storage.open(photo.file.name, "rb")
                block = source.read(BLOCK)
            except FileNotFoundError:
                if source is not None:
                    source.close()
                logger.warning("photo %s: file missing from the storage, left out", photo.pk)
                continue
            with source, archive.open(_entry(name, photo.received_at), "w") as member:
                while block:
                    member.write(block)
                    if data := pipe.take():
                        yield data
                    block = source.read(BLOCK)
            if data := pipe.take():
                yield data
    yield pipe.take()  # the central directory


def download_name(campaign, unit=None):
    """(file name, ASCII fallback) of the archive, for Content-Disposition."""
    who = localised(unit, "name") if unit is not None else _("全部单位")
    title = localised(campaign, "title")
    name = _("%(title)s-电子照片-%(who)s.zip") % {"title": title, "who": who}
    code = re.sub(r"[^0-9A-Za-z_-]", "", unit.code) if unit is not None else ""
    fallback = f"photos-{code or unit.pk}.zip" if unit is not None else "photos-all.zip"
    return folder_name(name), fallback


def content_disposition(name, fallback):
    """An attachment header every browser reads: an ASCII `filename` and the real name as
    `filename*` (RFC 6266, UTF-8)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
