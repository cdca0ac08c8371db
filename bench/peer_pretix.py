"""The pretix half of `make bench-peer`, run by pretix's own interpreter (.venv-peer).

    PRETIX_CONFIG_FILE=… .venv-peer/bin/python bench/peer_pretix.py setup --orders 20000 --out F
    PRETIX_CONFIG_FILE=… .venv-peer/bin/python bench/peer_pretix.py count --sent F --ok A [B …]
    PRETIX_CONFIG_FILE=… .venv-peer/bin/python bench/peer_pretix.py queries --secret S T …

Not imported by the portal (it needs pretix's settings); bench/peer.py runs it and reads the
one JSON line it prints on stdout.

setup: on a freshly migrated database, an organizer, a live event, one admission product, one
check-in list over all products, `orders` paid orders of one position each (bulk inserted; each
position's secret set here, 32 random lowercase letters and digits as pretix's own generator
makes them) and a `Device` initialised with an API token, as pretix's API tests create one
(src/tests/api/conftest.py). Writes the secrets, one a line, to --out.

count: the exactly-once check. The secrets answered "ok" (files written by the wrk script)
against the successful Checkin rows: every "ok" must have its row, every row must belong to a
secret that was sent (wrk stops with requests in flight, so a few rows may have no answer),
and no position may have two rows.

queries: the SQL statements one redeem costs (Django's test client inside pretix, on the same
database, positions not redeemed before; the last request counts, the first warms up).
"""

import argparse
import json
import os
import secrets
import string
import sys
from datetime import timedelta
from decimal import Decimal


def django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretix.settings")
    import django

    django.setup()


ALPHABET = string.ascii_lowercase + string.digits


def new_secret():
    return "".join(secrets.choice(ALPHABET) for _ in range(32))


def setup(orders, out):
    from django.db import transaction
    from django.utils.timezone import now
    from django_scopes import scopes_disabled
    from pretix.base.models import Device, Event, Order, OrderPosition, Organizer
    from pretix.base.models.devices import generate_api_token

    with scopes_disabled(), transaction.atomic():
        org = Organizer.objects.create(name="Bench", slug="bench")
        event = Event.objects.create(
            organizer=org,
            name="Graduation photos",
            slug="grad",
            date_from=now() + timedelta(days=1),
            currency="EUR",
            live=True,
        )
        item = event.items.create(name="Ticket", default_price=Decimal("10.00"), admission=True)
        clist = event.checkin_lists.create(name="Door", all_products=True)
        device = Device.objects.create(
            organizer=org,
            all_events=True,
            name="bench",
            initialized=now(),
            api_token=generate_api_token(),
        )
        channel = org.sales_channels.get(identifier="web")
        stamp = now()
        rows = Order.objects.bulk_create(
            [
                Order(
                    code=f"B{i:06d}",
                    event=event,
                    organizer=org,
                    status=Order.STATUS_PAID,
                    email=f"s{i}@example.org",
                    locale="en",
                    datetime=stamp,
                    expires=stamp + timedelta(days=30),
                    total=Decimal("10.00"),
                    sales_channel=channel,
                )
                for i in range(orders)
            ],
            batch_size=2000,
        )
        codes = set()
        while len(codes) < orders:
            codes.add(new_secret())
        codes = sorted(codes, key=lambda _: secrets.randbits(32))
        OrderPosition.all.bulk_create(
            [
                OrderPosition(
                    order=order,
                    organizer=org,
                    item=item,
                    price=Decimal("10.00"),
                    tax_rate=Decimal("0.00"),
                    tax_value=Decimal("0.00"),
                    positionid=1,
                    secret=code,
                    pseudonymization_id=f"P{i:09d}",
                    attendee_name_cached=f"Student {i}",
                    attendee_name_parts={"_legacy": f"Student {i}"},
                )
                for i, (order, code) in enumerate(zip(rows, codes, strict=True))
            ],
            batch_size=2000,
        )
    with open(out, "w") as f:
        f.writelines(code + "\n" for code in codes)
    return {
        "organizer": org.slug,
        "event": event.slug,
        "list": clist.pk,
        "token": device.api_token,
        "orders": orders,
    }


def count(sent_file, ok_files):
    from django.db.models import Count
    from django_scopes import scopes_disabled
    from pretix.base.models import Checkin

    sent = set(open(sent_file).read().split())
    ok = []
    for name in ok_files:
        with open(name) as f:
            ok += f.read().split()
    with scopes_disabled():
        rows = Checkin.all.filter(successful=True)
        checked = set(rows.values_list("position__secret", flat=True))
        twice = (
            rows.values("position_id", "list_id", "type")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        failed = Checkin.all.filter(successful=False).count()
        total = rows.count()
    return {
        "ok_answers": len(ok),
        "ok_distinct": len(set(ok)),
        "checkin_rows": total,
        "checked_positions": len(checked),
        "ok_without_row": len(set(ok) - checked),
        "rows_without_ok": len(checked - set(ok)),
        "rows_not_sent": len(checked - sent),
        "positions_twice": twice,
        "failed_rows": failed,
    }


def queries(organizer, list_id, token, secrets_):
    """Redeem each secret in turn; the SQL statements of the last (the first warms up)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    for secret in secrets_:
        body = json.dumps({"secret": secret, "lists": [list_id], "type": "entry", "nonce": secret})
        with CaptureQueriesContext(connection) as ctx:
            resp = client.post(
                f"/api/v1/organizers/{organizer}/checkinrpc/redeem/",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Device {token}",
            )
        assert resp.status_code == 201 and resp.json()["status"] == "ok", resp.content[:300]
    return {"queries": len(ctx.captured_queries)}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--orders", type=int, default=20_000)
    p.add_argument("--out", required=True)
    p = sub.add_parser("count")
    p.add_argument("--sent", required=True)
    p.add_argument("--ok", nargs="*", default=[])
    p = sub.add_parser("queries")
    p.add_argument("--organizer", required=True)
    p.add_argument("--list", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--secret", nargs="+", required=True)
    args = parser.parse_args()
    django_setup()
    if args.cmd == "setup":
        result = setup(args.orders, args.out)
    elif args.cmd == "count":
        result = count(args.sent, args.ok)
    else:
        result = queries(args.organizer, args.list, args.token, args.secret)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
