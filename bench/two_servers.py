"""Two app servers sharing one PostgreSQL and one Redis, on loopback.

    python -m bench.two_servers              correctness, then throughput of 2 vs 1
    python -m bench.two_servers --check-only correctness only (CI runs this)

Correctness: a station device paired through server A works on server B, and a revoked
one is refused by both at once; four devices, two on each server, scan the same 200
students at once (each transition recorded exactly once); lookups run on both at once;
the per-address lookup limit is shared (ten tries spread over both servers, the eleventh
refused on either); a photo stored with server A's environment is read through server B's
photo view, from an S3-compatible object store (the one PHOTO_STORAGE=s3 configures, else
moto's server started here). Throughput: scans/s of one
server against two (each a single gunicorn worker), measured in turns (two rounds, each
scan a new student), target ≥ 1.7×.
"""

import argparse
import hashlib
import http.cookiejar
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench.server import bench_env, ensure_postgres, free_port, gunicorn, lua_script, need_wrk, wrk

PG_URL = "postgres://capture:capture@127.0.0.1:5432/capture_two"


@contextmanager
def redis_server():
    if not shutil.which("redis-server"):
        print("installing redis-server (Debian package)…", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "redis-server"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if (
                subprocess.run(
                    ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
                ).stdout.strip()
                == "PONG"
            ):
                break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


class Session:
    """A cookie-holding HTTP client for one server."""

    def __init__(self, base, cookies=None, token=None):
        self.base = base
        self.token = token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )
        self.cookies = dict(cookies or {})

    def request(self, path, data=None, headers=None, json_body=None):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Device {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            response = self.opener.open(req, timeout=30)
            return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf(base):
    s = Session(base)
    html = s.opener.open(base + "/lookup/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return {c.name: c.value for c in s.jar}["csrftoken"], token


ADDRESS_FAILURES = 30  # sessions.views.public.IP_FAILURE_RATE per minute
NUMBER_FAILURES = 20  # sessions.views.public.NUMBER_FAILURE_RATE


def _failed_lookups(a, b, cookie, token, n, number=None, address="198.51.100.7"):
    """n lookups that find nobody, alternating between a and b: their status codes. One
    unknown number each (or the same `number`), all from one address (or each its own)."""
    answers = []
    for i in range(n):
        status, _ = Session(a if i % 2 == 0 else b, {"csrftoken": cookie}).request(
            "/lookup/",
            data={
                "csrfmiddlewaretoken": token,
                "student_no": number or f"20999999{i:04d}",
                "name": "无此人",
            },
            headers={"X-Forwarded-For": address or f"203.0.113.{i % 250}"},
        )
        answers.append(status)
    return answers


def embedded_check():
    """The embedded default (SQLite, no Redis) under one gunicorn with two workers: the
    lookup's limits are counted exactly once whichever worker answers. Returns failures."""
    from bench.common import ROOT

    folder = Path(tempfile.mkdtemp(prefix="capture-embedded-"))
    env = bench_env({"DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}"})
    env.pop("CACHE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (["migrate", "-v0"], ["seed_demo", "--students", "200"]):
        subprocess.run(manage + args, env=env, check=True, capture_output=True)
    failures = []
    with gunicorn(env, workers=2) as base:
        cookie, token = csrf(base)
        by_address = _failed_lookups(base, base, cookie, token, ADDRESS_FAILURES + 1)
        if by_address != [200] * ADDRESS_FAILURES + [429]:
            failures.append(f"embedded: one address answered {by_address}")
        number = "209888880001"  # not among the numbers tried above
        by_number = _failed_lookups(
            base, base, cookie, token, NUMBER_FAILURES + 1, number=number, address=None
        )
        if by_number != [200] * NUMBER_FAILURES + [429]:
            failures.append(f"embedded: one number answered {by_number}")
    print(
        "embedded default, gunicorn -w 2: one address refused after "
        f"{by_address.count(200)} failures, one number after {by_number.count(200)}"
    )
    return failures


def check(a, b, students, station):
    from bench.scan import device_token
    from capture_portal.actors import Actor
    from sessions.models import Capture, CaptureLog, Device
    from sessions.services import device_revoke

    failures = []
    token = device_token(station)
    for base in (a, b):
        status, _ = Session(base, token=token).request("/station/api/status/")
        if status != 200:
            failures.append(f"a paired device is refused by {base} ({status})")
    revoked = device_token(station)
    Session(a, token=revoked).request("/station/api/status/")
    device_revoke(actor=Actor.system(), device_id=Device.objects.latest("id").pk)
    for base in (a, b):
        status, _ = Session(base, token=revoked).request("/station/api/status/")
        if status != 401:
            failures.append(f"a revoked device still works on {base} ({status})")

    numbers = [no for no, _name in students[:200]]
    outcomes, errors = [], []

    def device(base, order, tag):
        s = Session(base, token=device_token(station))
        try:
            for no in order:
                status, body = s.request(
                    "/station/api/scan/", json_body={"code": no, "key": f"{tag}-{no}"}
                )
                outcomes.append(json.loads(body)["outcome"] if status == 200 else status)
        except Exception as exc:  # collected and reported
            errors.append(repr(exc))

    orders = [
        numbers,
        numbers[::-1],
        random.Random(1).sample(numbers, len(numbers)),
        random.Random(2).sample(numbers, len(numbers)),
    ]
    threads = [
        threading.Thread(target=device, args=(server, order, f"dev{i}"))
        for i, (server, order) in enumerate(zip([a, b, a, b], orders, strict=True))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    logs = CaptureLog.objects.filter(action="photograph").count()
    photographed = Capture.objects.filter(status="photographed").count()
    if errors or outcomes.count("green") != 200 or logs != 200 or photographed != 200:
        failures.append(
            f"same 200 students from 4 devices on 2 servers: green "
            f"{outcomes.count('green')}, log rows {logs}, photographed "
            f"{photographed}, errors {errors[:3]}"
        )
    print(
        f"scans: 4 devices × 200 students over 2 servers → {outcomes.count('green')} green, "
        f"{outcomes.count('yellow')} yellow, {logs} log rows, {photographed} photographed"
    )

    cookie, token = csrf(a)
    found = []

    def lookups(base, chunk, offset):
        s = Session(base, {"csrftoken": cookie})
        for i, (no, name) in enumerate(chunk):
            status, _ = s.request(
                "/lookup/",
                data={"csrfmiddlewaretoken": token, "student_no": no, "name": name},
                headers={"X-Forwarded-For": f"10.9.{offset}.{i % 250}"},
            )
            found.append(status)

    chunk = students[200:400]
    threads = [
        threading.Thread(target=lookups, args=(base, chunk[i::2], i))
        for i, base in enumerate([a, b])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if found.count(302) != len(chunk):
        failures.append(f"lookups on both servers: {found.count(302)}/{len(chunk)} found")
    print(f"lookups: {found.count(302)}/{len(chunk)} students found on two servers at once")

    answers = _failed_lookups(a, b, cookie, token, ADDRESS_FAILURES + 1)
    if answers != [200] * ADDRESS_FAILURES + [429]:
        failures.append(f"shared rate limit: answers {answers}")
    print(f"rate limit across servers: {answers.count(200)} tries answered, then {answers[-1]}")
    return failures


PHOTO_BUCKET = "capture-two-servers"


@contextmanager
def photo_store():
    """The environment of an S3 photo store both servers share: PHOTO_STORAGE=s3 with its
    PHOTO_S3_* variables as configured for the run, else moto's S3 server on loopback
    with a new bucket. Yields (extra environment, description)."""
    if os.environ.get("PHOTO_STORAGE") == "s3":
        yield {}, f"S3 bucket {os.environ['PHOTO_S3_BUCKET']} as configured"
        return
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {
            "PHOTO_STORAGE": "s3",
            "PHOTO_S3_BUCKET": PHOTO_BUCKET,
            "PHOTO_S3_ENDPOINT_URL": f"http://{host}:{port}",
            "PHOTO_S3_ACCESS_KEY": "testing",
            "PHOTO_S3_SECRET_KEY": "testing",
            "PHOTO_S3_REGION": "us-east-1",
        }
        _s3_client(env).create_bucket(Bucket=PHOTO_BUCKET)
        yield env, f"moto S3 server at {env['PHOTO_S3_ENDPOINT_URL']}"
    finally:
        server.stop()


def _s3_client(env):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=env.get("PHOTO_S3_ENDPOINT_URL"),
        aws_access_key_id=env.get("PHOTO_S3_ACCESS_KEY"),
        aws_secret_access_key=env.get("PHOTO_S3_SECRET_KEY"),
        region_name=env.get("PHOTO_S3_REGION"),
    )


# Run by `manage.py shell` with server A's environment: a delivered photo for a
# photographed student, saved through the photo storage as A would save it.
STORE_PHOTO = """
import hashlib, io, json, secrets
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from sessions.models import Capture, Photo

capture = Capture.objects.filter(status="photographed", photo__isnull=True).order_by("id").first()
out = io.BytesIO()
Image.new("RGB", (480, 640), (100, 197, 255)).save(out, "JPEG", quality=90, dpi=(300, 300))
data = out.getvalue()
photo = Photo(
    capture=capture, token=secrets.token_urlsafe(24), sha256=hashlib.sha256(data).hexdigest(),
    size=len(data), width=480, height=640, mode="RGB", dpi=300,
    source_name=capture.student.student_no + ".jpg", received_at=timezone.now(),
)
photo.file.save(photo.source_name, ContentFile(data), save=True)
print(json.dumps({"token": photo.token, "name": photo.file.name, "sha256": photo.sha256,
                  "backend": photo.file.storage.__class__.__name__}))
"""

# Run by `manage.py shell` with server B's environment when there is no photo view yet.
READ_PHOTO = """
import hashlib, json
from django.core.files.storage import storages
with storages["photos"].open(%(name)r) as f:
    digest = hashlib.sha256(f.read()).hexdigest()
print(json.dumps({"sha256": digest, "backend": type(storages["photos"]).__name__}))
"""


def _shell(env, code):
    """`manage.py shell -c code` with `env`: the JSON its last line prints."""
    from bench.common import ROOT

    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def photo_check(a, b, env_a, env_b, store):
    """A photo stored through server A (its settings and photo storage) is in the object
    store, and server B reads the same bytes: through the permission-checked photo view,
    signed in as the office, or through its photo storage while that view does not exist.
    Returns failures."""
    from botocore.exceptions import ClientError
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    failures = []
    stored = _shell(env_a, STORE_PHOTO)
    prefix = env_a.get("PHOTO_S3_PREFIX", "photos")
    key = f"{prefix}/{stored['name']}"
    try:
        in_bucket = _s3_client(env_a).get_object(Bucket=env_a["PHOTO_S3_BUCKET"], Key=key)
        if hashlib.sha256(in_bucket["Body"].read()).hexdigest() != stored["sha256"]:
            failures.append(f"photo: {key} in the bucket differs from what A stored")
    except ClientError as exc:
        failures.append(f"photo: {key} is not in the bucket ({exc})")
    try:
        path = reverse("photo", args=[stored["token"]])
    except NoReverseMatch:
        path = None
    if path:
        office = Client()
        office.force_login(get_user_model().objects.get(username="office"))
        cookie = office.cookies[settings.SESSION_COOKIE_NAME].value
        request = urllib.request.Request(
            b + path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # follows redirects
                status, body, final = response.status, response.read(), response.geturl()
        except urllib.error.HTTPError as exc:
            status, body, final = exc.code, b"", exc.url
        read = {"sha256": hashlib.sha256(body).hexdigest(), "answer": f"{status} from {final}"}
        how = f"{path.replace(stored['token'], '<token>')} signed in as the office"
    else:
        read = _shell(env_b, READ_PHOTO % {"name": stored["name"]})
        how = 'storages["photos"].open in a shell with B\'s settings (no photo view yet)'
    ok = stored["backend"] == "S3Storage" and read["sha256"] == stored["sha256"]
    if not ok:
        failures.append(f"photo stored via A ({stored['backend']}) read via B: {read}")
    ok = ok and not failures
    # A configured store is a real one: leave nothing behind there.
    _s3_client(env_a).delete_object(Bucket=env_a["PHOTO_S3_BUCKET"], Key=key)
    print(f"photos: stored via A, read via B: {int(ok)}/1 ({store}; B read through {how})")
    return failures


def throughput(a, b, station, data, students, duration=10, rounds=2):
    """Scans/s of one server, then of both at once, in turns (`rounds` times), each scan a
    student not scanned before. Returns the means."""
    from bench.scan import SCAN_LUA, device_token

    token = device_token(station)

    def script(offset):
        return lua_script(SCAN_LUA % {"data": data, "token": token, "threads": 2, "offset": offset})

    ones, twos = [], []
    free = 2_000  # the first students were scanned by the correctness checks
    for _ in range(rounds):
        single = wrk(a, script(free), duration=duration)
        ones.append(single["rps"])
        # Each server of the pair scans at most as fast as one alone: room for both.
        room = single["requests"] + 500
        free += room
        results = {}

        def run(base, offset, key, results=results):
            results[key] = wrk(base, script(offset), duration=duration, connections=8)

        threads = [
            threading.Thread(target=run, args=(a, free, "a")),
            threading.Thread(target=run, args=(b, free + room, "b")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if max(results["a"]["requests"], results["b"]["requests"]) > room:
            raise SystemExit("a server of the pair outran the single one: widen the gap")
        free += 2 * room
        twos.append(results["a"]["rps"] + results["b"]["rps"])
        if free > students:
            raise SystemExit(f"{free} scans for {students} students: raise the roster")
    one, two = sum(ones) / rounds, sum(twos) / rounds
    turns = ", ".join(f"{o:.0f} → {t:.0f}" for o, t in zip(ones, twos, strict=True))
    print(
        f"scans/s: one server {one:.0f}, two servers {two:.0f} (rounds: {turns}), "
        f"ratio {two / one:.2f} (target ≥ 1.7)"
    )
    return one, two


def main(check_only=False):
    ensure_postgres("capture_two")
    os.environ["DATABASE_URL"] = PG_URL
    from bench.lookup import prepare

    with redis_server() as cache_url, photo_store() as (photo_env, store):
        os.environ["CACHE_URL"] = cache_url
        roster = 2_000 if check_only else 40_000
        data, _first = prepare(students=roster)
        from sessions.models import Station
        from units.models import Student

        students = list(Student.objects.order_by("?").values_list("student_no", "name")[:400])
        station = Station.objects.get(name="北门-1")
        env = bench_env(
            {"CACHE_URL": cache_url, "DATABASE_URL": os.environ["DATABASE_URL"], **photo_env}
        )
        with gunicorn(env, workers=1) as a, gunicorn(env, workers=1) as b:
            failures = check(a, b, students, station) + embedded_check()
            failures += photo_check(a, b, env, env, store)
            if failures:
                print("FAILED:\n  " + "\n  ".join(failures))
                return 1
            print("correctness: passed")
            if not check_only:
                need_wrk()
                throughput(a, b, station, data, roster)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-only", action="store_true")
    sys.exit(main(parser.parse_args().check_only))
