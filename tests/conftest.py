"""One user per role, and the rules for tests that need PostgreSQL or a browser.

Browser (`e2e`) and PostgreSQL (`postgres`) tests skip with a visible reason on a
newcomer's machine; under CI=true a missing browser fails instead, and so does a
PostgreSQL test when DATABASE_URL names PostgreSQL but the run is not on it.
"""

import os

import pytest
from django.contrib.auth.models import Group

from capture_portal.actors import Actor
from capture_portal.permissions import OFFICE_GROUP, STATION_GROUP
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


@pytest.fixture
def station_user(db):
    return _user("station-test", STATION_GROUP)


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
def station(station_user):
    return Actor.of(station_user, label="北门-1")


@pytest.fixture
def counsellor(counsellor_user):
    return Actor.of(counsellor_user)


@pytest.fixture
def artifacts_dir():
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path
