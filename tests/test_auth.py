"""Signing in (capture_portal.auth) and plain-SQL rows (capture_portal.rawsql).

The session and the user are read in plain SQL; everything Django checks about them must
still hold: expiry, deactivation, a password change ending other sessions, a role taken
away taking effect on the next request.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capture_portal import rawsql
from capture_portal.auth import ModelBackend, SessionStore
from capture_portal.permissions import STATION_GROUP, is_office, is_station
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

STATION_PAGE = "station:list"


def _login(client, user):
    response = client.post(
        reverse("login"), {"username": user.username, "password": "pw-for-tests"}
    )
    assert response.status_code == 302, response.content[:300]


def test_real_login_reads_session_and_user_with_roles_in_two_statements(client, station_user):
    _login(client, station_user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse(STATION_PAGE)).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert "django_session" in sql[0] and "auth_user" in sql[1] and "auth_group" in sql[1]
    # The role check (station_required) asked nothing more about groups.
    assert not any("auth_group" in s for s in sql[2:])


def test_backend_loads_the_user_as_the_orm_does(station_user, office_user):
    office_user.groups.add(Group.objects.get_or_create(name=STATION_GROUP)[0])
    user = ModelBackend().get_user(str(office_user.pk))  # the session keeps ids as text
    assert user.pk == office_user.pk and user.username == office_user.username
    assert user.is_active is True and user.is_staff is True  # bools, not SQLite's 1
    assert user.date_joined == office_user.date_joined and timezone.is_aware(user.date_joined)
    assert user.check_password("pw-for-tests")
    assert is_office(user) and is_station(user)
    assert ModelBackend().get_user(10**9) is None


def test_expired_session_signs_out(client, station_user):
    _login(client, station_user)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse(STATION_PAGE))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_unknown_session_key_is_empty_and_gets_a_new_key():
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def test_deactivated_user_is_signed_out(client, station_user):
    _login(client, station_user)
    station_user.is_active = False
    station_user.save(update_fields=["is_active"])
    assert client.get(reverse(STATION_PAGE)).status_code == 302


def test_password_change_ends_other_sessions(client, station_user):
    _login(client, station_user)
    station_user.set_password("another-pw-123")
    station_user.save(update_fields=["password"])
    response = client.get(reverse(STATION_PAGE))
    assert response.status_code == 302
    assert isinstance(response.wsgi_request.user, AnonymousUser)


def test_role_taken_away_counts_on_the_next_request(client, station_user):
    _login(client, station_user)
    assert client.get(reverse(STATION_PAGE)).status_code == 200
    station_user.groups.clear()
    assert client.get(reverse(STATION_PAGE)).status_code == 403


def test_logout_ends_the_session(client, station_user):
    _login(client, station_user)
    client.post(reverse("logout"))
    assert not Session.objects.exists()
    assert client.get(reverse(STATION_PAGE)).status_code == 302


def test_rawsql_instance_converts_and_defers_the_rest(unit):
    student = StudentFactory(unit=unit, phone="13800000000", withdrawn=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, name, withdrawn FROM {rawsql.table(type(student))} WHERE id = %s",
            [student.pk],
        )
        pk, name, withdrawn = cursor.fetchone()
    loaded = rawsql.instance(type(student), id=pk, name=name, withdrawn=withdrawn)
    assert loaded.withdrawn is True
    assert loaded.get_deferred_fields() >= {"phone", "student_no", "unit_id"}
    loaded.name = "改名"
    loaded.save()  # a deferred-field instance saves only what it loaded
    student.refresh_from_db()
    assert (student.name, student.phone) == ("改名", "13800000000")
