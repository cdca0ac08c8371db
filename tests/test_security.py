"""The authorization matrix over every URL pattern of the project, CSRF on every POST,
tokens, and security headers.

The matrix is built from the URL resolver: a new view without an expectation here makes
`test_every_url_pattern_has_an_expectation` fail.
"""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from capture_portal.actors import Actor
from capture_portal.permissions import OFFICE_GROUP
from sessions import services
from sessions.models import (
    Campaign,
    Capture,
    CaptureSession,
    ConfirmationImport,
    PhotoIntake,
    RosterImport,
    Station,
)
from sessions.tokens import pass_token
from tests.conftest import pair_device
from tests.factories import MembershipFactory, StudentFactory, UserFactory
from tests.sessions.test_photo_handover import make_photo
from units.models import TrainingUnit

ROLES = ["anonymous", "student", "coordinator", "counsellor", "station", "office"]
OK, REDIRECT, FORBIDDEN, NOT_FOUND, NOT_ALLOWED, LOGIN = 200, 302, 403, 404, 405, "login"

EVERYONE = dict.fromkeys(ROLES, OK)
NOBODY_GETS = dict.fromkeys(ROLES, NOT_ALLOWED)  # POST-only endpoints open to anyone
OFFICE_ONLY = {
    "anonymous": LOGIN,
    "student": LOGIN,
    "coordinator": LOGIN,
    "counsellor": FORBIDDEN,
    "station": LOGIN,  # a device is nobody to the people's pages
    "office": OK,
}
OWN_UNIT = {
    "anonymous": LOGIN,
    "student": LOGIN,
    "coordinator": LOGIN,
    "counsellor": OK,
    "station": LOGIN,
    "office": OK,
}
OTHER_UNIT = {**OWN_UNIT, "counsellor": NOT_FOUND}
UNIT_POST = {**OWN_UNIT, "counsellor": NOT_ALLOWED, "office": NOT_ALLOWED}
UNAUTHORISED = 401
# The station API: a paired device's token in the Authorization header, nothing else.
DEVICE_ONLY = {**dict.fromkeys(ROLES, UNAUTHORISED), "station": OK}

