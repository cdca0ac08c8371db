"""Roster export of 20,000 students against raw openpyxl write-only of the same rows.

    python -m bench.export

Baseline: the same rows (the export's query, its 14 columns) fetched with one
values_list() and appended raw to a write-only workbook. (It wrote 10 columns until
session 7: the export had grown four since, the session and three after-the-day columns,
and the ratio had drifted from 1.08 to 1.8 with it.) Ours: the office's export as served
(`sessions.exports.roster_workbook`), with formula-safe cells, labels, headers, widths,
wrapping and print setup. Target ≤ 1.5×.
"""

import io

from bench.common import print_table, row, setup_django, timed


def baseline(campaign):
    from openpyxl import Workbook

    from sessions.exports import ROSTER_FIELDS
    from sessions.models import Capture

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("roster")
    # The export's query and its 14 columns (the session's five fields in one cell, the
    # CHSI state as stored), written raw: no labels, formula guard, widths or print setup.
    for values in (
        Capture.objects.filter(campaign=campaign)
        .order_by("student__unit__display_order", "student__student_no")
        .values_list(*ROSTER_FIELDS)
        .iterator(chunk_size=2000)
    ):
        raw = [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
        session = " ".join(str(v) for v in raw[10:16] if v)
        ws.append([*raw[:10], session, raw[16], raw[17], raw[19]])
    buf = io.BytesIO()
    wb.save(buf)
    return len(buf.getvalue())


def ours(campaign):
    from sessions.exports import roster_workbook

    return len(roster_workbook(campaign))


def run(students=20_000):
    setup_django("export")
    from django.core.management import call_command

    from sessions.models import Campaign

    call_command("seed_demo", students=students, verbosity=0, stdout=open("/dev/null", "w"))
    campaign = Campaign.objects.get()
    baseline(campaign)  # warm the caches of both paths alike
    t_base, _ = timed(baseline, campaign)
    t_ours, size = timed(ours, campaign)
    return [row(f"export {students:,} rows (s)", t_ours, t_base, "s", "≤ 1.5×", ("max", 1.5))]


if __name__ == "__main__":
    print_table(run(), "Roster export vs raw openpyxl write-only")
