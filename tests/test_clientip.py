"""The client's address behind trusted proxies: never spoofable by the client, never 500."""

import pytest
from django.test import RequestFactory, override_settings

from capture_portal.clientip import client_ip

rf = RequestFactory()


def _ip(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(rf.get("/", **extra))


def test_without_proxies_the_connection_counts_and_the_header_is_ignored():
    assert _ip(forwarded="1.2.3.4") == "10.0.0.1"


@override_settings(TRUSTED_PROXY_COUNT=1)
@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("6.6.6.6, 203.0.113.7", "203.0.113.7"),  # what the client wrote comes first
        (None, "10.0.0.1"),
        ("", "10.0.0.1"),
        ("not-an-address", "10.0.0.1"),
        ("\x00", "10.0.0.1"),
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_one_trusted_proxy(forwarded, expected):
    assert _ip(forwarded=forwarded) == expected


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_two_trusted_proxies():
    assert _ip(forwarded="6.6.6.6, 203.0.113.7, 10.0.0.9") == "203.0.113.7"
    assert _ip(forwarded="203.0.113.7") == "10.0.0.1"  # did not come through both


def test_a_missing_remote_address_is_not_an_error():
    assert _ip(remote="") == "0.0.0.0"


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
@pytest.mark.parametrize("header", [None, "", "garbage", "1.2.3.4.5", "\x00"])
def test_a_lookup_without_a_usable_proxy_header_is_answered(client, header):
    """It once answered 500 when the configured header was missing or malformed."""
    extra = {} if header is None else {"HTTP_X_FORWARDED_FOR": header}
    response = client.post("/lookup/", {"student_no": "20220101", "name": "某人"}, **extra)
    assert response.status_code == 200
