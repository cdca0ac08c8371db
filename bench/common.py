"""Shared set-up for the benchmarks: Django on a throw-away database, timing helpers."""

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(db_name="bench"):
    """Configure Django on DATABASE_URL if given (PostgreSQL), else a fresh SQLite file."""
    sys.path.insert(0, str(ROOT))
    # Production settings plus the baseline views (bench/settings.py).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.mkdtemp(prefix="capture-bench-")) / f"{db_name}.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    call_command("loaddata", str(ROOT / "fixtures/notice.json"), verbosity=0)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def peak_memory(fn, *args, **kwargs):
    """Peak Python heap allocated while fn runs, in MiB (tracemalloc)."""
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def row(label, value, baseline, unit, target, goal=None):
    """One line of a benchmark table. `goal`: ("min", x) wants ratio ≥ x, ("max", x) ≤ x."""
    ratio = value / baseline if baseline else float("inf")
    met = None
    if goal is not None:
        kind, limit = goal
        met = ratio >= limit if kind == "min" else ratio <= limit
    return {
        "label": label,
        "value": value,
        "baseline": baseline,
        "unit": unit,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def print_table(rows, title):
    print(f"\n{title}")
    print(f"{'measure':54} {'value':>10} {'baseline':>10} {'ratio':>6}  {'target':10} met")
    for r in rows:
        met = {True: "yes", False: "NO", None: ""}[r["met"]]
        print(
            f"{r['label']:54} {r['value']:>10.2f} {r['baseline']:>10.2f} {r['ratio']:>6.2f}  "
            f"{r['target']:10} {met}"
        )
