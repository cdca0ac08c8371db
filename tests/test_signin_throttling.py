"""Sign-in throttling (django-axes): a few wrong passwords lock out the account and the
address; the office unlocks; the page says what happened, in Chinese and in English."""

import logging

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db
LIMIT = 3


def _try(client, username, password="wrong-password", url="login", **extra):
    return client.post(reverse(url), {"username": username, "password": password}, **extra)


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def test_an_account_is_locked_after_a_few_wrong_passwords(office_user, caplog):
    caplog.set_level(logging.WARNING)
    client = Client()
    for _ in range(LIMIT - 1):
        assert _try(client, office_user.username).status_code == 200  # the form again
    locked = _try(client, office_user.username)
    assert locked.status_code == 429
    assert "登录已暂时锁定" in locked.content.decode()
    # Even the right password is refused now, from anywhere.
    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    assert _try(elsewhere, office_user.username, "pw-for-tests").status_code == 429
    assert "sign-in locked out" in caplog.text
    assert office_user.username not in caplog.text.split("sign-in locked out")[-1]


def test_an_address_is_locked_whatever_the_account(office_user, counsellor_user):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for i in range(LIMIT):
        _try(client, f"nobody-{i}")
    assert _try(client, counsellor_user.username, "pw-for-tests").status_code == 429
    other = Client(REMOTE_ADDR="10.1.1.2")
    assert _try(other, counsellor_user.username, "pw-for-tests").status_code == 302


def test_the_admin_sign_in_is_throttled_too(office_user):
    client = Client()
    for _ in range(LIMIT):
        _try(client, office_user.username, url="admin:login")
    assert _try(client, office_user.username, "pw-for-tests", url="admin:login").status_code == 429


def test_the_office_unlocks_an_account(office_user):
    client = Client()
    for _ in range(LIMIT):
        _try(client, office_user.username)
    assert _try(client, office_user.username, "pw-for-tests").status_code == 429
    call_command("axes_reset_username", office_user.username, verbosity=0)
    call_command("axes_reset_ip", "127.0.0.1", verbosity=0)
    assert _try(client, office_user.username, "pw-for-tests").status_code == 302


def test_a_success_resets_the_count(office_user):
    client = Client()
    for _ in range(LIMIT - 1):
        _try(client, office_user.username)
    assert _try(client, office_user.username, "pw-for-tests").status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        _try(client, office_user.username)
    assert _try(client, office_user.username, "pw-for-tests").status_code == 302


def test_the_lockout_page_speaks_english(office_user):
    client = Client()
    client.cookies["django_language"] = "en"
    for _ in range(LIMIT):
        _try(client, office_user.username)
    page = _try(client, office_user.username).content.decode()
    assert "Sign-in temporarily locked" in page


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_forwarded_address_is_locked(office_user):
    attacker = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    for i in range(LIMIT):
        _try(attacker, f"nobody-{i}")
    assert _try(attacker, office_user.username, "pw-for-tests").status_code == 429
    colleague = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert _try(colleague, office_user.username, "pw-for-tests").status_code == 302
