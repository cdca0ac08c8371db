"""Door scans under load, against the indexed-get baseline of the same run.

    python -m bench.scan [--duration 10]

gunicorn (2 sync workers, production settings) on loopback, on PostgreSQL when
DATABASE_URL names one, else SQLite; a signed-in station account; each scan a new student
(a JSON POST with its own idempotency key, as the station page sends it). Afterwards every
scan must be recorded exactly once. Target: scans/s ≥ 0.5 × the indexed get's req/s.
"""

import argparse
import http.cookiejar
import re
import urllib.parse
import urllib.request

from bench.common import print_table, row
from bench.lookup import GET_LUA, prepare
from bench.server import bench_env, gunicorn, lua_script, need_wrk, wrk

SCAN_LUA = r"""
local numbers = {}
for line in io.lines("%(data)s") do numbers[#numbers + 1] = line:sub(1, line:find("\t") - 1) end
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  n = 0
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "%(cookies)s"
wrk.headers["X-CSRFToken"] = "%(csrf)s"
request = function()
  local index = %(offset)d + tid + n * %(threads)d + 1
  n = n + 1
  local body = string.format('{"code": "%%s", "key": "bench-%%d"}', numbers[index], index)
  return wrk.format(nil, "/station/%(station)d/scan/", nil, body)
end
response = function(status, headers, body)
  if status ~= 200 then io.stderr:write("scan answered " .. status .. "\n") end
end
"""


def login(base, username, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password}
    ).encode()
    opener.open(urllib.request.Request(base + "/login/", data=body))
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "login failed"
    return cookies


def main(duration=10, threads=2):
    need_wrk()
    data, _first = prepare()
    from sessions.management.commands.seed_demo import DEMO_PASSWORD
    from sessions.models import Capture, CaptureLog, Station

    station = Station.objects.get(name="北门-1")
    with gunicorn(bench_env()) as base:
        cookies = login(base, "station", DEMO_PASSWORD)
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        wrk(base + "/bench/ok", duration=2)
        get = wrk(base, lua_script(GET_LUA % {"data": data}), duration=duration)
        scans = wrk(
            base,
            lua_script(
                SCAN_LUA
                % {
                    "data": data,
                    "cookies": header,
                    "csrf": cookies["csrftoken"],
                    "threads": threads,
                    "station": station.pk,
                    "offset": 0,
                }
            ),
            duration=duration,
            threads=threads,
        )
    logs = CaptureLog.objects.filter(action="photograph").count()
    photographed = Capture.objects.filter(status="photographed").count()
    per_capture = CaptureLog.objects.values("capture_id").distinct().count()
    # wrk stops counting with requests still in flight: those may be recorded too.
    exactly_once = (
        logs == photographed == per_capture
        and scans["requests"] <= logs <= scans["requests"] + 16
        and not scans["errors"]
    )
    table = [
        row("indexed get + template: req/s", get["rps"], get["rps"], "req/s", "(baseline)"),
        row(
            "scan POST (new student each): scans/s",
            scans["rps"],
            get["rps"],
            "req/s",
            "≥ 0.5×",
            ("min", 0.5),
        ),
        row("indexed get: p99 (ms)", get["p99"], get["p99"], "ms", "(baseline)"),
        row("scan POST: p99 (ms)", scans["p99"], get["p99"], "ms", "(info)"),
    ]
    return table, {
        "requests": scans["requests"],
        "non_2xx": scans["errors"],
        "logs": logs,
        "photographed": photographed,
        "exactly_once": exactly_once,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    table, check = main(args.duration)
    import os

    db = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    print_table(table, f"Door scans under load ({db}, gunicorn -w 2, wrk -t2 -c16)")
    print(
        f"scans sent {check['requests']}, non-2xx {check['non_2xx']}, log rows {check['logs']}, "
        f"photographed {check['photographed']}: "
        f"{'every scan recorded exactly once' if check['exactly_once'] else 'MISMATCH'}"
    )