# (route name, kwargs with placeholders filled from the world fixture, GET outcome per role)
CASES = [
    ("home", {}, EVERYONE),
    ("lookup", {}, EVERYONE),
    ("guide", {}, EVERYONE),
    ("offsite", {}, EVERYONE),
    ("board", {}, EVERYONE),
    ("board_json", {}, EVERYONE),
    ("board_session", {"session_id": "session_id"}, EVERYONE),
    ("board_session_json", {"session_id": "session_id"}, EVERYONE),
    ("login", {}, EVERYONE),
    ("logout", {}, NOBODY_GETS),
    ("set_language", {}, dict.fromkeys(ROLES, REDIRECT)),
    ("student", {"token": "student_token"}, EVERYONE),
    ("pass", {"token": "student_token"}, EVERYONE),
    ("pass_qr", {"token": "student_token"}, EVERYONE),
    ("pass_calendar", {"token": "student_token"}, EVERYONE),
    ("payments:coordinator", {"token": "link_token"}, EVERYONE),
    ("payments:coordinator_pay", {"token": "link_token"}, NOBODY_GETS),
    ("payments:coordinator_reverse", {"token": "link_token"}, NOBODY_GETS),
    ("payments:coordinator_prints", {"token": "link_token"}, NOBODY_GETS),
    ("staff:index", {}, OFFICE_ONLY),
    ("staff:roster_import", {}, OFFICE_ONLY),
    ("staff:roster_preview", {"pk": "import_id"}, OFFICE_ONLY),
    ("staff:roster_xlsx", {}, OFFICE_ONLY),
    ("staff:absentees_xlsx", {}, OFFICE_ONLY),
    ("staff:schedule", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:schedule_print", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:schedule_xlsx", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:paper_index", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:paper_sheet", {"session_id": "session_id", "unit_id": "unit_a"}, OFFICE_ONLY),
    ("staff:paper_sheet_xlsx", {"session_id": "session_id", "unit_id": "unit_a"}, OFFICE_ONLY),
    ("staff:paper_record", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:poster", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:coordinators", {}, OFFICE_ONLY),
    ("staff:coordinators_xlsx", {}, OFFICE_ONLY),
    ("staff:live", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:close_session", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:shooting_numbers", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:shooting_numbers_xlsx", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:absentees", {}, OFFICE_ONLY),
    ("staff:announcements", {}, OFFICE_ONLY),
    ("staff:makeup_new", {}, OFFICE_ONLY),
    # A regular session has no make-up page (the office's 200 on a make-up session:
    # tests/sessions/test_makeup.py).
    ("staff:makeup_move", {"session_id": "session_id"}, {**OFFICE_ONLY, "office": NOT_FOUND}),
    ("payments:reconciliation", {}, OFFICE_ONLY),
    ("payments:reconciliation_xlsx", {}, OFFICE_ONLY),
    ("unit:list", {}, {**OWN_UNIT, "counsellor": REDIRECT}),
    ("unit:detail", {"unit_id": "unit_a"}, OWN_UNIT),
    ("unit:detail", {"unit_id": "unit_b"}, OTHER_UNIT),
    ("unit:coordinators", {"unit_id": "unit_a"}, OWN_UNIT),
    ("unit:coordinators", {"unit_id": "unit_b"}, OTHER_UNIT),
    ("unit:roster_xlsx", {"unit_id": "unit_a"}, OWN_UNIT),
    ("unit:roster_xlsx", {"unit_id": "unit_b"}, OTHER_UNIT),
    ("payments:unit_fees", {"unit_id": "unit_a"}, OWN_UNIT),
    ("payments:unit_fees", {"unit_id": "unit_b"}, OTHER_UNIT),
    ("unit:link_rotate", {"unit_id": "unit_b"}, UNIT_POST),
    (
        "unit:capture_action",
        {"unit_id": "unit_b", "capture_id": "capture_b", "action": "offsite"},
        UNIT_POST,
    ),
    ("staff:stations", {}, OFFICE_ONLY),
    ("staff:campaign_step", {}, {**OFFICE_ONLY, "office": NOT_ALLOWED}),
    ("staff:campaign_copy", {}, {**OFFICE_ONLY, "office": NOT_ALLOWED}),
    ("staff:campaigns", {}, OFFICE_ONLY),
    ("staff:campaign_roster_xlsx", {"campaign_id": "campaign_id"}, OFFICE_ONLY),
    ("staff:exempt_already_photographed", {}, {**OFFICE_ONLY, "office": NOT_ALLOWED}),
    ("staff:walk_ins", {"session_id": "session_id"}, OFFICE_ONLY),
    ("staff:confirmation_import", {}, OFFICE_ONLY),
    ("staff:confirmation_preview", {"pk": "confirmation_import_id"}, OFFICE_ONLY),
    ("staff:exceptions", {}, OFFICE_ONLY),
    ("staff:exceptions_xlsx", {}, OFFICE_ONLY),
    ("unit:confirmation", {"unit_id": "unit_a"}, OWN_UNIT),
    ("unit:confirmation", {"unit_id": "unit_b"}, OTHER_UNIT),
    ("staff:capture_search", {}, OFFICE_ONLY),
    ("staff:capture_bulk", {}, OFFICE_ONLY),
    ("staff:capture_detail", {"capture_id": "capture_b"}, OFFICE_ONLY),
    ("staff:corrections", {}, OFFICE_ONLY),
    ("unit:correction_request", {"unit_id": "unit_a", "capture_id": "capture_a_id"}, OWN_UNIT),
    ("unit:correction_request", {"unit_id": "unit_b", "capture_id": "capture_b"}, OTHER_UNIT),
    ("staff:offsite_followup", {}, OFFICE_ONLY),
    ("staff:prints", {}, OFFICE_ONLY),
    ("unit:prints", {"unit_id": "unit_a"}, OWN_UNIT),
    ("unit:prints", {"unit_id": "unit_b"}, OTHER_UNIT),
    ("staff:photos", {}, OFFICE_ONLY),
    ("staff:photo_intake", {}, OFFICE_ONLY),
    ("staff:photo_intake_preview", {"pk": "photo_intake_id"}, OFFICE_ONLY),
    ("staff:photo_intake_files", {"pk": "photo_intake_id"}, OFFICE_ONLY),
    (
        "staff:photo_intake_discard",
        {"pk": "photo_intake_id"},
        {**OFFICE_ONLY, "office": NOT_ALLOWED},
    ),
    ("staff:photos_unit", {"unit_id": "unit_a"}, OFFICE_ONLY),
    ("staff:photos_zip", {}, OFFICE_ONLY),
    ("unit:photos_zip", {"unit_id": "unit_a"}, OWN_UNIT),
    ("unit:photos_zip", {"unit_id": "unit_b"}, OTHER_UNIT),
    # A delivered photo: nobody but the office and the unit's counsellor, and everyone
    # else gets 404, as for a token that does not exist.
    (
        "photo",
        {"token": "photo_a"},
        {**dict.fromkeys(ROLES, NOT_FOUND), "counsellor": OK, "office": OK},
    ),
    ("photo", {"token": "photo_b"}, {**dict.fromkeys(ROLES, NOT_FOUND), "office": OK}),
    ("station:app", {}, EVERYONE),  # a shell without data: the script asks the API
    ("station:service_worker", {}, EVERYONE),
    ("station:pair", {}, EVERYONE),  # asks before it pairs
    ("station:status", {}, DEVICE_ONLY),
    ("station:scan", {}, NOBODY_GETS),
    ("station:undo", {}, NOBODY_GETS),
    ("station:shooting_no", {}, NOBODY_GETS),
    ("station:walk_in", {}, NOBODY_GETS),
    (
        "admin:index",
        {},
        {
            "anonymous": REDIRECT,
            "student": REDIRECT,
            "coordinator": REDIRECT,
            "counsellor": REDIRECT,
            "station": REDIRECT,
            "office": OK,
        },
    ),
]


