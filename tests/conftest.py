"""One user per role, and the rules for tests that need PostgreSQL or a browser.

Browser (`e2e`) and PostgreSQL (`postgres`) tests skip with a visible reason on a
newcomer's machine; under CI=true a missing browser fails instead, and so does a
PostgreSQL test when DATABASE_URL names PostgreSQL but the run is not on it.
"""

import os

import pytest
from django.contrib.auth.models import Group

from capture_portal.actors import Actor
from capture_portal.permissions import OFFICE_GROUP
from tests.factories import (
    CampaignFactory,
    CaptureFactory,
    MembershipFactory,
    StudentFactory,
    TrainingUnitFactory,
    UserFactory,
)

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or IN_CI:
        return
    skip = pytest.mark.skip(reason=f"install chromium to run the browser tests ({CHROMIUM})")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the default language. A request through LocaleMiddleware
    leaves its language active in the thread; a test whose last request was English made
    the next test's service messages English (test_multi_session read them in Chinese)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_random_sweep(monkeypatch):
    """The rate counters sweep expired rows after 1 % of new counters, at random. A test that
    compares the statements of two requests failed in CI once in about a hundred runs when
    the dice fell on one of them; the sweep has its own test (test_counters)."""
    monkeypatch.setattr("capture_portal.counters.SWEEP_CHANCE", 0.0)


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if IN_CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.fail("DATABASE_URL names PostgreSQL but the tests run on " + connection.vendor)
    pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://… to run")


def _user(username, group=None, **extra):
    user = UserFactory(username=username, **extra)
    if group:
        # get_or_create: transactional tests flush the groups the migration made.
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def office_user(db):
    return _user("office-test", OFFICE_GROUP, is_staff=True)


def analyze_after_bulk():
    """PostgreSQL: refresh the planner's statistics after a test wrote thousands of rows.

    The foreign-key checks PostgreSQL runs at commit (or at a test's end, when Django checks
    deferred constraints) reuse plans the connection made earlier, when the tables held a
    handful of rows: a sequential scan per checked row then takes minutes over 66,000 rows.
    ANALYZE makes those plans be made again for the tables as they are."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def pair_device(station):
    """A device paired to `station`, as the office's "pair this browser" makes it:
    (device, token)."""
    from sessions.services import device_create

    return device_create(actor=Actor.system(), station_id=station.pk, name=f"{station.name}-设备")


def station_of(campaign, name="北门-1", kind="photographed"):
    """The campaign's station of that name (made, with a session, if missing)."""
    from sessions.models import CaptureSession, Station
    from tests.factories import CaptureSessionFactory

    station = Station.objects.filter(session__campaign=campaign, name=name).first()
    if station is None:
        session = CaptureSession.objects.filter(campaign=campaign).first() or CaptureSessionFactory(
            campaign=campaign
        )
        station = Station.objects.create(session=session, name=name, kind=kind)
    return station


def device_actor(campaign, name="北门-1", kind="photographed"):
    from sessions.models import Device

    device, _token = pair_device(station_of(campaign, name, kind))
    return Actor.for_device(
        Device.objects.select_related("station__session__campaign").get(pk=device.pk)
    )


def device_client(station):
    """A test client that authenticates as a device paired to `station` (no cookies)."""
    from django.test import Client

    _device, token = pair_device(station)
    return Client(HTTP_AUTHORIZATION=f"Device {token}")


@pytest.fixture
def unit(db):
    return TrainingUnitFactory(name="法学院测试")


@pytest.fixture
def other_unit(db):
    return TrainingUnitFactory(name="经济学院测试")


@pytest.fixture
def counsellor_user(db, unit):
    return MembershipFactory(user=_user("counsellor-test"), unit=unit).user


@pytest.fixture
def plain_user(db):
    return _user("nobody-test")


@pytest.fixture
def notice(db):
    """The notice of shared/seed as data: 14 units, the campaign, the session, Annex 1."""
    from django.core.management import call_command

    from sessions.models import Campaign

    call_command("loaddata", "fixtures/notice.json", verbosity=0)
    return Campaign.objects.get()


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def capture(db, campaign, unit):
    return CaptureFactory(campaign=campaign, student=StudentFactory(unit=unit))


@pytest.fixture
def office(office_user):
    return Actor.of(office_user)


@pytest.fixture
def station(request):
    """A paired device at the exit door (北门-1): of the notice's campaign when the test
    uses the notice, else of `campaign`."""
    name = "notice" if "notice" in request.fixturenames else "campaign"
    return device_actor(request.getfixturevalue(name))


@pytest.fixture
def counsellor(counsellor_user):
    return Actor.of(counsellor_user)


@pytest.fixture
def artifacts_dir():
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path
