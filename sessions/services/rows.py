"""The door path's statements in plain SQL: a scan's read, a transition's lock and writes.

A scan is the day's hottest write: several hundred students pass two doors in an afternoon
and every scan must answer at once. Built through the ORM, these statements cost several
times more to compile in Python than to run (capture_portal/rawsql.py says how they are
read back instead). Only the services call this module; they hold the rules.
"""

import datetime as dt
from contextlib import nullcontext

from django.db import connection, transaction
from django.utils import timezone

from capture_portal.rawsql import fetch_one, instance, statement, table
from sessions.models import Campaign, Capture, CaptureLog, CaptureSession, Station
from units.models import Student, TrainingUnit

# c, s, u: capture, student, unit; the order _capture() reads.
_CAPTURE_COLUMNS = (
    "c.id, c.student_id, c.status, c.status_at, c.status_station, c.attention_note,"
    " c.shooting_no, s.student_no, s.name, s.unit_id, u.name"
)
_LOG_COLUMNS = (
    "capture_id",
    "action",
    "from_status",
    "to_status",
    "actor_user_id",
    "actor_label",
    "station",
    "occurred_at",
    "recorded_at",
    "note",
    "idempotency_key",
)


def _capture(row, campaign):
    """A Capture with its student, the student's unit and the given campaign attached."""
    (
        capture_id,
        student_id,
        status,
        status_at,
        status_station,
        attention_note,
        shooting_no,
        student_no,
        name,
        unit_id,
        unit_name,
    ) = row
    capture = instance(
        Capture,
        id=capture_id,
        student_id=student_id,
        campaign_id=campaign.pk,
        status=status,
        status_at=status_at,
        status_station=status_station,
        attention_note=attention_note,
        shooting_no=shooting_no,
    )
    student = instance(Student, id=student_id, student_no=student_no, name=name, unit_id=unit_id)
    student.unit = instance(TrainingUnit, id=unit_id, name=unit_name)
    capture.student = student
    capture.campaign = campaign
    return capture


@statement
def _target_sql(column):
    # The capture side is one parenthesised join, so that a student who is withdrawn or
    # has no capture in the station's campaign leaves the whole side empty.
    return (
        "SELECT st.name, st.kind, st.session_id, ss.campaign_id, k.status, "
        + _CAPTURE_COLUMNS
        + f" FROM {table(Station)} st"
        f" JOIN {table(CaptureSession)} ss ON ss.id = st.session_id"
        f" JOIN {table(Campaign)} k ON k.id = ss.campaign_id"
        f" LEFT JOIN ({table(Capture)} c"
        f" JOIN {table(Student)} s ON s.id = c.student_id AND s.withdrawn = %s"
        f" JOIN {table(TrainingUnit)} u ON u.id = s.unit_id)"
        f" ON c.campaign_id = k.id AND {column} = %s"
        " WHERE st.id = %s AND st.active = %s"
    )


@statement
def _lock_sql():
    # SQLite has no row locks: the transaction is IMMEDIATE (settings.py), so it already
    # holds the database's write lock when this runs.
    lock = " FOR UPDATE OF c" if connection.features.has_select_for_update_of else ""
    return (
        "SELECT k.status, c.campaign_id, " + _CAPTURE_COLUMNS + f" FROM {table(Capture)} c"
        f" JOIN {table(Student)} s ON s.id = c.student_id"
        f" JOIN {table(TrainingUnit)} u ON u.id = s.unit_id"
        f" JOIN {table(Campaign)} k ON k.id = c.campaign_id"
        " WHERE c.id = %s" + lock
    )


@statement
def _insert_log_sql():
    returning = " RETURNING id" if connection.features.can_return_columns_from_insert else ""
    return (
        f"INSERT INTO {table(CaptureLog)} ({', '.join(_LOG_COLUMNS)})"
        f" VALUES ({', '.join(['%s'] * len(_LOG_COLUMNS))})" + returning
    )


@statement
def _log_for_key_sql():
    return f"SELECT id FROM {table(CaptureLog)} WHERE idempotency_key = %s"


@statement
def _set_status_sql():
    # Changes the row only while its status is the one the caller saw and its campaign is
    # open. Under the row lock the status holds (the campaign may have closed since);
    # without the lock, this UPDATE is the lock and the check.
    return (
        f"UPDATE {table(Capture)} SET status = %s, status_at = %s, status_station = %s,"
        " updated_at = %s WHERE id = %s AND status = %s"
        f" AND campaign_id IN (SELECT id FROM {table(Campaign)} WHERE status <> %s)"
    )


