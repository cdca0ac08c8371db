"""After signing in each role lands on its own page; a safe `next` still wins and an
unsafe one is ignored."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import MembershipFactory, TrainingUnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, user, next_url=None):
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"username": user.username, "password": "pw-for-tests"})
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def test_office_lands_on_the_dashboard(client, office_user):
    assert _sign_in(client, office_user) == reverse("staff:index")


def test_counsellor_lands_on_their_unit(client, counsellor_user, unit):
    assert _sign_in(client, counsellor_user) == reverse("unit:detail", args=[unit.pk])


def test_counsellor_of_several_units_lands_on_the_list(client, counsellor_user, other_unit):
    MembershipFactory(user=counsellor_user, unit=other_unit)
    assert _sign_in(client, counsellor_user) == reverse("unit:list")


def test_station_operator_lands_on_the_station_page(client):
    user = UserFactory(username="door-operator")
    user.groups.add(Group.objects.get_or_create(name="station")[0])
    assert _sign_in(client, user) == reverse("station:app")


def test_anyone_else_lands_on_the_notice(client, plain_user):
    assert _sign_in(client, plain_user) == reverse("home")


def test_a_safe_next_wins_over_the_landing_page(client, office_user):
    target = reverse("staff:coordinators")
    assert _sign_in(client, office_user, target) == target


def test_an_unsafe_next_is_ignored(client, counsellor_user, unit):
    landed = _sign_in(client, counsellor_user, "https://evil.example/")
    assert landed == reverse("unit:detail", args=[unit.pk])


def test_inactive_unit_is_not_a_landing_page(client, counsellor_user, unit):
    closed = TrainingUnitFactory(active=False)
    MembershipFactory(user=counsellor_user, unit=closed)
    assert _sign_in(client, counsellor_user) == reverse("unit:detail", args=[unit.pk])
