"""Roster import of 20,000 rows against raw openpyxl read-only iteration + bulk_create.

    python -m bench.import_roster [--rows 20000]

Both sides read the same .xlsx and insert the same students into an empty table, in the
same run; the ratio is ours / baseline (target ≤ 2×, memory flat).
"""

import argparse
import io
import random

from bench.common import peak_memory, print_table, row, setup_django, timed

HEADER = ["学号", "姓名", "培养单位", "层次", "专业", "证件号码", "手机", "备注"]


def _id_number(first17):
    """A valid 18-digit ID number (the import checks the GB 11643 check digit)."""
    from units.validators import id_check_digit

    return first17 + id_check_digit(first17)


def make_file(n, unit_names):
    from openpyxl import Workbook

    rng = random.Random(7)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    ws.append(["2025届研究生名单"])
    ws.append(HEADER)
    for i in range(n):
        ws.append(
            [
                f"2022{i:08d}",
                "张" + "三四五六七八九"[i % 7] + "华强明"[i % 3],
                unit_names[i % len(unit_names)],
                "专业学位硕士",
                "专业",
                _id_number(f"13010219990101{rng.randint(0, 999):03d}"),
                f"138{rng.randint(0, 10**8 - 1):08d}",
                "",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def baseline(data, units):
    from openpyxl import load_workbook

    from units.models import Student

    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = iter(wb.worksheets[0].iter_rows(values_only=True))
    next(rows), next(rows)  # title, header
    students = [
        Student(
            student_no=r[0],
            name=r[1],
            unit_id=units[r[2]],
            cohort=2025,
            level="professional_master",
            major=r[4],
            id_tail=r[5][-4:],
            phone=r[6],
        )
        for r in rows
    ]
    Student.objects.bulk_create(students, batch_size=2000)
    return len(students)


def ours(data):
    from capture_portal.actors import Actor
    from sessions import services

    actor = Actor.system("bench")
    preview = services.roster_import_preview(
        actor=actor, campaign_id=1, file_name="bench.xlsx", data=data
    )
    assert not preview.parsed.errors, preview.parsed.errors[:3]
    # Preview and confirmation are two requests: nothing of the first survives into the second.
    upload_id = preview.upload.pk
    del preview
    result = services.roster_import_commit(actor=actor, import_id=upload_id)
    return result.created


def full_load(data):
    """For reference: openpyxl without read-only mode builds the whole sheet in memory."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))


def reset():
    from sessions.models import Capture, RosterImport
    from units.models import Student

    Capture.objects.all().delete()
    RosterImport.objects.all().delete()
    Student.objects.all().delete()


def run(n=20_000):
    setup_django("import")
    from units.models import Student, TrainingUnit

    units = dict(TrainingUnit.objects.values_list("name", "pk"))
    data = make_file(n, list(units))
    results = []
    t_base, count = timed(baseline, data, units)
    assert count == n and Student.objects.count() == n
    reset()
    t_ours, count = timed(ours, data)
    assert count == n and Student.objects.count() == n, "import did not create every row"
    reset()
    m_base = peak_memory(baseline, data, units)
    reset()
    m_ours = peak_memory(ours, data)
    reset()
    m_full = peak_memory(full_load, data)
    results.append(row(f"import {n:,} rows: time (s)", t_ours, t_base, "s", "≤ 2.0×", ("max", 2.0)))
    results.append(
        row(
            f"import {n:,} rows: peak Python heap (MiB)",
            m_ours,
            m_base,
            "MiB",
            "≤ 1.2×",
            ("max", 1.2),
        )
    )
    results.append(
        row("reference: openpyxl full load, no insert (MiB)", m_full, m_base, "MiB", "avoided")
    )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    print_table(run(args.rows), "Roster import vs raw openpyxl read-only + bulk_create")
