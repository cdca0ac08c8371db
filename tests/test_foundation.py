"""The skeleton: apps, settings, admin, translations."""

import os
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def test_both_sessions_apps_are_installed():
    assert apps.get_app_config("sessions").name == "django.contrib.sessions"
    assert apps.get_app_config("capture_sessions").name == "sessions"


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ


@pytest.mark.django_db
def test_admin_login_works(client, office_user):
    response = client.post(
        reverse("admin:login"),
        {"username": office_user.username, "password": "pw-for-tests", "next": "/admin/"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_login_page_keeps_username_on_error(client, office_user):
    response = client.post(reverse("login"), {"username": office_user.username, "password": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{office_user.username}"' in html
    assert "errorlist" in html or "error-box" in html


PORTAL_MODELS = [
    m for m in apps.get_models() if m._meta.app_label in ("units", "capture_sessions", "payments")
]


def test_every_model_is_in_the_admin():
    missing = [m.__name__ for m in PORTAL_MODELS if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", PORTAL_MODELS, ids=lambda m: m.__name__)
def test_admin_changelists_render_with_search(client, office_user, model, capture):
    client.force_login(office_user)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    if admin.site._registry[model].search_fields:
        assert client.get(url, {"q": capture.student.student_no}).status_code == 200


@pytest.mark.django_db
def test_capture_log_is_read_only_in_admin(client, office_user):
    client.force_login(office_user)
    assert client.get(reverse("admin:capture_sessions_capturelog_add")).status_code == 403


def _settings_subprocess(env_overrides, *args):
    drop = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the e2e harness sets the last
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "capture_portal.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_is_refused_when_debug_is_off(tmp_path):
    result = _settings_subprocess({"DEBUG": "False", "SECRET_KEY": ""}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_deploy_check_passes_with_production_settings():
    result = _settings_subprocess(
        {
            "DEBUG": "False",
            "SECRET_KEY": "x" * 20 + "-production-like-secret-" + "y" * 30,
            "ALLOWED_HOSTS": "capture.example.edu.cn",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_translations_are_complete_and_compiled():
    po = polib.pofile(ROOT / "locale/en/LC_MESSAGES/django.po")
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    mo = polib.mofile(ROOT / "locale/en/LC_MESSAGES/django.mo")
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo}
    assert {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries()} == {
        k: v for k, v in compiled.items() if k[1]
    }


@pytest.mark.django_db
def test_migrations_are_committed():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_every_string_in_the_code_has_an_english_translation():
    """makemessages over the code finds no string missing from the English catalogue."""
    import shutil

    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext is missing (apt-get install gettext)")
        pytest.skip("install GNU gettext to check the catalogue against the code")
    po_path = ROOT / "locale/en/LC_MESSAGES/django.po"
    original = po_path.read_bytes()
    try:
        result = _settings_subprocess(
            {"DEBUG": "True"},
            "makemessages",
            "-l",
            "en",
            "--ignore=.venv",
            "--ignore=.venv-peer",
            "--ignore=tests",
            "--ignore=bench",
            "--no-obsolete",
        )
        assert result.returncode == 0, result.stderr
        fresh = polib.pofile(str(po_path))
        missing = [e.msgid for e in fresh.untranslated_entries() + fresh.fuzzy_entries()]
    finally:
        po_path.write_bytes(original)
    assert missing == []
