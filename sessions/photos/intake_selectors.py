"""Reads for the photo intake pages (sessions.photos.intake_views): a fixed number of queries
whatever the size of the archive."""

import unicodedata
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from capture_portal.localised import pick
from capture_portal.xlsx import Sheet, write_workbook
from sessions.models import Capture, CaptureSession, Photo, PhotoIntake, PhotoIntakeBatch
from sessions.photos.intake import ACTIONS, HINTS, PROBLEMS, RULES
from sessions.photos.standard import kb, labels

# Rows shown per table; the summary counts them all.
ROW_LIMIT = 300


def recent_intakes(campaign, limit=10):
    """The campaign's latest intakes, with who uploaded and confirmed them. One query."""
    return list(
        PhotoIntake.objects.filter(campaign=campaign).select_related(
            "session", "uploaded_by", "committed_by"
        )[:limit]
    )


def intake_sessions(campaign):
    """The sessions an archive may be tied to (for their shooting numbers). One query."""
    return list(CaptureSession.objects.filter(campaign=campaign).order_by("date", "start", "pk"))


# A file name longer than this gets a break opportunity every _BREAK_EVERY characters (see
# `breakable`); a shorter one (a student number with its extension) fits any column whole.
_BREAK_LONGER_THAN = 20
_BREAK_EVERY = 4


def breakable(name):
    """The file name, escaped, with a line-break opportunity (<wbr>) every few characters
    when it is long.

    Delivered names are often long runs of letters and digits with no space; the site's
    tables break only where words break, so such a name widened the first column until the
    students' column left the screen. Breaking anywhere needs `overflow-wrap: anywhere`,
    but the Content-Security-Policy allows no inline style: <wbr> does it in the markup,
    and is not copied with the text. Never inside a character with its combining marks."""
    if len(name) <= _BREAK_LONGER_THAN:
        return escape(name)
    parts, run = [], ""
    for ch in name:
        if len(run) >= _BREAK_EVERY and not unicodedata.combining(ch):
            parts.append(run)
            run = ""
        run += ch
    parts.append(run)
    return mark_safe("<wbr>".join(escape(part) for part in parts))  # each part escaped


@dataclass
class FileRow:
    member: str
    students: list  # [(student number, name, unit name)]
    rule: str = ""
    problem: str = ""
    hint: str = ""
    faults: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    action: str = ""
    unusable: bool = False
    size: int = 0
    width: int | None = None
    height: int | None = None
    mode: str = ""
    dpi: int | None = None

    @property
    def member_html(self):
        return breakable(self.member)


@dataclass
class IntakePage:
    intake: PhotoIntake
    summary: dict
    problems: list  # FileRow: unmatched, ambiguous, one student twice, one image twice
    checked: list  # FileRow: matched files with faults or warnings
    missing: list  # Capture (with student and unit)
    problem_count: int
    checked_count: int
    # Files with a problem that also have faults or warnings: counted in the summary's
    # faults and warnings, and listed with the problems.
    problem_flagged_count: int
    fault_counts: list  # [(label, n)]
    warning_counts: list
    rule_counts: list
    # The earlier intake of the same archive (summary["same_archive_as"]), if still there.
    same_archive: PhotoIntake | None = None
    # Files of a preview overtaken by a later import of the same students (not committable).
    stale_count: int = 0
    # After the commit: what it did (created, replaced, unchanged, dropped); None before.
    committed: dict | None = None


def _batches(intake):
    """The rows of an intake, a batch (a list) at a time in the archive's order, from one
    query fetched a batch at a time. Each caller here reads them all."""
    return (
        PhotoIntakeBatch.objects.filter(intake=intake)
        .order_by("number")
        .values_list("rows", flat=True)
        .iterator(chunk_size=1)
    )


def _named(row):
    """The capture ids a file names: its candidates, or the one student it matches."""
    return row.get("candidates") or ([row["capture_id"]] if "capture_id" in row else [])


def _file_row(row, captures):
    students = []
    for pk in _named(row):
        capture = captures.get(pk)
        if capture is not None:
            s = capture.student
            students.append((s.student_no, s.name, pick(s.unit.name, s.unit.name_en)))
    return FileRow(
        member=row["member"],
        students=students,
        rule=RULES.get(row.get("matched_by"), ""),
        problem=PROBLEMS.get(row.get("problem"), ""),
        hint=HINTS.get(row.get("hint"), ""),
        faults=labels(row.get("faults", ())),
        warnings=labels(row.get("warnings", ())),
        action=ACTIONS.get(row.get("action"), ""),
        unusable=bool(row.get("unusable")),
        size=row.get("size", 0),
        width=row.get("width"),
        height=row.get("height"),
        mode=row.get("mode", ""),
        dpi=row.get("dpi"),
    )


def _stale(row, photos):
    """Whether the commit would refuse this row (sessions.photos.intake._check_not_stale):
    its student got another photo since the preview."""
    action = row.get("action")
    if action == "new":
        return row["capture_id"] in photos
    if action == "replace":
        stored = photos.get(row["capture_id"])
        return stored is not None and stored != row.get("replaces")
    return False


