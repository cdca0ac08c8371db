"""Test settings: the real settings with the few changes a test run needs."""

import os

os.environ["DJANGO_READ_DOT_ENV_FILE"] = "False"
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from capture_portal.settings import *  # noqa: E402,F403

# The test client and the live server speak plain HTTP.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Delivered photos of a test run go to a directory of their own, never the project's.
if STORAGES["photos"]["BACKEND"].endswith("FileSystemStorage"):  # noqa: F405
    import tempfile

    STORAGES["photos"]["OPTIONS"]["location"] = tempfile.mkdtemp(prefix="capture-photos-")  # noqa: F405
