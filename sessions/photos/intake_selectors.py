"""Reads for the photo intake pages (sessions.photos.intake_views): a fixed number of queries
whatever the size of the archive."""

from dataclasses import dataclass, field

from sessions.models import Capture, CaptureSession, PhotoIntake
from sessions.photos.intake import ACTIONS, HINTS, PROBLEMS, RULES
from sessions.photos.standard import LABELS, UNUSABLE

# Rows shown per table; the summary counts them all.
ROW_LIMIT = 300


def recent_intakes(campaign, limit=10):
    """The campaign's latest intakes, with who uploaded and confirmed them. One query."""
    return list(
        PhotoIntake.objects.filter(campaign=campaign)
        .select_related("session", "uploaded_by", "committed_by")
        .defer("rows")[:limit]
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
    ids = row.get("candidates") or ([row["capture_id"]] if "capture_id" in row else [])
    students = []
    for pk in ids:
        capture = captures.get(pk)
        if capture is not None:
            s = capture.student
            students.append((s.student_no, s.name, s.unit.name))
    return FileRow(
        member=row["member"],
        students=students,
        rule=RULES.get(row.get("matched_by"), ""),
        problem=PROBLEMS.get(row.get("problem"), ""),
        hint=HINTS.get(row.get("hint"), ""),
        faults=[LABELS.get(c, c) for c in row.get("faults", ())],
        warnings=[LABELS.get(c, c) for c in row.get("warnings", ())],
        action=ACTIONS.get(row.get("action"), ""),
        unusable=bool(UNUSABLE.intersection(row.get("faults", ()))),
        size=row.get("size", 0),
        width=row.get("width"),
        height=row.get("height"),
        mode=row.get("mode", ""),
        dpi=row.get("dpi"),
    )


def intake_page(intake, limit=ROW_LIMIT):
    """What the preview page shows of an intake: the files with a problem, the matched files
    with faults or warnings (each up to `limit`), and the missing students (the summary's
    sample), with the students named. One query for all the students."""
    problems = [r for r in intake.rows if "problem" in r]
    checked = [
        r for r in intake.rows if "problem" not in r and (r.get("faults") or r.get("warnings"))
    ]
    summary = intake.summary or {}
    ids = set(summary.get("missing_sample", ()))
    for row in problems[:limit] + checked[:limit]:
        ids.update(row.get("candidates", ()))
        if "capture_id" in row:
            ids.add(row["capture_id"])
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
            )
        }
        if ids
        else {}
    )
    missing = [captures[pk] for pk in summary.get("missing_sample", ()) if pk in captures]
    return IntakePage(
        intake=intake,
        summary=summary,
        problems=[_file_row(r, captures) for r in problems[:limit]],
        checked=[_file_row(r, captures) for r in checked[:limit]],
        missing=missing,
        problem_count=len(problems),
        checked_count=len(checked),
        fault_counts=[(LABELS.get(c, c), n) for c, n in summary.get("faults", {}).items()],
        warning_counts=[(LABELS.get(c, c), n) for c, n in summary.get("warnings", {}).items()],
        rule_counts=[(RULES.get(c, c), n) for c, n in summary.get("by_rule", {}).items()],
    )
