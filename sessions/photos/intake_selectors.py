"""Reads for the photo intake pages (sessions.photos.intake_views): a fixed number of queries
whatever the size of the archive."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from sessions.models import Capture, CaptureSession, PhotoIntake, PhotoIntakeRow
from sessions.photos.intake import ACTIONS, HINTS, PROBLEMS, RULES
from sessions.photos.standard import LABELS

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


@dataclass
class IntakePage:
    intake: PhotoIntake
    summary: dict
    problems: list  # FileRow: unmatched, ambiguous, one student twice, one image twice
    checked: list  # FileRow: matched files with faults or warnings
    missing: list  # Capture (with student and unit)
    problem_count: int
    checked_count: int
    fault_counts: list  # [(label, n)]
    warning_counts: list
    rule_counts: list


def _file_row(row, captures):
    d = row.details
    ids = d.get("candidates") or ([row.capture_id] if row.capture_id is not None else [])
    students = []
    for pk in ids:
        capture = captures.get(pk)
        if capture is not None:
            s = capture.student
            students.append((s.student_no, s.name, s.unit.name))
    return FileRow(
        member=row.member,
        students=students,
        rule=RULES.get(d.get("matched_by"), ""),
        problem=PROBLEMS.get(row.problem, ""),
        hint=HINTS.get(d.get("hint"), ""),
        faults=[LABELS.get(c, c) for c in d.get("faults", ())],
        warnings=[LABELS.get(c, c) for c in d.get("warnings", ())],
        action=ACTIONS.get(row.action, ""),
        unusable=bool(d.get("unusable")),
        size=d.get("size", 0),
        width=d.get("width"),
        height=d.get("height"),
        mode=d.get("mode", ""),
        dpi=d.get("dpi"),
    )


def intake_page(intake, limit=ROW_LIMIT):
    """What the preview page shows of an intake: the files with a problem, the matched files
    with faults or warnings (each up to `limit`, in the archive's order), and the missing
    students (the summary's sample), with the students named. Four queries whatever the
    size of the archive: the counts, each list of files, and all the students."""
    rows = PhotoIntakeRow.objects.filter(intake=intake).order_by("index")
    counts = rows.aggregate(
        problems=Count("pk", filter=~Q(problem="")),
        checked=Count("pk", filter=Q(problem="", flagged=True)),
    )
    problems = list(rows.exclude(problem="")[:limit])
    checked = list(rows.filter(problem="", flagged=True)[:limit])
    summary = intake.summary or {}
    ids = set(summary.get("missing_sample", ()))
    for row in problems + checked:
        ids.update(row.details.get("candidates", ()))
        if row.capture_id is not None:
            ids.add(row.capture_id)
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
    return IntakePage(
        intake=intake,
        summary=summary,
        problems=[_file_row(r, captures) for r in problems],
        checked=[_file_row(r, captures) for r in checked],
        missing=missing,
        problem_count=counts["problems"],
        checked_count=counts["checked"],
        fault_counts=[(LABELS.get(c, c), n) for c, n in summary.get("faults", {}).items()],
        warning_counts=[(LABELS.get(c, c), n) for c, n in summary.get("warnings", {}).items()],
        rule_counts=[(RULES.get(c, c), n) for c, n in summary.get("by_rule", {}).items()],
    )