def _names(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _names(
                p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace
            )
        elif p.name:
            yield namespace + p.name


def test_every_url_pattern_has_an_expectation():
    covered = {name for name, _kw, _e in CASES}
    missing = sorted(
        name
        for name in set(_names(get_resolver().url_patterns))
        if name not in covered and not name.startswith("admin:")
    )
    assert missing == [], f"add these views to the matrix: {missing}"
    assert "admin:index" in covered  # the admin as a whole: staff only


@pytest.fixture
def world(db):
    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    campaign = Campaign.objects.get()
    unit_a, unit_b = TrainingUnit.objects.order_by("display_order")[:2]
    capture_a = Capture.objects.create(student=StudentFactory(unit=unit_a), campaign=campaign)
    capture_b = Capture.objects.create(student=StudentFactory(unit=unit_b), campaign=campaign)
    office = UserFactory(username="sec-office", is_staff=True)
    office.groups.add(Group.objects.get_or_create(name=OFFICE_GROUP)[0])
    counsellor = MembershipFactory(user=UserFactory(username="sec-couns"), unit=unit_a).user
    link = services.coordinator_link_rotate(
        actor=Actor.of(office), campaign_id=campaign.pk, unit_id=unit_a.pk
    )
    return {
        "users": {"office": office, "counsellor": counsellor},
        "device_token": pair_device(Station.objects.get(name="北门-1"))[1],
        "unit_a": unit_a.pk,
        "unit_b": unit_b.pk,
        "capture_a": capture_a,
        "capture_a_id": capture_a.pk,
        "capture_b": capture_b.pk,
        "session_id": CaptureSession.objects.get().pk,
        "campaign_id": campaign.pk,
        "station_id": Station.objects.get(name="北门-1").pk,
        "import_id": RosterImport.objects.create(
            campaign=campaign, file_name="x.xlsx", sha256="0" * 64
        ).pk,
        "confirmation_import_id": ConfirmationImport.objects.create(
            campaign=campaign, file_name="x.xlsx", sha256="0" * 64
        ).pk,
        "photo_intake_id": PhotoIntake.objects.create(
            campaign=campaign, file_name="x.zip", sha256="0" * 64
        ).pk,
        "student_token": pass_token(capture_a.student_id, campaign.pk),
        "photo_a": make_photo(capture_a).token,
        "photo_b": make_photo(capture_b).token,
        "link_token": link,
    }


def _client(world, role, **kwargs):
    if role == "station":
        kwargs["HTTP_AUTHORIZATION"] = f"Device {world['device_token']}"
    client = Client(**kwargs)
    if role in world["users"]:
        client.force_login(world["users"][role])
    return client


def _url(name, kwargs, world):
    return reverse(name, kwargs={k: world.get(v, v) for k, v in kwargs.items()})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "kwargs", "expected"),
    CASES,
    ids=[f"{c[0]}{'-' + '-'.join(map(str, c[1].values())) if c[1] else ''}" for c in CASES],
)
def test_authorization_matrix(world, role, name, kwargs, expected):
    response = _client(world, role).get(_url(name, kwargs, world))
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    else:
        assert response.status_code == want


