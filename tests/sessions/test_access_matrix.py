"""Every view of the back office and the unit pages, with every role: no leak."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from capture_portal.permissions import OFFICE_GROUP
from sessions.models import Capture, CaptureSession, RosterImport
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from units.models import TrainingUnit

ROLES = ["anonymous", "nobody", "counsellor", "office"]
LOGIN, FORBIDDEN, NOT_FOUND, OK = "login", 403, 404, 200


@pytest.fixture
def world(db):
    from django.contrib.auth.models import Group

    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    unit_a, unit_b = TrainingUnit.objects.order_by("display_order")[:2]
    capture_b = Capture.objects.create(student=StudentFactory(unit=unit_b), campaign_id=1)
    Capture.objects.create(student=StudentFactory(unit=unit_a), campaign_id=1)
    users = {
        "nobody": UserFactory(username="nobody"),
        "counsellor": MembershipFactory(user=UserFactory(username="couns-a"), unit=unit_a).user,
        "office": UserFactory(username="office-m"),
    }
    users["office"].groups.add(Group.objects.get_or_create(name=OFFICE_GROUP)[0])
    upload = RosterImport.objects.create(campaign_id=1, file_name="x.xlsx", sha256="0" * 64)
    return {
        "a": unit_a.pk,
        "b": unit_b.pk,
        "session": CaptureSession.objects.get().pk,
        "import": upload.pk,
        "capture_b": capture_b.pk,
        "users": users,
    }


def office_only(name, **kw):
    return (
        name,
        kw,
        "get",
        {
            "anonymous": LOGIN,
            "nobody": FORBIDDEN,
            "counsellor": FORBIDDEN,
            "office": OK,
        },
    )


def unit_page(name, unit, method="get", **kw):
    own = OK if unit == "a" else NOT_FOUND
    return (
        name,
        {"unit_id": unit, **kw},
        method,
        {
            "anonymous": LOGIN,
            "nobody": FORBIDDEN,
            "counsellor": own if method == "get" else (302 if unit == "a" else NOT_FOUND),
            "office": OK if method == "get" else 302,
        },
    )


CASES = [
    office_only("staff:index"),
    office_only("staff:roster_import"),
    office_only("staff:roster_preview", pk="import"),
    office_only("staff:roster_xlsx"),
    office_only("staff:absentees_xlsx"),
    office_only("staff:schedule", session_id="session"),
    office_only("staff:schedule_print", session_id="session"),
    office_only("staff:schedule_xlsx", session_id="session"),
    office_only("staff:coordinators"),
    office_only("staff:coordinators_xlsx"),
    (
        "unit:list",
        {},
        "get",
        {
            "anonymous": LOGIN,
            "nobody": FORBIDDEN,
            "counsellor": 302,
            "office": OK,
        },
    ),
    unit_page("unit:detail", "a"),
    unit_page("unit:detail", "b"),
    unit_page("unit:coordinators", "a"),
    unit_page("unit:coordinators", "b"),
    unit_page("unit:roster_xlsx", "a"),
    unit_page("unit:roster_xlsx", "b"),
    unit_page("unit:capture_action", "b", method="post", capture_id="capture_b", action="offsite"),
]


def _resolve(kwargs, world):
    return {k: (world[v] if isinstance(v, str) and v in world else v) for k, v in kwargs.items()}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "kwargs", "method", "expected"),
    CASES,
    ids=[f"{c[0]}-{'-'.join(map(str, c[1].values()))}" for c in CASES],
)
def test_role_by_view(client, world, role, name, kwargs, method, expected):
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = reverse(name, kwargs=_resolve(kwargs, world))
    data = {"reason": "实习在外地"} if method == "post" else None
    response = getattr(client, method)(url, data)
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    else:
        assert response.status_code == want, response.content[:300]


def test_counsellor_cannot_touch_another_units_student(client, world):
    client.force_login(world["users"]["counsellor"])
    # Capture of unit B through unit A's URL: still 404, nothing changes.
    url = reverse(
        "unit:capture_action",
        kwargs={"unit_id": world["a"], "capture_id": world["capture_b"], "action": "offsite"},
    )
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert Capture.objects.get(pk=world["capture_b"]).status == Capture.Status.EXPECTED


def test_every_post_needs_csrf(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["office"])
    for name, kwargs in [
        ("staff:roster_import", {}),
        ("staff:roster_preview", {"pk": "import"}),
        ("staff:schedule", {"session_id": "session"}),
        ("unit:coordinators", {"unit_id": "a"}),
    ]:
        response = client.post(reverse(name, kwargs=_resolve(kwargs, world)), {})
        assert response.status_code == 403, name
