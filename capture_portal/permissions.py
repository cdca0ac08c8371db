"""Roles, and one decorator per role for the views.

Roles of people come from the `office` group and from `units.UnitMembership`
(counsellors). Station devices are not people: they authenticate with a device token
(sessions.devices). Anonymous users go to the login page; a signed-in user without the
role gets 403. Objects outside a user's scope answer 404 in the selectors, exactly
like missing ones.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

OFFICE_GROUP = "office"


def _group_names(user):
    # Cached on the user object: a page asks several times, the database once.
    if not hasattr(user, "_capture_group_names"):
        user._capture_group_names = frozenset(user.groups.values_list("name", flat=True))
    return user._capture_group_names


def is_office(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or OFFICE_GROUP in _group_names(user)


def is_counsellor(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if not hasattr(user, "_capture_is_counsellor"):
        user._capture_is_counsellor = user.unit_memberships.exists()
    return user._capture_is_counsellor


def _role_required(check):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


office_required = _role_required(is_office)
counsellor_required = _role_required(lambda u: is_counsellor(u) or is_office(u))
