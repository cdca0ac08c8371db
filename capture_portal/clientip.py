"""The client's address, as the lookup's rate limits and the sign-in lockout count it.

Behind TRUSTED_PROXY_COUNT reverse proxies, each appends the address it saw to
X-Forwarded-For, so the client is that many entries from the right; entries further left
were written by the client and prove nothing. A header that is missing, malformed or
shorter than that (a request that did not come through the proxies) counts as the
connection's own address, which is never an error: one shared address is the safe answer.
"""

import ipaddress

from django.conf import settings

UNKNOWN = "0.0.0.0"


def _valid(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request):
    remote = _valid(request.META.get("REMOTE_ADDR") or "") or UNKNOWN
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
    if len(hops) < count:
        return remote
    return _valid(hops[-count]) or remote
