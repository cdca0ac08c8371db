"""Plain SQL for the few statements of a station scan and of every signed-in request
(capture_portal/auth.py), read back as the ORM reads.

On the scan path the ORM spent several times longer building each statement in Python than
the database spent running it (bench/scan.py measures the path; README, Performance). The
statements that path needs are written once as text, from the models' own table and column
names, and their rows are turned into model instances the way the ORM does it: the
backend's and the fields' converters applied (SQLite returns datetimes as text and booleans
as integers), then ``Model.from_db``. Fields not read stay deferred, so a later ``save()``
can only write what was read.
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections


def statement(build):
    """Decorates a function that writes a statement's text (quoted and locked for the
    database in use): it runs once per process and arguments. A process has one database,
    so the text never changes."""
    return cache(build)


def table(model):
    """The model's table name, quoted for the connection's database."""
    return connection.ops.quote_name(model._meta.db_table)


def _reader(model, attnames):
    """(field names in the model's order, [(position in attnames, expression,
    converters)]) as the compiler finds them. Kept on the connection (one per thread),
    since the converters are bound to it."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    known = wrapper.__dict__.setdefault("_rawsql_readers", {})
    key = (model, attnames)
    if key not in known:
        fields = [f for f in model._meta.concrete_fields if f.attname in attnames]
        steps = []
        for field in fields:
            expression = field.get_col(model._meta.db_table)
            converters = wrapper.ops.get_db_converters(expression) + field.get_db_converters(
                wrapper
            )
            steps.append((attnames.index(field.attname), expression, converters))
        known[key] = (tuple(f.attname for f in fields), steps, wrapper)
    return known[key]


def instance(model, **values):
    """A model instance as the ORM loads it, from the values (by attname) of some of its
    concrete fields, as a cursor returned them; the other fields are deferred."""
    names, steps, wrapper = _reader(model, tuple(values))
    given = tuple(values.values())
    row = []
    for position, expression, converters in steps:
        value = given[position]
        for convert in converters:
            value = convert(value, expression, wrapper)
        row.append(value)
    return model.from_db(wrapper.alias, names, row)


def fetch_one(sql, params):
    """The first row of a plain statement, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
