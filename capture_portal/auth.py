"""Signed-in requests: the session, then the user with their roles, each one plain statement.

Every signed-in request reads its session row and its user row, and the role checks read
the user's groups. Through the ORM those three reads took longer to build than the rest of
a station scan together (bench/scan.py). The classes below are Django's own with only
those reads replaced; everything else (saving, expiry, logging in and out, the session
hash check, permissions) is inherited.

settings.py names this module as SESSION_ENGINE and the backend in AUTHENTICATION_BACKENDS.
"""

from django.contrib.auth import backends, get_user_model
from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from capture_portal import permissions
from capture_portal.rawsql import fetch_all, fetch_one, instance, statement, table


class SessionStore(db.SessionStore):
    """The database session store; the read each request makes is one plain statement."""

    def load(self):
        row = fetch_one(
            _session_sql(),
            [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        if row is None:
            # As Django does: an unknown or expired key gets a new one when saved.
            self._session_key = None
            return {}
        return self.decode(row[0])


@statement
def _session_sql():
    from django.contrib.sessions.models import Session

    return f"SELECT session_data FROM {table(Session)} WHERE session_key = %s AND expire_date > %s"


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend; loading the signed-in user, with the names of their groups
    (the roles, capture_portal.permissions), is one plain statement."""

    def get_user(self, user_id):
        user_model = get_user_model()
        rows = fetch_all(_user_sql(user_model), [user_model._meta.pk.to_python(user_id)])
        if not rows:
            return None
        names = [f.attname for f in user_model._meta.concrete_fields]
        user = instance(user_model, **dict(zip(names, rows[0][:-1], strict=True)))
        permissions.remember_group_names(user, [row[-1] for row in rows if row[-1] is not None])
        return user if self.user_can_authenticate(user) else None


@statement
def _user_sql(user_model):
    from django.contrib.auth.models import Group

    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(f.column)}" for f in user_model._meta.concrete_fields)
    pk = quote(user_model._meta.pk.column)
    return (
        f"SELECT {columns}, g.name FROM {table(user_model)} u"
        f" LEFT JOIN {table(user_model.groups.through)} m ON m.user_id = u.{pk}"
        f" LEFT JOIN {table(Group)} g ON g.id = m.group_id"
        f" WHERE u.{pk} = %s"
    )
