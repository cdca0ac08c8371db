"""Signing in: Django's own session and auth machinery, for people.

Everything Django checks about a signed-in person must hold: expiry, deactivation, a
password change ending other sessions, a role taken away taking effect on the next request,
logout. (Station devices do not sign in: tests/sessions/test_devices.py.)
"""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

OFFICE_PAGE = "staff:index"


def _login(client, user):
    response = client.post(
        reverse("login"), {"username": user.username, "password": "pw-for-tests"}
    )
    assert response.status_code == 302, response.content[:300]


def test_expired_session_signs_out(client, office_user):
    _login(client, office_user)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse(OFFICE_PAGE))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_deactivated_user_is_signed_out(client, office_user):
    _login(client, office_user)
    office_user.is_active = False
    office_user.save(update_fields=["is_active"])
    assert client.get(reverse(OFFICE_PAGE)).status_code == 302


def test_password_change_ends_other_sessions(client, office_user):
    _login(client, office_user)
    office_user.set_password("another-pw-123")
    office_user.save(update_fields=["password"])
    response = client.get(reverse(OFFICE_PAGE))
    assert response.status_code == 302
    assert isinstance(response.wsgi_request.user, AnonymousUser)


def test_role_taken_away_counts_on_the_next_request(client, office_user):
    _login(client, office_user)
    assert client.get(reverse(OFFICE_PAGE)).status_code == 200
    office_user.groups.clear()
    assert client.get(reverse(OFFICE_PAGE)).status_code == 403


def test_logout_ends_the_session(client, office_user):
    _login(client, office_user)
    client.post(reverse("logout"))
    assert not Session.objects.exists()
    assert client.get(reverse(OFFICE_PAGE)).status_code == 302


def test_sessions_and_users_are_djangos_own(settings):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",  # throttling only: it authenticates nobody
        "django.contrib.auth.backends.ModelBackend",
    ]
