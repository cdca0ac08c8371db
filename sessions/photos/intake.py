"""Taking in the photographer's delivered photos (issue 15, point 1): an archive is checked
and matched to the roster, shown to the office, then stored photo by photo on confirmation.

* `photo_intake_preview`: the archive is refused as a whole when it is unsafe or unusable
  (sessions.photos.archive: nothing is stored); otherwise every file is checked against the
  image standard (sessions.photos.standard) and matched to a student, and the archive is
  kept in the private photo storage as a `PhotoIntake` with a summary and a row per file
  (in `PhotoIntakeBatch`es of BATCH files).
* `photo_intake_commit`: the matched photos are stored, each under a random name, as the
  student's `Photo` (created, or replaced with a new token); the archive is deleted.
* `photo_intake_discard`: the office gives a preview up; the archive and the rows go.

Matching a file's name (without its extension, NFKC, invisible format characters dropped,
trimmed, letters compared upper-case):

1. a student number of the campaign's roster (not withdrawn) → that student;
2. a shooting number (拍摄号) recorded at the exit door → the photographed student who got it,
   within the intake's session (the whole campaign when no session is chosen);
3. an 18-character ID number, or its last 4 characters, together with a folder named after a
   training unit (its name, English name or code) → the unit's one student with that ID
   tail. Without a unit folder the ID tail is not enough (``hint`` ``no_unit_folder``):
   tails repeat. Only the last 4 characters are compared, even of a whole ID number: the
   roster keeps no more of it.

The first rule that names anyone decides. A name pointing to two students or more under it
(a shooting number given twice, a tail shared in a unit) is ``ambiguous``; several files for
one student are each ``duplicate_student``; one image (same SHA-256) for several students is
``same_image``; a name matching nobody is ``unmatched``. Students photographed (in the
session, or the campaign) with no photo stored and none the archive will store are listed
as missing.

What the commit stores — a decision: every file matched to exactly one student and free of
problems, *even with a fault of the standard* (wrong size, wrong colour mode) or warnings,
so that the office and the units see it in the overview with its faults recorded on the
`Photo`. Not stored: files that are not a readable JPEG at all (``not_jpeg``,
``unreadable``, ``too_many_pixels``): a Photo is always a JPEG Pillow can open safely (the
thumbnail and hand-over code rely on it). A student's stored photo is never replaced by such
a file, nor by one with a problem. The same file (same SHA-256) for the same student changes
nothing, so a corrected archive can be uploaded again whole.

Memory stays flat in the number of files (a 5,000-photo archive takes what a 1,000-photo
one does, bench/photos.py): the archive is read one member at a time (sessions.photos.
archive), the rows are written a batch of BATCH files at a time as they are made, and what
the judgements between files (one student twice, one image for two students), the counts
and the missing students need is kept per student of the roster, in arrays of its size
(_Reading). The commit reads the batches one at a time too.

Codes (DomainError): ``forbidden``, ``not_found``, ``campaign_closed``, ``archive_changed``,
``stale``, ``discarded``, ``nothing_to_import``, ``committed``, ``conflict``, and the
archive's own (sessions.photos.archive).
"""

import functools
import hashlib
import itertools
import logging
import re
import secrets
import tempfile
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from capture_portal.exceptions import DomainError
from sessions.models import (
    Capture,
    CaptureSession,
    Photo,
    PhotoIntake,
    PhotoIntakeBatch,
    photo_storage,
)
from sessions.photos.archive import open_archive
from sessions.photos.standard import ImageCheck, check_image
from sessions.services.common import open_campaign
from units.models import TrainingUnit

logger = logging.getLogger(__name__)
SAMPLE = 200
# Files per PhotoIntakeBatch, and rows the commit handles at a time.
BATCH = CHUNK = 500
TAKEN = ("new", "replace")
MAX_MEMBER_PATH = Photo._meta.get_field("source_name").max_length