POSTS = [
    ("lookup", {}, "anonymous"),
    ("login", {}, "anonymous"),
    ("logout", {}, "office"),
    ("set_language", {}, "anonymous"),
    ("payments:coordinator_pay", {"token": "link_token"}, "anonymous"),
    ("payments:coordinator_reverse", {"token": "link_token"}, "anonymous"),
    ("payments:coordinator_prints", {"token": "link_token"}, "anonymous"),
    ("unit:prints", {"unit_id": "unit_a"}, "counsellor"),
    ("staff:roster_import", {}, "office"),
    ("staff:roster_preview", {"pk": "import_id"}, "office"),
    ("staff:schedule", {"session_id": "session_id"}, "office"),
    ("staff:close_session", {"session_id": "session_id"}, "office"),
    ("staff:absentees", {}, "office"),
    ("staff:announcements", {}, "office"),
    ("staff:makeup_new", {}, "office"),
    ("staff:makeup_move", {"session_id": "session_id"}, "office"),
    ("unit:coordinators", {"unit_id": "unit_a"}, "counsellor"),
    ("unit:link_rotate", {"unit_id": "unit_a"}, "counsellor"),
    (
        "unit:capture_action",
        {"unit_id": "unit_b", "capture_id": "capture_b", "action": "offsite"},
        "office",
    ),
    ("payments:unit_fees", {"unit_id": "unit_a"}, "counsellor"),
    ("staff:stations", {}, "office"),
    ("staff:campaign_step", {}, "office"),
    ("staff:campaign_copy", {}, "office"),
    ("staff:exempt_already_photographed", {}, "office"),
    ("staff:walk_ins", {"session_id": "session_id"}, "office"),
    ("staff:paper_record", {"session_id": "session_id"}, "office"),
    ("staff:confirmation_import", {}, "office"),
    ("staff:confirmation_preview", {"pk": "confirmation_import_id"}, "office"),
    ("staff:exceptions", {}, "office"),
    ("unit:confirmation", {"unit_id": "unit_a"}, "counsellor"),
    ("staff:capture_detail", {"capture_id": "capture_b"}, "office"),
    ("staff:capture_bulk", {}, "office"),
    ("staff:corrections", {}, "office"),
    ("unit:correction_request", {"unit_id": "unit_a", "capture_id": "capture_a_id"}, "counsellor"),
    ("station:pair", {}, "anonymous"),
    ("staff:photos_unit", {"unit_id": "unit_a"}, "office"),
    ("staff:photo_intake", {}, "office"),
    ("staff:photo_intake_preview", {"pk": "photo_intake_id"}, "office"),
    ("staff:photo_intake_discard", {"pk": "photo_intake_id"}, "office"),
]


