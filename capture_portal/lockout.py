"""The page django-axes shows a locked-out sign-in (settings.AXES_LOCKOUT_CALLABLE)."""

import logging

from django.conf import settings
from django.shortcuts import render

logger = logging.getLogger(__name__)


def locked_out(request, credentials, *args, **kwargs):
    # Not the user name: the log line is for the office, who unlocks by name from the
    # admin's access attempts, and the address says enough to tell tries apart.
    logger.warning("sign-in locked out (address %s)", request.axes_ip_address)
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=429,
    )