RULES = {
    "student_no": gettext_lazy("学号"),
    "shooting_no": gettext_lazy("拍摄号"),
    "id_number": gettext_lazy("证件号码（核对后四位）+ 单位文件夹"),
    "id_tail": gettext_lazy("证件号后四位 + 单位文件夹"),
}
PROBLEMS = {
    "unmatched": gettext_lazy("找不到对应的学生"),
    "ambiguous": gettext_lazy("文件名对应多名学生"),
    "duplicate_student": gettext_lazy("同一学生有多个文件"),
    "same_image": gettext_lazy("同一张照片对应多名学生"),
}
HINTS = {
    "no_unit_folder": gettext_lazy(
        "若文件名是证件号码（或其后四位），照片须放在以培养单位名称或代码命名的文件夹中"
    ),
}
ACTIONS = {
    "new": pgettext_lazy("import action", "新增"),
    "replace": gettext_lazy("替换已有照片"),
    "unchanged": gettext_lazy("与已有照片相同，不变"),
}

_ID_NUMBER_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_ID_TAIL_RE = re.compile(r"^[0-9A-Z]{4}$")


def _office_only(actor):
    if actor.device is not None or not actor.is_office:
        raise DomainError(_("只有研究生学院工作人员可以接收电子照片。"), "forbidden")


def _campaign(campaign_id):
    return open_campaign(campaign_id, closed_message=_("本次采集活动已结束，不能再接收电子照片。"))


