"""Query counts of every staff page (and the board and a scan) with 100 and with 10,000
students: they must be equal.

    python -m bench.queries
"""

import json

from bench.common import print_table, row, setup_django

PAGES = [
    ("staff:index", {}),
    ("staff:roster_import", {}),
    ("staff:schedule", {"session_id": 1}),
    ("staff:schedule_print", {"session_id": 1}),
    ("staff:coordinators", {}),
    ("staff:live", {"session_id": 1}),
    ("staff:close_session", {"session_id": 1}),
    ("staff:shooting_numbers", {"session_id": 1}),
    ("staff:absentees", {}),
    ("staff:roster_xlsx", {}),
    ("staff:absentees_xlsx", {}),
    ("staff:coordinators_xlsx", {}),
    ("staff:schedule_xlsx", {"session_id": 1}),
    ("payments:reconciliation", {}),
    ("payments:reconciliation_xlsx", {}),
    ("unit:detail", {"unit_id": 1}),
    ("payments:unit_fees", {"unit_id": 1}),
    ("board_json", {}),
]


def count_queries(client, name, kwargs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name, kwargs=kwargs))
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, (name, response.status_code)
    return len(ctx.captured_queries)


def scan_queries(client, number):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.post(
            "/station/api/scan/",
            json.dumps({"code": number, "key": f"q-{number}"}),
            content_type="application/json",
        )
    return len(ctx.captured_queries)


def measure(sizes=(100, 10_000)):
    setup_django("queries")
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from sessions.models import Capture

    counts = {}
    for size in sizes:
        call_command("flush", "--noinput", verbosity=0)
        call_command("seed_demo", students=size, verbosity=0, stdout=open("/dev/null", "w"))
        users = get_user_model().objects
        office = Client(HTTP_HOST="127.0.0.1")
        office.force_login(users.get(username="office"))
        from bench.scan import device_token
        from sessions.models import Station

        token = device_token(Station.objects.get(name="北门-1"))
        station = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Device {token}")
        counts[size] = {name: count_queries(office, name, kw) for name, kw in PAGES}
        number = (
            Capture.objects.filter(status="expected")
            .values_list("student__student_no", flat=True)
            .first()
        )
        counts[size]["station:scan"] = scan_queries(station, number)
    return counts


def run():
    small, large = measure().values()
    return [
        row(
            f"queries {name}: 10,000 vs 100 students",
            large[name],
            small[name],
            "queries",
            "equal",
            ("max", 1.0),
        )
        for name in small
    ]


if __name__ == "__main__":
    print_table(run(), "Query counts with 10,000 vs 100 students")
