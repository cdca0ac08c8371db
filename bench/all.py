"""Every benchmark in one run, one table: each figure beside its baseline measured in the
same run, the ratio, the target and whether it is met.

    make bench      (python -m bench.all)

Uses a throw-away SQLite database unless DATABASE_URL names one (PostgreSQL: the scan
benchmark then runs on it). Not part of `make test`.
"""

import os
import time

from bench import bad_files, confirmation, export, import_roster, lookup, photos, queries, scan
from bench.common import print_table
from bench.server import need_wrk


def main():
    need_wrk()
    started = time.monotonic()
    rows = []
    rows += import_roster.run()
    rows += confirmation.run()
    rows += bad_files.run()
    rows += photos.run()
    rows += export.run()
    rows += lookup.table(lookup.run())
    scan_rows, check = scan.main()
    rows += scan_rows
    rows += queries.run()
    db = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print_table(
        rows, f"make bench — {db}, {os.cpu_count()} cores, {time.monotonic() - started:.0f} s"
    )
    print(
        f"scans: {check['requests']} sent, {check['logs']} log rows, "
        f"{check['photographed']} photographed — "
        f"{'each recorded exactly once' if check['exactly_once'] else 'MISMATCH'}"
    )
    missed = [r["label"] for r in rows if r["met"] is False]
    print("targets not met: " + (", ".join(missed) if missed else "none"))


if __name__ == "__main__":
    main()
