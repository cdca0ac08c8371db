"""Student lookup under load, against two baselines served by the same gunicorn.

    python -m bench.lookup [--duration 10]

gunicorn (2 sync workers, production settings, persistent connections) on loopback with a
20,000-student roster; wrk, 2 threads, 16 connections. Each lookup is a POST with its CSRF
token, a different student and a different client address (so the per-address limit is
checked on every request without tripping), answered with the redirect to the student's
page. Baselines in the same run: a bare view returning "ok", and one get() on a unique
index plus a small template. Targets: lookup ≥ 0.7 × the indexed get's requests/s, and
its p99 ≤ 1.5 × the indexed get's p99.
"""

import argparse
import http.cookiejar
import re
import urllib.parse
import urllib.request
from pathlib import Path

from bench.common import print_table, row, setup_django
from bench.server import bench_env, gunicorn, lua_script, need_wrk, wrk

STUDENTS_LUA = r"""
local lines = {}
for line in io.lines("%(data)s") do lines[#lines + 1] = line end
math.randomseed(os.time())
local function pick()
  local line = lines[math.random(#lines)]
  local tab = line:find("\t")
  return line:sub(1, tab - 1), line:sub(tab + 1)
end
"""

GET_LUA = (
    STUDENTS_LUA
    + r"""
request = function()
  local no = pick()
  return wrk.format("GET", "/bench/get/" .. no)
end
"""
)

LOOKUP_LUA = (
    STUDENTS_LUA
    + r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "csrftoken=%(cookie)s"
request = function()
  local no, name = pick()
  local ip = math.random(1, 250) .. "." .. math.random(0, 255) .. "." ..
             math.random(0, 255) .. "." .. math.random(1, 254)
  wrk.headers["X-Forwarded-For"] = ip
  local body = "csrfmiddlewaretoken=%(token)s&student_no=" .. no .. "&name=" .. name
  return wrk.format(nil, "/lookup/", nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("lookup-status-errors %%d\n", summary.errors.status))
end
"""
)


def csrf_pair(base):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/lookup/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    cookie = next(c.value for c in jar if c.name == "csrftoken")
    return cookie, token


def check_lookup(base, cookie, token, number, name):
    """One lookup by hand: it must redirect to a student page (else the bench is void)."""
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "student_no": number, "name": name}
    ).encode()
    req = urllib.request.Request(
        base + "/lookup/",
        data=body,
        headers={
            "Cookie": f"csrftoken={cookie}",
            "X-Forwarded-For": "203.0.113.9",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(req)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302 and exc.headers["Location"].startswith("/s/"), exc.code
        return
    raise AssertionError("lookup did not redirect to the student's page")


def prepare(students=20_000):
    setup_django("lookup")
    from django.core.management import call_command

    from units.models import Student

    call_command("seed_demo", students=students, verbosity=0, stdout=open("/dev/null", "w"))
    # The benchmarks measure plain scans: a student with an attention note would wait for
    # the operator's confirmation instead of being recorded.
    from sessions.models import Capture

    Capture.objects.exclude(attention_note="").update(attention_note="")
    # DEBUG is off: static files are served from the collected, hashed copies.
    call_command("collectstatic", interactive=False, verbosity=0)
    data = Path(lua_script("").parent) / "students.tsv"
    with data.open("w") as f:
        for no, name in Student.objects.values_list("student_no", "name"):
            f.write(f"{no}\t{urllib.parse.quote(name)}\n")
    return data, Student.objects.values_list("student_no", "name").first()


def run(duration=10):
    need_wrk()
    data, (number, name) = prepare()
    results = {}
    with gunicorn(bench_env()) as base:
        cookie, token = csrf_pair(base)
        check_lookup(base, cookie, token, number, name)
        wrk(base + "/bench/ok", duration=2)  # warm both workers up
        results["ok"] = wrk(base + "/bench/ok", duration=duration)
        results["get"] = wrk(base, lua_script(GET_LUA % {"data": data}), duration=duration)
        results["lookup"] = wrk(
            base,
            lua_script(LOOKUP_LUA % {"data": data, "cookie": cookie, "token": token}),
            duration=duration,
        )
    return results


def table(results):
    ok, get, lookup = results["ok"], results["get"], results["lookup"]
    return [
        row("bare view 'ok': req/s", ok["rps"], ok["rps"], "req/s", "(baseline)"),
        row("indexed get + template: req/s", get["rps"], get["rps"], "req/s", "(baseline)"),
        row(
            "lookup POST: req/s vs indexed get",
            lookup["rps"],
            get["rps"],
            "req/s",
            "≥ 0.7×",
            ("min", 0.7),
        ),
        row("lookup POST: req/s vs bare view", lookup["rps"], ok["rps"], "req/s", "(info)"),
        row("indexed get: p50 (ms)", get["p50"], get["p50"], "ms", "(baseline)"),
        row("lookup POST: p50 (ms)", lookup["p50"], get["p50"], "ms", "(info)"),
        row(
            "lookup POST: p99 (ms) vs indexed get",
            lookup["p99"],
            get["p99"],
            "ms",
            "≤ 1.5×",
            ("max", 1.5),
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    results = run(args.duration)
    print_table(table(results), "Student lookup under load (gunicorn -w 2, wrk -t2 -c16)")
    for name, r in results.items():
        print(
            f"{name}: {r['requests']} requests, non-2xx/3xx {r['errors']}, "
            f"socket errors {r['socket_errors']}"
        )
