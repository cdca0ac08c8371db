"""CHSI confirmation import of 20,000 rows against raw openpyxl read-only iteration + a
plain ORM bulk update of the same captures' state.

    python -m bench.confirmation [--rows 20000]

Baseline: openpyxl reads the file (read-only, values only), one query maps the student
numbers to their captures, and `bulk_update` writes `chsi_state` by primary key in chunks of
5,000. Ours: `confirmation_import_preview` (the archive check, every row checked against the
roster, the checked rows stored) then `confirmation_import_commit` (the captures locked and
compared again, bulk updates, one log row per changed capture), as two requests. Same file,
same run, the best of two runs each; target ≤ 2×.
"""

import argparse
import io

from bench.common import print_table, row, setup_django, timed

HEADER = ["学号", "姓名", "校对状态", "原因"]
CHUNK = 5_000


def _state(i):
    # Most students confirm; some dispute their photo (each with their own reason), a few
    # have none — roughly what a unit reports.
    if i % 15 == 0:
        return "有异议", f"照片模糊，第{i}号"
    if i % 33 == 0:
        return "无图像", None
    return "已确认", None


def make_roster(n):
    from sessions.models import Campaign, Capture
    from units.models import Student, TrainingUnit

    campaign = Campaign.objects.get()
    units = list(TrainingUnit.objects.order_by("pk"))
    students = Student.objects.bulk_create(
        (
            Student(
                student_no=f"2022{i:08d}",
                name=f"学生{i}",
                unit=units[i % len(units)],
                cohort=2025,
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    Capture.objects.bulk_create(
        (Capture(student=s, campaign=campaign, status="photographed") for s in students),
        batch_size=2000,
    )
    return campaign


def make_file(n):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("校对结果")
    ws.append(["学信档案图像校对结果"])
    ws.append(HEADER)
    for i in range(n):
        state, reason = _state(i)
        ws.append([f"2022{i:08d}", f"学生{i}", state, reason])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


STATES = {"已确认": "confirmed", "有异议": "disputed", "无图像": "no_image"}


def baseline(data, campaign):
    from openpyxl import load_workbook

    from sessions.models import Capture

    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = iter(wb.worksheets[0].iter_rows(values_only=True))
    next(rows), next(rows)  # title, header
    ids = dict(Capture.objects.filter(campaign=campaign).values_list("student__student_no", "pk"))
    captures = [Capture(pk=ids[r[0]], chsi_state=STATES[r[2]]) for r in rows]
    Capture.objects.bulk_update(captures, ["chsi_state"], batch_size=CHUNK)
    return len(captures)


def read_only(data):
    """For reference: the baseline's openpyxl read alone (its share of the baseline)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    return sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))


def ours(data, campaign):
    from capture_portal.actors import Actor
    from sessions import services

    actor = Actor.system("bench")
    preview = services.confirmation_import_preview(
        actor=actor, campaign_id=campaign.pk, file_name="bench.xlsx", data=data
    )
    assert not preview.parsed.errors, preview.parsed.errors[:3]
    # Preview and confirmation are two requests: nothing of the first survives into the second.
    upload_id = preview.upload.pk
    del preview
    return services.confirmation_import_commit(actor=actor, import_id=upload_id).updated


def reset():
    from sessions.models import Capture, CaptureLog, ConfirmationImport

    Capture.objects.update(chsi_state="", chsi_reason="", chsi_at=None)
    CaptureLog.objects.all().delete()
    ConfirmationImport.objects.all().delete()


def run(n=20_000, repeat=2):
    setup_django("confirmation")
    from sessions.models import Capture, CaptureLog

    campaign = make_roster(n)
    data = make_file(n)
    t_base = t_ours = t_read = float("inf")
    for _ in range(repeat):
        t_read = min(t_read, timed(read_only, data)[0])
        seconds, count = timed(baseline, data, campaign)
        assert count == n and Capture.objects.exclude(chsi_state="").count() == n
        t_base = min(t_base, seconds)
        reset()
        seconds, count = timed(ours, data, campaign)
        assert count == n, "the import did not change every row"
        assert Capture.objects.filter(chsi_state="disputed").exclude(chsi_reason="").exists()
        assert CaptureLog.objects.filter(action="chsi").count() == n
        t_ours = min(t_ours, seconds)
        reset()
    return [
        row(
            f"confirmation import {n:,} rows: time (s)",
            t_ours,
            t_base,
            "s",
            "≤ 2.0×",
            ("max", 2.0),
        ),
        row("reference: openpyxl read alone, in the baseline (s)", t_read, t_base, "s", "share"),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    print_table(run(args.rows), "Confirmation import vs raw openpyxl read-only + bulk_update by pk")
