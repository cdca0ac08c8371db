"""Production settings plus the two baseline views the benchmarks compare against."""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
# Plain HTTP on loopback: no TLS proxy in front of the benchmark.
os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
os.environ.setdefault("SESSION_COOKIE_SECURE", "False")
os.environ.setdefault("CSRF_COOKIE_SECURE", "False")
# Each simulated phone has its own address (wrk sets X-Forwarded-For), as behind a proxy.
os.environ.setdefault("TRUSTED_PROXY_COUNT", "1")
os.environ["DJANGO_READ_DOT_ENV_FILE"] = "False"

from capture_portal.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
