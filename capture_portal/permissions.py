"""Roles, and one decorator per role for the views.

Roles come from groups (`office`, `station`) and from `units.UnitMembership`
(counsellors). Anonymous users go to the login page; a signed-in user without the
role gets 403. Objects outside a user's scope answer 404 in the selectors, exactly
like missing ones.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from capture_portal.rawsql import fetch_all, statement, table

OFFICE_GROUP = "office"
STATION_GROUP = "station"


def _group_names(user):
    # Cached on the user object: a page asks several times, the database once, and the
    # signed-in user comes with them (capture_portal.auth). Plain SQL: the ORM took ten
    # times longer to build this join than the database to run it (bench/scan.py).
    if not hasattr(user, "_capture_group_names"):
        remember_group_names(user, [name for (name,) in fetch_all(_group_names_sql(), [user.pk])])
    return user._capture_group_names


def remember_group_names(user, names):
    """Keep the names of the user's groups on the user object, read with the user."""
    user._capture_group_names = frozenset(names)


@statement
def _group_names_sql():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    return (
        f"SELECT g.name FROM {table(Group)} g"
        f" JOIN {table(get_user_model().groups.through)} m ON m.group_id = g.id"
        " WHERE m.user_id = %s"
    )


def is_office(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or OFFICE_GROUP in _group_names(user)


def is_station(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return STATION_GROUP in _group_names(user) or is_office(user)


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
station_required = _role_required(is_station)
counsellor_required = _role_required(lambda u: is_counsellor(u) or is_office(u))