def intake_page(intake, limit=None):
    """What the preview page shows of an intake: the files with a problem, the matched files
    with faults or warnings (each up to `limit`, in the archive's order), and the missing
    students (the summary's sample), with the students named; the earlier intake of the same
    archive; after the commit, its numbers. At most five queries whatever the size of the
    archive: the rows (their batches, read one at a time from one query), the stored photos
    of the campaign (while the preview awaits its confirmation), all the students named,
    and the earlier intake."""
    limit = ROW_LIMIT if limit is None else limit
    previewed = intake.status == PhotoIntake.Status.PREVIEWED
    photos = (
        dict(
            Photo.objects.filter(capture__campaign_id=intake.campaign_id).values_list(
                "capture_id", "sha256"
            )
        )
        if previewed
        else {}
    )
    problems, checked = [], []
    problem_count = checked_count = problem_flagged = stale = 0
    for rows in _batches(intake):
        for row in rows:
            flagged = "faults" in row or "warnings" in row
            if row.get("problem"):
                problem_count += 1
                problem_flagged += flagged
                if len(problems) < limit:
                    problems.append(row)
            elif flagged:
                checked_count += 1
                if len(checked) < limit:
                    checked.append(row)
            # Files whose student got another photo since the preview: the commit would
            # refuse them, so the page says so first.
            stale += previewed and _stale(row, photos)
    summary = intake.summary or {}
    ids = set(summary.get("missing_sample", ()))
    for row in problems + checked:
        ids.update(_named(row))
    captures = (
        {
            c.pk: c
            for c in Capture.objects.filter(pk__in=sorted(ids))
            .select_related("student__unit")
            .only(
                "pk",
                "shooting_no",
                "student__student_no",
                "student__name",
                "student__unit__name",
                "student__unit__name_en",
            )
        }
        if ids
        else {}
    )
    missing = [captures[pk] for pk in summary.get("missing_sample", ()) if pk in captures]
    same = summary.get("same_archive_as")
    same_archive = (
        PhotoIntake.objects.filter(pk=same).only("pk", "uploaded_at", "status").first()
        if same
        else None
    )
    faults, warnings = summary.get("faults", {}), summary.get("warnings", {})
    committed = None
    if intake.status == PhotoIntake.Status.COMMITTED:
        committed = {
            "created": summary.get("created", 0),
            "replaced": summary.get("replaced", 0),
            # Identical to the stored photo: known at the preview, or found so at the commit.
            "unchanged": summary.get("unchanged", 0) + summary.get("unchanged_at_commit", 0),
            "dropped": summary.get("dropped", 0),
        }
    return IntakePage(
        intake=intake,
        summary=summary,
        problems=[_file_row(r, captures) for r in problems],
        checked=[_file_row(r, captures) for r in checked],
        missing=missing,
        problem_count=problem_count,
        checked_count=checked_count,
        problem_flagged_count=problem_flagged,
        fault_counts=list(zip(labels(faults), faults.values(), strict=True)),
        warning_counts=list(zip(labels(warnings), warnings.values(), strict=True)),
        rule_counts=[(RULES.get(c, c), n) for c, n in summary.get("by_rule", {}).items()],
        same_archive=same_archive,
        committed=committed,
        stale_count=stale,
    )


def _students_of(ids):
    """{capture id: (student number, name, unit name in the page's language)}. One query."""
    captures = Capture.objects.filter(pk__in=sorted(ids)).values_list(
        "pk",
        "student__student_no",
        "student__name",
        "student__unit__name",
        "student__unit__name_en",
    )
    return {pk: (no, name, pick(unit, unit_en)) for pk, no, name, unit, unit_en in captures}


def _files_rows(intake):
    """Every file of the intake in the archive's order, as the download's rows: read a batch
    at a time, with one query per batch for the students it names (memory stays flat)."""
    comma = pgettext("list separator", "、")
    for rows in _batches(intake):
        ids = {pk for row in rows for pk in _named(row)}
        students = _students_of(ids) if ids else {}
        for row in rows:
            file = _file_row(row, {})
            named = [students[pk] for pk in _named(row) if pk in students]
            yield [
                file.member,
                _text(file.problem),
                _text(comma.join(no for no, _name, _unit in named)),
                _text(comma.join(name for _no, name, _unit in named)),
                _text(comma.join(dict.fromkeys(unit for _no, _name, unit in named))),
                _text(file.rule),
                _text(comma.join(map(str, file.faults))),
                _text(comma.join(map(str, file.warnings))),
                # A file the import leaves alone says so, whatever the reason.
                _text(file.action if file.action and not file.unusable else _("不导入")),
                float(kb(file.size)) if file.size else None,
                f"{file.width}×{file.height}" if file.width else None,
                _text(file.mode),
                file.dpi,
                _text(file.hint),
            ]


def _text(value):
    """A cell's text (labels are lazy), or an empty cell."""
    return str(value) if value else None


def intake_files_workbook(intake):
    """Every file of an intake and what the preview found (bytes of an .xlsx): the page lists
    at most ROW_LIMIT files a table; this is the whole archive, for the office or the photo
    company to work through."""
    return write_workbook(
        [
            Sheet(
                title=str(_("文件检查结果")),
                headers=[
                    _("文件"),
                    _("问题"),
                    _("学号"),
                    _("姓名"),
                    _("培养单位"),
                    _("对应方式"),
                    _("不合格项"),
                    _("提醒项"),
                    _("导入操作"),
                    _("文件大小（KB）"),
                    _("宽×高（像素）"),
                    _("颜色模式"),
                    "dpi",
                    _("说明"),
                ],
                rows=_files_rows(intake),
                widths=[24, 16, 14, 10, 18, 12, 30, 30, 12, 10, 12, 8, 6, 20],
                number_formats={9: "0.0"},
                print_title_cols="A:A",
            )
        ]
    )
