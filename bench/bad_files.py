"""Refusing hostile spreadsheets: time and memory of the import path on a zip bomb, a
huge declared range, billion laughs and deep nesting, beside a normal 20,000-row import.

    python -m bench.bad_files

Targets: each refusal in < 0.5 s (the baseline column is 1,000 ms), and its peak Python heap
< 1.2× the normal import's (same run). Process RSS growth (ru_maxrss, a high-water mark)
is measured for the refusals before the normal import runs, so it is theirs alone.
"""

import resource
from pathlib import Path

from bench.common import peak_memory, print_table, row, setup_django, timed

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "bad_xlsx"
HOSTILE = ("zip-bomb.xlsx", "huge-dimension.xlsx", "billion-laughs.xlsx", "deep-nesting.xlsx")


def refuse(data):
    from capture_portal.actors import Actor
    from capture_portal.exceptions import DomainError
    from sessions import services

    try:
        services.roster_import_preview(
            actor=Actor.system("bench"), campaign_id=1, file_name="bad.xlsx", data=data
        )
    except DomainError as exc:
        return exc.code
    raise AssertionError("the hostile file was accepted")


def _rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(n=20_000):
    setup_django("bad_files")
    from bench import import_roster
    from units.models import TrainingUnit

    units = dict(TrainingUnit.objects.values_list("name", "pk"))
    good = import_roster.make_file(n, list(units))
    results, measured = [], []
    rss_before = _rss_mib()
    for name in HOSTILE:
        data = (CORPUS / name).read_bytes()
        refuse(data)  # warm-up: imports, translations
        seconds = min(timed(refuse, data)[0] for _ in range(3))
        measured.append((name, len(data), seconds, peak_memory(refuse, data)))
    rss_growth = _rss_mib() - rss_before
    import_roster.reset()
    m_import = peak_memory(import_roster.ours, good)
    import_roster.reset()
    for name, size, seconds, memory in measured:
        label = f"refuse {name.removesuffix('.xlsx')} ({size / 1024:.0f} KB)"
        ms = seconds * 1000
        results.append(row(f"{label}: time (ms)", ms, 1000, "ms", "< 500 ms", ("max", 0.5)))
        results.append(
            row(
                f"{label}: peak MiB vs import",
                memory,
                m_import,
                "MiB",
                "≤ 1.2×",
                ("max", 1.2),
            )
        )
    results.append(
        row(
            "refusals: process RSS growth (MiB) vs import heap", rss_growth, m_import, "MiB", "flat"
        )
    )
    return results


if __name__ == "__main__":
    print_table(run(), "Hostile spreadsheets: refusal time and memory")