@functools.cache
def _invisible():
    """Invisible format characters (category Cf: zero-width spaces, direction marks, a BOM)
    that names pick up when copied from chats and spreadsheets: they never belong to a
    number. Built on first use (a scan of the BMP, some 15 ms)."""
    return dict.fromkeys(c for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf")


def _key(text):
    text = unicodedata.normalize("NFKC", text or "")
    return text.translate(_invisible()).strip().upper()


def _stem(name):
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    return _key(stem)


def _add(mapping, key, pk):
    """mapping[key] is a tuple of capture ids (usually one)."""
    found = mapping.get(key)
    if found is None:
        mapping[key] = (pk,)
    elif pk not in found:
        mapping[key] = (*found, pk)


class _Roster:
    """The campaign's students as the file names name them, and per student (a position, in
    student-number order) what the judgements between files and the missing count need:
    arrays the size of the roster, whatever the size of the archive. Two queries (captures
    with their stored photo, units)."""

    def __init__(self, campaign_id, session_id):
        self.by_number, self.by_tail, self.by_shooting = {}, {}, {}
        self.photo = {}  # capture id -> sha256 of the stored photo
        self.position = {}  # capture id -> position
        self.ids = array("q")  # capture id by position
        # 1: photographed (in the session, or the campaign) with no photo stored.
        self.waiting = bytearray()
        photographed = Capture.Status.PHOTOGRAPHED
        rows = (
            Capture.objects.filter(campaign_id=campaign_id, student__withdrawn=False)
            .order_by("student__student_no", "pk")
            .values_list(
                "pk",
                "student__student_no",
                "student__unit_id",
                "student__id_tail",
                "shooting_no",
                "session_id",
                "status",
                "photo__sha256",
            )
        )
        for pk, number, unit_id, tail, shooting, session, status, sha in rows.iterator(
            chunk_size=5000
        ):
            self.position[pk] = len(self.ids)
            self.ids.append(pk)
            _add(self.by_number, _key(number), pk)
            if tail:
                _add(self.by_tail, (unit_id, _key(tail)), pk)
            in_scope = session_id is None or session == session_id
            if status == photographed and in_scope and shooting:
                _add(self.by_shooting, _key(shooting), pk)
            if sha:
                self.photo[pk] = sha
            self.waiting.append(status == photographed and in_scope and not sha)
        self.units = {}
        for pk, *names in TrainingUnit.objects.values_list("pk", "name", "code", "name_en"):
            for name in names:
                if name:
                    self.units.setdefault(_key(name), pk)

    def unit_of(self, folders):
        """The unit named by the nearest folder, or None."""
        for folder in reversed(folders):
            unit_id = self.units.get(_key(folder))
            if unit_id is not None:
                return unit_id
        return None

    def match(self, folders, name):
        """({candidate capture id: rule}, hint) for one file. The rules are tried in order
        and the first that names anyone decides: the ID tail comes last, because 4-digit
        shooting numbers in unit folders would otherwise meet some student's tail (one in
        twenty, in a unit of 500)."""
        stem = _stem(name)
        for rule, mapping in (("student_no", self.by_number), ("shooting_no", self.by_shooting)):
            found = mapping.get(stem)
            if found:
                return dict.fromkeys(found, rule), ""
        rule = (
            "id_number"
            if _ID_NUMBER_RE.match(stem)
            else "id_tail"
            if _ID_TAIL_RE.match(stem)
            else None
        )
        if rule is None:
            return {}, ""
        unit_id = self.unit_of(folders)
        if unit_id is None:
            return {}, "no_unit_folder"
        return dict.fromkeys(self.by_tail.get((unit_id, stem[-4:]), ()), rule), ""


def _checked(archive):
    """(member, its SHA-256, ImageCheck) for each member of the archive, in order, one
    at a time; each member is hashed as it is read (PhotoArchive.hashed)."""
    standard = settings.PHOTO_STANDARD
    max_pixels = settings.PHOTO_INTAKE_LIMITS["max_pixels"]
    for member, sha in archive.hashed():
        if member.data is None:  # a bad CRC or local header: the zip itself is damaged
            yield member, sha, ImageCheck(size=0, faults=["unreadable"])
        else:
            yield member, sha, check_image(member.data, standard=standard, max_pixels=max_pixels)


def _kind(row):
    """What the summary counts a row as: (problem, action, matched to one student)."""
    return row.get("problem", ""), row.get("action", ""), "capture_id" in row


class _Reading:
    """What is kept while the rows are made, so that no list of rows is kept: counts (the
    files, the matching rules, the faults and warnings, the rows by kind), the digest of
    the archive's content (each file's path and SHA-256 — rather than its bytes, so that
    the same photos zipped again by another tool are recognised, at no extra pass over the
    archive; what the commit stores is checked file by file against the rows), and per
    student of the roster (arrays of its size): how many files name them (0, 1, 2 for
    more), the first 8 bytes of their file's SHA-256, and whether the archive stores a
    photo for them."""

    def __init__(self, roster):
        self.roster = roster
        self.files = 0
        self.by_rule, self.faults, self.warnings = Counter(), Counter(), Counter()
        self.kinds = Counter()
        self.with_faults = self.with_warnings = 0
        self.digest = hashlib.sha256()
        size = len(roster.ids)
        self.named = bytearray(size)
        self.image = array("Q", bytes(8 * size))
        self.takes = bytearray(size)

    def count(self, row, check):
        self.files += 1
        rule = row.get("matched_by")
        if rule:
            self.by_rule[rule] += 1
        self.faults.update(check.faults)
        self.warnings.update(check.warnings)
        self.with_faults += bool(check.faults)
        self.with_warnings += bool(check.warnings)
        self.kinds[_kind(row)] += 1
        sha = row.get("sha256", "")
        self.digest.update(f"{row['member']}\0{sha}\n".encode())
        pk = row.get("capture_id")
        if pk is not None:
            at = self.roster.position[pk]
            self.named[at] = min(self.named[at] + 1, 2)
            if sha:
                self.image[at] = int(sha[:16], 16)
            if row.get("action") in TAKEN:
                self.takes[at] = 1

    def between_files(self):
        """The capture ids whose files are ``duplicate_student`` (named by more than one
        file) and ``same_image`` (the one file of each of several students is the same
        image: equal SHA-256, compared on its first 8 bytes — a chance collision among
        thousands of files is about one in 10¹²). Sets bounded by the roster; the sort is
        over the whole roster, so its memory does not grow with the archive either."""
        ids, named, image = self.roster.ids, self.named, self.image
        twice = {ids[at] for at, n in enumerate(named) if n > 1}
        alone = sorted(image[at] for at, n in enumerate(named) if n == 1 and image[at])
        shared = {a for a, b in itertools.pairwise(alone) if a == b}
        same = (
            {ids[at] for at, n in enumerate(named) if n == 1 and image[at] in shared}
            if shared
            else set()
        )
        return twice, same


def _read_archive(intake, fileobj, roster):
    """Check the archive (refused with DomainError), then write the rows, BATCH files to a
    `PhotoIntakeBatch`. Returns (_Reading, files skipped, batches written)."""
    reading = _Reading(roster)
    batch, number = [], 0
    with open_archive(fileobj) as archive:
        for member, sha, check in _checked(archive):
            found, hint = roster.match(member.folders, member.name)
            row = _row(member, sha, check, found, hint, roster)
            reading.count(row, check)
            batch.append(row)
            if len(batch) >= BATCH:
                PhotoIntakeBatch.objects.create(intake=intake, number=number, rows=batch)
                batch, number = [], number + 1
        if batch:
            PhotoIntakeBatch.objects.create(intake=intake, number=number, rows=batch)
            number += 1
        return reading, archive.skipped, number


def _row(member, sha, check, found, hint, roster):
    """One file as the preview keeps it (no image data; only the keys that have a value). A
    file matched to one student gets the action the commit would take, judged against the
    student's stored photo; `_judge` takes it away again from a file that shares its
    student or its image."""
    row = {"index": member.index, "member": member.path[:MAX_MEMBER_PATH], "size": check.size}
    if sha:
        row["sha256"] = sha
    for key in ("width", "height", "dpi"):
        value = getattr(check, key)
        if value is not None:
            row[key] = value
    if check.mode:
        row["mode"] = check.mode
    if check.faults:
        row["faults"] = check.faults
    if check.warnings:
        row["warnings"] = check.warnings
    if not check.usable:
        row["unusable"] = True
    if len(found) == 1:
        ((pk, rule),) = found.items()
        row["capture_id"] = pk
        row["matched_by"] = rule
        if check.usable:
            stored = roster.photo.get(pk)
            action = "new" if stored is None else "unchanged" if stored == sha else "replace"
            row["action"] = action
            if action == "replace":
                row["replaces"] = stored  # the commit refuses if it changed since
    elif found:
        row["problem"] = "ambiguous"
        row["candidates"] = sorted(found)
    else:
        row["problem"] = "unmatched"
        if hint:
            row["hint"] = hint
    return row


def rows_of(intake_id):
    """The rows of an intake in the archive's order, read one batch at a time (a query
    each, and one to find there is no more): memory stays flat. Not one query through a
    server-side cursor: the commit may stop reading half-way (a refused file), and on
    PostgreSQL a cursor closed after its transaction was rolled back breaks the next
    transaction on the connection."""
    for number in itertools.count():
        rows = (
            PhotoIntakeBatch.objects.filter(intake_id=intake_id, number=number)
            .values_list("rows", flat=True)
            .first()
        )
        if rows is None:
            return
        yield from rows


def _judge(intake, reading, batches):
    """The problems between files: every file of a student named by more than one file is
    ``duplicate_student``; then every file that is the one file of a student and the same
    image as another student's is ``same_image`` (_Reading.between_files). Neither is
    stored: its action is taken away, in the rows and in the counts. Only the batches with
    such a file are written again."""
    twice, same = reading.between_files()
    if not twice and not same:
        return
    position, takes, kinds = reading.roster.position, reading.takes, reading.kinds
    for number in range(batches):
        batch = PhotoIntakeBatch.objects.get(intake=intake, number=number)
        changed = False
        for row in batch.rows:
            pk = row.get("capture_id")
            problem = "duplicate_student" if pk in twice else "same_image" if pk in same else ""
            if not problem:
                continue
            kinds[_kind(row)] -= 1
            row["problem"] = problem
            row.pop("action", None)
            kinds[_kind(row)] += 1
            takes[position[pk]] = 0
            changed = True
        if changed:
            batch.save(update_fields=["rows"])


def _summary(reading, skipped):
    """The summary's counts, from what the reading counted: the rows by kind, the students
    named, and the students missing (photographed, no photo stored and none that this
    archive will store — a file of theirs that is unreadable, or shared with another
    student, leaves them missing), in student-number order."""
    problems = ("unmatched", "ambiguous", "duplicate_student", "same_image")
    actions = ("new", "replace", "unchanged")
    by_problem, by_action, unusable = Counter(), Counter(), 0
    for (problem, action, matched), n in reading.kinds.items():
        by_problem[problem] += n
        by_action[action] += n
        unusable += n if matched and not problem and not action else 0
    roster = reading.roster
    missing = (
        roster.ids[at]
        for at, waiting in enumerate(roster.waiting)
        if waiting and not reading.takes[at]
    )
    sample = list(itertools.islice(missing, SAMPLE))
    return {
        "files": reading.files,
        "skipped": skipped,
        "students": len(reading.named) - reading.named.count(0),
        "take": by_action["new"] + by_action["replace"],
        **{key: by_action[key] for key in actions},
        "unusable": unusable,
        **{key: by_problem[key] for key in problems},
        "with_faults": reading.with_faults,
        "with_warnings": reading.with_warnings,
        "by_rule": dict(reading.by_rule),
        "faults": dict(reading.faults),
        "warnings": dict(reading.warnings),
        "missing": len(sample) + sum(1 for _ in missing),
        "missing_sample": sample,
    }


def photo_intake_preview(*, actor, campaign_id, session_id=None, file_name, fileobj):
    """Check a delivered archive of photos and match its files to the roster, writing
    nothing but the `PhotoIntake` (and its rows) that awaits the office's confirmation.

    `fileobj`: the uploaded .zip, a seekable binary file (an UploadedFile). `session_id`
    (optional) names the session whose shooting numbers the files may carry; it must be
    the campaign's. Each file gets a row (in a `PhotoIntakeBatch` of BATCH files): its
    checks (sessions.photos.standard), the student it matches and by which rule, its
    problem, and what the commit will do. The archive is stored in the private photo
    storage under a random name. The summary's ``same_archive_as`` names an earlier
    intake of the same photos under the same names.

    One transaction: a refused or failed archive leaves nothing behind. Office only.
    Raises DomainError ``forbidden``, ``not_found``, ``campaign_closed``, or one of the
    archive's codes (sessions.photos.archive), and then stores nothing."""
    _office_only(actor)
    campaign = _campaign(campaign_id)
    if (
        session_id is not None
        and not CaptureSession.objects.filter(pk=session_id, campaign=campaign).exists()
    ):
        raise DomainError(_("找不到该场次。"), "not_found")
    roster = _Roster(campaign.pk, session_id)
    intake = PhotoIntake(
        campaign=campaign,
        session_id=session_id,
        file_name=(file_name or "")[:200],
        uploaded_by=actor.user,
    )
    try:
        with transaction.atomic():
            intake.save()
            reading, skipped, batches = _read_archive(intake, fileobj, roster)
            _judge(intake, reading, batches)
            summary = _summary(reading, skipped)
            intake.sha256 = reading.digest.hexdigest()
            summary["same_archive_as"] = (
                PhotoIntake.objects.filter(campaign=campaign, sha256=intake.sha256)
                .exclude(pk=intake.pk)
                .values_list("pk", flat=True)
                .first()
            )
            intake.summary = summary
            # A random name: the office's file name (often a unit or a date) stays in the
            # database. An upload spooled to disk is moved into a local storage, not copied.
            content = fileobj if isinstance(fileobj, File) else File(fileobj)
            intake.archive.save(f"{secrets.token_hex(16)}.zip", content, save=False)
            intake.save(update_fields=["sha256", "summary", "archive"])
    except BaseException:
        if intake.archive:
            intake.archive.delete(save=False)
        raise
    logger.info("photo intake %s previewed: %d files", intake.pk, reading.files)
    return intake


@dataclass
class PhotoIntakeResult:
    intake: PhotoIntake
    changed: bool
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    # Matched at the preview, but the student has left the roster since.
    dropped: int = 0


def _taken(intake):
    """The rows the commit stores (action new or replace), in the archive's order, a batch
    at a time. Each student has at most one such row (_judge)."""
    return (row for row in rows_of(intake.pk) if row.get("action") in TAKEN)


def _file_name(prefix, index):
    # A random prefix per commit attempt and the member's index: unguessable, never a
    # student's number, and derivable again, so that no list of written names is kept.
    return f"photos/{prefix}-{index}.jpg"


def _write_files(intake, prefix, written):
    """Store the files the commit takes, before the transaction (no lock is held while files
    are written), each checked against the SHA-256 of the preview, in the archive's order
    (its directory is read once). `written` is a one-item list holding the index of the last
    file written, for the clean-up (`_delete_written`) if anything fails later."""
    storage = photo_storage()
    if not intake.archive or not intake.archive.storage.exists(intake.archive.name):
        raise DomainError(
            _("存档的压缩包已不存在，未导入任何照片；请重新上传。"), "archive_changed"
        )
    rows, wanted = itertools.tee(_taken(intake))
    with intake.archive.open("rb") as fileobj, open_archive(fileobj) as archive:
        members = archive.members(row["index"] for row in wanted)
        for row, (_index, member) in zip(rows, members, strict=True):
            data = member.data if member is not None else None
            if data is None or hashlib.sha256(data).hexdigest() != row["sha256"]:
                raise DomainError(
                    _("存档的压缩包与预览时不一致，未导入任何照片；请重新上传。"),
                    "archive_changed",
                )
            name = _file_name(prefix, row["index"])
            # Counted before the write: a file cut short by a failing write is deleted too.
            written[0] = row["index"]
            stored = storage.save(name, ContentFile(data))
            if stored != name:  # the storage chose another name: never expected
                _delete(storage, [stored])
                raise RuntimeError("photo storage renamed a new file")


def _delete_written(intake, prefix, up_to):
    """Delete the files `_write_files` stored, up to the member index `up_to`."""
    if up_to is None:
        return
    storage = photo_storage()
    try:
        for row in _taken(intake):
            if row["index"] > up_to:
                break
            _delete(storage, [_file_name(prefix, row["index"])])
    except Exception:  # noqa: BLE001 — the error being handled matters more
        logger.warning("photo intake %s: written files could not be listed for deletion", intake.pk)


def _delete(storage, names):
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # noqa: BLE001 — a file left behind is logged, not fatal
            logger.warning("photo file could not be deleted")


class _Names:
    """Names of files to delete once the transaction commits, kept in a temporary file: a
    corrected archive may replace thousands of photos, and memory stays flat."""

    def __init__(self):
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8")

    def add(self, name):
        if name:
            self._file.write(name + "\n")

    def close(self):
        self._file.close()

    def delete_all(self, storage):
        with self._file:
            self._file.seek(0)
            for line in self._file:
                _delete(storage, [line.rstrip("\n")])


def _check_not_stale(photo, row):
    """Refuse (code ``stale``) a row whose student got another photo after the preview: a
    new photo where there was none, or another one than the preview meant to replace.
    Confirming an older preview must never overwrite a newer delivery."""
    if photo is None:
        return
    expected = row.get("replaces")
    if row["action"] == "new" or (expected is not None and photo.sha256 != expected):
        raise DomainError(
            _(
                "预览之后，有学生的照片已被另一次导入更新；为免覆盖较新的照片，"
                "本次未导入任何照片。请重新上传压缩包，以便按现有照片重新预览。"
            ),
            "stale",
        )


PHOTO_FIELDS = [
    "token",
    "file",
    "sha256",
    "size",
    "width",
    "height",
    "mode",
    "dpi",
    "faults",
    "warnings",
    "source_name",
    "intake",
    "received_at",
]


def _lock(intake):
    """Lock the captures the commit stores a photo for, in primary-key order (as every
    service that changes several captures does, so that none waits on another crosswise),
    CHUNK at a time, before any is changed. Returns the campaign's capture ids, sorted, and
    a flag per id: 1 when it is locked and still on the roster (a student who left it
    since the preview is dropped)."""
    ids = array(
        "q",
        Capture.objects.filter(campaign_id=intake.campaign_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=5000),
    )
    wanted = bytearray(len(ids))
    for row in _taken(intake):
        at = _find(ids, row["capture_id"])
        if at is not None:
            wanted[at] = 1
    alive = bytearray(len(ids))
    positions = (at for at, flag in enumerate(wanted) if flag)
    while window := list(itertools.islice(positions, CHUNK)):
        for pk in (
            Capture.objects.select_for_update(of=("self",))
            .filter(pk__in=[ids[at] for at in window], student__withdrawn=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        ):
            alive[_find(ids, pk)] = 1
    return ids, alive


def _find(ids, pk):
    at = bisect_left(ids, pk)
    return at if at < len(ids) and ids[at] == pk else None


def _apply(intake, prefix, unneeded, now):
    """Create or replace the photos of the rows taken, CHUNK rows at a time in the
    archive's order, their captures locked first (_lock). Returns (created, replaced,
    unchanged, dropped); the names of files no longer needed once this commits go to
    `unneeded`."""
    created = replaced = unchanged = dropped = 0
    ids, alive = _lock(intake)
    rows = _taken(intake)
    while chunk := list(itertools.islice(rows, CHUNK)):
        existing = {
            p.capture_id: p
            for p in Photo.objects.select_for_update()
            .filter(capture_id__in=[row["capture_id"] for row in chunk])
            .order_by("pk")
        }
        new, changed = [], []
        for row in chunk:
            pk, name = row["capture_id"], _file_name(prefix, row["index"])
            photo = existing.get(pk)
            at = _find(ids, pk)
            if at is None or not alive[at]:
                dropped += 1
                unneeded.add(name)
                continue
            if photo is not None and photo.sha256 == row["sha256"]:
                unchanged += 1
                unneeded.add(name)
                continue
            _check_not_stale(photo, row)
            if photo is None:
                photo = Photo(capture_id=pk)
                new.append(photo)
            else:
                unneeded.add(photo.file.name)  # the old file, once this commits
                changed.append(photo)
            photo.token = secrets.token_urlsafe(24)
            photo.file = name
            photo.sha256 = row["sha256"]
            photo.size = row["size"]
            photo.width, photo.height = row["width"], row["height"]
            photo.mode = row.get("mode", "")
            photo.dpi = row.get("dpi")
            photo.faults = row.get("faults", [])
            photo.warnings = row.get("warnings", [])
            photo.source_name = row["member"]
            photo.intake = intake
            photo.received_at = now
        Photo.objects.bulk_create(new)
        Photo.objects.bulk_update(changed, PHOTO_FIELDS)
        created, replaced = created + len(new), replaced + len(changed)
        # Saving made each photo's FieldFile, which refers back to its photo: a cycle that
        # only a full garbage collection frees. Dropped here, each chunk's photos go with it.
        for photo in (*new, *changed):
            photo.__dict__.pop("file", None)
    return created, replaced, unchanged, dropped


def _check_committable(intake):
    """Refuse a discarded preview, and one with nothing to store (its page offers no confirm
    button: confirming it anyway would record as imported photos that may no longer be the
    students')."""
    if intake.status == PhotoIntake.Status.DISCARDED:
        raise DomainError(_("这个压缩包已经放弃，不能再导入；如需导入，请重新上传。"), "discarded")
    if not intake.summary.get("take"):
        raise DomainError(
            _("这个压缩包中没有需要导入的照片，未做任何修改；可以放弃这个压缩包。"),
            "nothing_to_import",
        )


def photo_intake_commit(*, actor, intake_id):
    """Store the photos of a previewed intake: each row the preview marked ``new`` or
    ``replace`` becomes the student's `Photo` — a new random token, the file under a random
    name in the photo storage — with the checks' faults and warnings recorded.

    The files are written first, outside any lock, each verified against the SHA-256 of the
    preview; then one transaction locks the intake and the captures, checks again (a
    student who left the roster is dropped; a photo that became identical meanwhile is left
    alone), creates and replaces the photos, and marks the intake committed. If it fails the
    new files are deleted; once it commits the replaced files and the archive are. A second
    commit changes nothing (``changed=False``).

    Office only. Raises DomainError ``forbidden``, ``not_found``, ``campaign_closed``,
    ``discarded``, ``nothing_to_import``, ``archive_changed``, ``stale``, ``conflict``."""
    _office_only(actor)
    intake = PhotoIntake.objects.filter(pk=intake_id).first()
    if intake is None:
        raise DomainError(_("找不到这次照片接收记录。"), "not_found")
    if intake.status == PhotoIntake.Status.COMMITTED:
        return PhotoIntakeResult(intake=intake, changed=False)
    _check_committable(intake)
    _campaign(intake.campaign_id)
    # Memory stays flat in the number of photos: rows are read CHUNK at a time, and the
    # written files are named from a random prefix and the member's index, not listed.
    prefix = secrets.token_hex(16)
    written = [None]  # the index of the last file written
    storage = photo_storage()
    unneeded = _Names()
    try:
        _write_files(intake, prefix, written)
        with transaction.atomic():
            locked = PhotoIntake.objects.select_for_update().filter(pk=intake.pk).first()
            if locked is None or locked.status == PhotoIntake.Status.COMMITTED:
                # Committed meanwhile by someone else: the files written here are not needed.
                up_to = written[0]
                transaction.on_commit(lambda: _delete_written(intake, prefix, up_to))
                result = PhotoIntakeResult(intake=locked or intake, changed=False)
            else:
                intake = locked
                _check_committable(intake)  # discarded meanwhile
                _campaign(intake.campaign_id)
                now = timezone.now()
                created, replaced, unchanged, dropped = _apply(intake, prefix, unneeded, now)
                unneeded.add(intake.archive.name)
                intake.status = PhotoIntake.Status.COMMITTED
                intake.committed_by = actor.user
                intake.committed_at = now
                intake.summary = {
                    **intake.summary,
                    "created": created,
                    "replaced": replaced,
                    "unchanged_at_commit": unchanged,
                    "dropped": dropped,
                }
                intake.archive = ""
                intake.save(
                    update_fields=["status", "committed_by", "committed_at", "summary", "archive"]
                )
                result = PhotoIntakeResult(
                    intake=intake,
                    changed=True,
                    created=created,
                    replaced=replaced,
                    unchanged=unchanged,
                    dropped=dropped,
                )
            # Replaced files and the archive go only once the new rows are safely in.
            transaction.on_commit(lambda: unneeded.delete_all(storage))
    except IntegrityError:
        unneeded.close()
        _delete_written(intake, prefix, written[0])
        raise DomainError(
            _("导入时照片被同时修改，未导入任何照片；请刷新后重试。"), "conflict"
        ) from None
    except BaseException:
        unneeded.close()
        _delete_written(intake, prefix, written[0])
        raise
    if result.changed:
        logger.info(
            "photo intake %s committed by user %s: +%d ~%d =%d -%d",
            intake.pk,
            actor.user.pk if actor.user is not None else None,
            result.created,
            result.replaced,
            result.unchanged,
            result.dropped,
        )
    return result


def photo_intake_discard(*, actor, intake_id):
    """Give up a previewed intake: its archive (the photos, personal data) is deleted from
    the storage once this commits, its rows too; the record stays, marked discarded, so the
    list of archives still tells who uploaded what. Returns True when it changed anything
    (False: discarded already).

    Office only. Raises DomainError ``forbidden``, ``not_found``, ``committed`` (an imported
    intake is not undone here: its photos are the students' now)."""
    _office_only(actor)
    with transaction.atomic():
        intake = PhotoIntake.objects.select_for_update().filter(pk=intake_id).first()
        if intake is None:
            raise DomainError(_("找不到这次照片接收记录。"), "not_found")
        if intake.status == PhotoIntake.Status.DISCARDED:
            return False
        if intake.status == PhotoIntake.Status.COMMITTED:
            raise DomainError(_("这个压缩包已经导入，不能再放弃。"), "committed")
        PhotoIntakeBatch.objects.filter(intake=intake).delete()
        archive = intake.archive.name
        intake.status = PhotoIntake.Status.DISCARDED
        intake.archive = ""
        intake.save(update_fields=["status", "archive"])
        if archive:
            storage = photo_storage()
            transaction.on_commit(lambda: _delete(storage, [archive]))
    user = actor.user.pk if actor.user is not None else None
    logger.info("photo intake %s discarded by user %s", intake.pk, user)
    return True
