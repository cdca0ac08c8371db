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
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capture_portal.settings")
    os.environ["DJANGO_READ_DOT_ENV_FILE"] = "False"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("DEBUG", "False")
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


def row(label, value, baseline, unit, target):
    ratio = value / baseline if baseline else float("inf")
    return {
        "label": label,
        "value": value,
        "baseline": baseline,
        "unit": unit,
        "ratio": ratio,
        "target": target,
    }


def print_table(rows, title):
    print(f"\n{title}")
    print(f"{'measure':44} {'value':>12} {'baseline':>12} {'ratio':>7}  target")
    for r in rows:
        print(
            f"{r['label']:44} {r['value']:>12.3f} {r['baseline']:>12.3f} {r['ratio']:>7.2f}  "
            f"{r['target']} ({r['unit']})"
        )