@pytest.mark.parametrize(("name", "kwargs", "role"), POSTS, ids=[p[0] for p in POSTS])
def test_every_post_is_refused_without_csrf_token(world, name, kwargs, role):
    client = _client(world, role, enforce_csrf_checks=True)
    response = client.post(_url(name, kwargs, world), {"code": "x", "action": "pay"})
    assert response.status_code == 403


def test_every_post_view_is_in_the_csrf_list():
    """A view that accepts POST (per the matrix: every view that is not GET-only by its
    nature) must be listed above; compare with the names of POST-capable views."""
    post_capable = {
        "lookup",
        "login",
        "logout",
        "set_language",
        "payments:coordinator_pay",
        "payments:coordinator_reverse",
        "payments:coordinator_prints",
        "unit:prints",
        "staff:roster_import",
        "staff:roster_preview",
        "staff:schedule",
        "staff:close_session",
        "staff:absentees",
        "staff:announcements",
        "staff:makeup_new",
        "staff:makeup_move",
        "unit:coordinators",
        "unit:link_rotate",
        "unit:capture_action",
        "payments:unit_fees",
        "staff:stations",
        "staff:campaign_step",
        "staff:campaign_copy",
        "staff:exempt_already_photographed",
        "staff:walk_ins",
        "staff:paper_record",
        "staff:confirmation_import",
        "staff:confirmation_preview",
        "staff:exceptions",
        "unit:confirmation",
        "staff:capture_detail",
        "staff:capture_bulk",
        "staff:corrections",
        "unit:correction_request",
        "station:pair",
        "staff:photos_unit",
        "staff:photo_intake",
        "staff:photo_intake_preview",
        "staff:photo_intake_discard",
    }
    assert {p[0] for p in POSTS} == post_capable | set()
    # The station API takes POSTs without CSRF because it is authenticated by a header
    # that a browser never sends on its own (test_station_api_ignores_cookies).
    assert set(DEVICE_POSTS) == {
        "station:scan",
        "station:undo",
        "station:shooting_no",
        "station:walk_in",
    }


DEVICE_POSTS = ["station:scan", "station:undo", "station:shooting_no", "station:walk_in"]


@pytest.mark.parametrize("name", DEVICE_POSTS)
def test_station_api_ignores_cookies(world, name):
    """A signed-in person's cookies open nothing on the station API (so a forged form on
    another site cannot scan); the device's header does, without a CSRF token."""
    office = _client(world, "office", enforce_csrf_checks=True)
    response = office.post(reverse(name), "{}", content_type="application/json")
    assert response.status_code == 401
    device = _client(world, "station", enforce_csrf_checks=True)
    response = device.post(reverse(name), "{}", content_type="application/json")
    assert response.status_code in (200, 400)  # past authentication: judged on its body


@pytest.mark.parametrize("name", ["student", "pass", "pass_qr", "pass_calendar"])
def test_foreign_and_tampered_student_tokens_are_404(client, world, name):
    from django.core import signing

    capture_b = Capture.objects.get(pk=world["capture_b"])
    good = world["student_token"]
    for token in (
        good[:-3] + ("abc" if not good.endswith("abc") else "xyz"),
        signing.Signer(salt="another-purpose").sign_object(
            [capture_b.student_id, capture_b.campaign_id]
        ),
        world["link_token"],  # a coordinator link is not a student pass
    ):
        assert client.get(reverse(name, args=[token])).status_code == 404


def test_a_student_pass_does_not_open_the_coordinator_page(client, world):
    url = reverse("payments:coordinator", args=[world["student_token"]])
    assert client.get(url).status_code == 404


def test_security_headers(client, world):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_templates_have_no_inline_script_or_style():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for path in list(root.glob("templates/**/*.html")) + list(root.glob("*/templates/**/*.html")):
        text = path.read_text()
        if "<script>" in text or " style=" in text or "onclick=" in text:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