@statement
def _move_and_log_sql():
    # PostgreSQL: the status change and its log row in one statement, so one round trip
    # that is atomic by itself (no BEGIN and COMMIT round trips around it). The log row is
    # written only if the UPDATE matched.
    log_columns = ", ".join(_LOG_COLUMNS)
    values = ", ".join(["%s"] * (len(_LOG_COLUMNS) - 1))
    return (
        f"WITH moved AS ({_set_status_sql()} RETURNING id)"
        f" INSERT INTO {table(CaptureLog)} ({log_columns})"
        f" SELECT moved.id, {values} FROM moved RETURNING id"
    )


# What a scan can name, and the column that finds it.
TARGETS = {"capture": "c.id", "student": "s.id", "student_no": "s.student_no"}


def station_target(station_id, by="capture", value=None):
    """One query: the active station with its session and campaign, and the capture in that
    campaign that `by` (a "capture" id, a "student" id or a "student_no") names, of a
    student still on the roster. (station, capture or None); (None, None) for no station.
    """
    row = fetch_one(_target_sql(TARGETS[by]), [False, value, station_id, True])
    if row is None:
        return None, None
    name, kind, session_id, campaign_id, campaign_status = row[:5]
    campaign = instance(Campaign, id=campaign_id, status=campaign_status)
    station = instance(Station, id=station_id, session_id=session_id, name=name, kind=kind)
    station.session = instance(CaptureSession, id=session_id, campaign_id=campaign_id)
    station.session.campaign = campaign
    capture = _capture(row[5:], campaign) if row[5] is not None else None
    return station, capture


def lock_capture(capture_id):
    """The capture with its student, unit and campaign status, its row locked until the
    transaction ends; None for no such capture. Call inside transaction.atomic()."""
    row = fetch_one(_lock_sql(), [capture_id])
    if row is None:
        return None
    campaign_status, campaign_id = row[:2]
    return _capture(row[2:], instance(Campaign, id=campaign_id, status=campaign_status))


def log_id_for_key(idempotency_key):
    """The id of the log row a client key produced, or None: one indexed read."""
    row = fetch_one(_log_for_key_sql(), [idempotency_key])
    return row[0] if row else None


def write_transition(capture, *, action, target, actor, station, occurred_at, note, key):
    """Move the capture from the status it has in memory to `target` and append the log
    row, atomically (within the caller's transaction if there is one). Returns the log row
    and updates `capture`; None, writing nothing, when the row's status is no longer the
    one in memory or its campaign has closed. A repeated `key` raises the unique
    constraint's IntegrityError and writes nothing."""
    now = timezone.now()
    occurred_at = occurred_at or now
    adapt = connection.ops.adapt_datetimefield_value
    values = {
        "capture_id": capture.pk,
        "action": action,
        "from_status": capture.status,
        "to_status": target,
        "actor_user_id": actor.user.pk if actor.user is not None else None,
        "actor_label": actor.label,
        "station": station,
        "occurred_at": occurred_at,
        "recorded_at": now,
        "note": note,
        "idempotency_key": key or None,
    }
    move = [
        target,
        adapt(occurred_at),
        station,
        adapt(now),
        capture.pk,
        capture.status,
        Campaign.Status.CLOSED,
    ]
    log = [adapt(v) if isinstance(v, dt.datetime) else v for v in map(values.get, _LOG_COLUMNS)]
    if connection.vendor == "postgresql":
        # One statement is atomic by itself; nested in a transaction, a savepoint keeps a
        # repeated key's error from breaking the caller's transaction.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            row = fetch_one(_move_and_log_sql(), move + log[1:])
        log_id = row[0] if row else None
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_set_status_sql(), move)
            log_id = None
            if cursor.rowcount == 1:
                cursor.execute(_insert_log_sql(), log)
                log_id = cursor.fetchone()[0] if cursor.description else cursor.lastrowid
    if log_id is None:
        return None
    capture.status = target
    capture.status_at = occurred_at
    capture.status_station = station
    entry = instance(CaptureLog, id=log_id, **values)
    entry.capture = capture
    return entry
