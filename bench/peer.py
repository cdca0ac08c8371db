"""The portal's door scan against a peer: pretix's check-in redeem, same machine, same run.

    make bench-peer        (python -m bench.peer [--duration 10] [--rounds 2])

What it measures. One request = one door scan of a ticket not scanned before, authenticated
by a device token in the Authorization header, answered once the scan is recorded:

- pretix 2026.8.0: `POST /api/v1/organizers/<org>/checkinrpc/redeem/` with
  `{"secret", "lists": [<id>], "type": "entry", "nonce"}` and `Authorization: Device <token>`,
  20,000 paid orders of one position each, one check-in list.
- the portal: `POST /station/api/scan/` with `{"code": <student_no>, "key", "station"}` and
  `Authorization: Device <token>`, a roster of 40,000 students with captures, the exit door
  ("北门-1"). Beside it, on the same server, the indexed-get baseline of bench/lookup.py.

How. Both on the local PostgreSQL 15 (role capture/capture), each in its own database:
`bench_pretix` holds pretix's migrated, empty schema (migrated once, ~2 min, and again only
when `migrate --check` finds it behind) and is copied to `bench_pretix_run` for each run, which
then gets fresh orders (bench/peer_pretix.py, run by pretix's interpreter); `bench_peer_portal`
is dropped and recreated each run. pretix runs from its own virtual environment (.venv-peer,
made here on first use, with a `.gitignore` of `*` so git leaves it alone) and a `pretix.cfg`
there: PostgreSQL, no Redis (pretix then uses its dummy cache), no Celery (tasks run inline),
DEBUG off. Each server is gunicorn `-w 2 -k sync --no-control-socket` on loopback, driven by
`wrk -t2 -c16 -d10s --timeout 10s --latency`. The servers take turns (pretix, portal, pretix,
portal: one up at a time); each turn starts cold, so a GET warms its workers, then a 3 s run of
the scan script; the portal's turn also measures the indexed get. Figures: the rounds' means.
Each request names the next row of a data file, so no ticket is scanned twice; the wrk script
writes each ticket answered as recorded (pretix: the position's secret in the "ok" answer; the
portal: the capture_id of the green answer) to a file.

Checked afterwards (a failure exits non-zero): every ticket answered as recorded has exactly
one successful check-in / "photograph" log row, no ticket has two, rows without an answer (wrk
stops with up to one request per connection in flight) are at most 16 per wrk run and belong
to tickets that were sent, and no answer was other than "ok"/green. Targets (reported, not
enforced): the portal's scans/s ≥ 6 × pretix's redeems/s, its p99 ≤ 1/6 of pretix's p99.

Facts (2 cores, the team's toolchain notes): pretix about 28–31 redeems/s, p99 640–760 ms on a
quiet machine. Each redeem also updates the check-in list's row (`CheckinList.touch` in
`Checkin.save`), so concurrent redeems on one list queue on that row. Each side's SQL
statements per request are counted here with Django's test client, warm (pretix: 26; the notes
counted 20). Two cores: anything else busy on the machine lowers both sides' figures.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import print_table, row
from bench.server import bench_env, ensure_postgres, need_wrk, psql, serve, wrk

ROOT = Path(__file__).resolve().parent.parent
PEER_VENV = ROOT / ".venv-peer"
PEER_PYTHON = PEER_VENV / "bin" / "python"
PRETIX_REQUIREMENT = "pretix==2026.8.*"
PRETIX_CFG = PEER_VENV / "pretix.cfg"
PG = {"user": "capture", "password": "capture", "host": "127.0.0.1", "port": 5432}
PRETIX_SCHEMA_DB = "bench_pretix"  # migrated, never holds data: the template of each run
PRETIX_DB = "bench_pretix_run"
PORTAL_DB = "bench_peer_portal"
ORDERS = 20_000
STUDENTS = 40_000
THREADS, CONNECTIONS = 2, 16

# One request per row of the data file (first column), never the same row twice within a run.
# Each thread writes the tickets answered as recorded to its own file; `done` reports how
# many rows past `offset` the run used, so that the next run starts after them.
SCAN_LUA = r"""
local rows = {}
for line in io.lines("%(data)s") do rows[#rows + 1] = line:match("^[^\t]+") end
local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end
function init(args)
  n = 0
  bad = 0
  out = io.open(string.format("%(okdir)s/ok-%(run)s-%%d.txt", tid), "w")
  out:setvbuf("line")
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Device %(token)s"
request = function()
  local index = %(offset)d + tid + n * %(threads)d
  n = n + 1
  local body = string.format('%(body)s', rows[index %% #rows + 1], index)
  return wrk.format(nil, "%(path)s", nil, body)
end
response = function(status, headers, body)
  local code = %(recorded)s
  if code then
    out:write(code, "\n")
  else
    bad = bad + 1
    if bad <= 3 then io.stderr:write(status .. " " .. body:sub(1, 300) .. "\n") end
  end
end
function done(summary, latency, requests)
  local used, bad = 0, 0
  for _, t in ipairs(threads) do
    local n = t:get("n")
    if n > 0 then used = math.max(used, t:get("tid") + (n - 1) * %(threads)d + 1) end
    bad = bad + t:get("bad")
  end
  io.write(string.format("rows-used %%d\nnot-recorded %%d\n", used, bad))
end
"""

# Lua expressions: the ticket a response answers as recorded, or nil.
PRETIX_RECORDED = (
    'status == 201 and body:find(\'"status": *"ok"\') and body:match(\'"secret": *"([^"]+)"\')'
)
PORTAL_RECORDED = (
    'status == 200 and body:find(\'"outcome": *"green"\') and body:match(\'"capture_id": *(%d+)\')'
)


def sh(cmd, **kwargs):
    return subprocess.run(cmd, check=True, **kwargs)


# --- PostgreSQL ---------------------------------------------------------------------------


def recreate_db(name, template=None):
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {name} OWNER capture" + (f" TEMPLATE {template}" if template else ""))


def pg_url(db):
    return f"postgres://{PG['user']}:{PG['password']}@{PG['host']}:{PG['port']}/{db}"


# --- pretix -------------------------------------------------------------------------------


def ensure_pretix_venv():
    """pretix in its own virtual environment, made on first use (about a minute)."""
    stamp = PEER_VENV / ".installed"
    if stamp.exists() and stamp.read_text().strip() == PRETIX_REQUIREMENT:
        return
    print(f"installing {PRETIX_REQUIREMENT} into {PEER_VENV} …", flush=True)
    if not PEER_PYTHON.exists():
        sh(["python3.11", "-m", "venv", str(PEER_VENV)])
    (PEER_VENV / ".gitignore").write_text("*\n")  # as Python 3.13's venv writes it
    sh(
        [str(PEER_VENV / "bin/pip"), "install", "--quiet", "--disable-pip-version-check"]
        + [PRETIX_REQUIREMENT, "gunicorn>=23"]
    )
    stamp.write_text(PRETIX_REQUIREMENT + "\n")


def write_pretix_cfg(db):
    data = PEER_VENV / "data"
    data.mkdir(exist_ok=True)
    PRETIX_CFG.write_text(
        "[pretix]\n"
        "instance_name=bench\n"
        "url=http://127.0.0.1\n"
        f"datadir={data}\n"
        "currency=EUR\n"
        "ecb_rates=False\n\n"
        "[database]\n"
        "backend=postgresql\n"
        f"name={db}\n"
        f"user={PG['user']}\n"
        f"password={PG['password']}\n"
        f"host={PG['host']}\n"
        f"port={PG['port']}\n\n"
        "[django]\n"
        "debug=False\n"
    )


def pretix_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))}
    env.pop("DATABASE_URL", None)
    env["PRETIX_CONFIG_FILE"] = str(PRETIX_CFG)
    return env


def pretix(*args, capture=True):
    """Run pretix's interpreter (cwd: .venv-peer, so nothing is written into the checkout)."""
    proc = subprocess.run(
        [str(PEER_PYTHON), *args],
        cwd=PEER_VENV,
        env=pretix_env(),
        text=True,
        capture_output=capture,
    )
    if proc.returncode and capture:
        sys.stderr.write((proc.stdout or "")[-3000:] + (proc.stderr or "")[-3000:])
    return proc


def prepare_pretix(workdir):
    """Migrated schema (kept between runs) → a fresh copy → organizer, event, orders, device."""
    write_pretix_cfg(PRETIX_SCHEMA_DB)
    if pretix("-m", "pretix", "migrate", "--check").returncode:
        print("migrating pretix's schema (about 300 migrations, ~2 min, once) …", flush=True)
        if pretix("-m", "pretix", "migrate", "--noinput", capture=False).returncode:
            raise SystemExit("pretix migrate failed")
    recreate_db(PRETIX_DB, template=PRETIX_SCHEMA_DB)
    write_pretix_cfg(PRETIX_DB)
    secrets = workdir / "pretix-secrets.txt"
    proc = pretix(
        str(ROOT / "bench/peer_pretix.py"), "setup", "--orders", str(ORDERS), "--out", str(secrets)
    )
    if proc.returncode:
        raise SystemExit("pretix data set-up failed")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["data"] = secrets
    return info


# --- servers and wrk ------------------------------------------------------------------------


def run_wrk(url, script=None, duration=10, header=None):
    """bench.server.wrk with the peer's connections and a 10 s timeout (a slow answer counts
    in the latency instead of being dropped), plus the counts the scan scripts print."""
    result = wrk(
        url,
        script,
        duration=duration,
        connections=CONNECTIONS,
        threads=THREADS,
        timeout="10s",
        header=header,
    )
    for key in ("rows-used", "not-recorded"):
        m = re.search(rf"^{key} (\d+)$", result["output"], re.M)
        result[key.replace("-", "_")] = int(m.group(1)) if m else 0
    if result["stderr"].strip():
        print("  wrk script: " + result["stderr"].strip().replace("\n", "\n  wrk script: ")[:900])
    return result


class ScanDriver:
    """Writes one wrk script per run, each starting past the rows used before."""

    def __init__(self, workdir, side, data, token, path, body, recorded):
        self.workdir, self.side, self.data = workdir, side, data
        self.token, self.path, self.body, self.recorded = token, path, body, recorded
        self.rows = len(Path(data).read_text().splitlines()) - 2  # the last two: SQL probes
        self.offset = 0
        self.runs = 0
        self.results = []

    def run(self, base, duration):
        self.runs += 1
        script = self.workdir / f"{self.side}-{self.runs}.lua"
        script.write_text(
            SCAN_LUA
            % {
                "data": self.data,
                "okdir": self.workdir,
                "run": f"{self.side}-{self.runs}",
                "token": self.token,
                "offset": self.offset,
                "threads": THREADS,
                "body": self.body,
                "path": self.path,
                "recorded": self.recorded,
            }
        )
        result = run_wrk(base, script, duration)
        # Let the requests wrk left in flight finish before anything else is measured.
        time.sleep(min(10, max(1, 2 * CONNECTIONS / max(result["rps"], 1))))
        self.offset += result["rows_used"]
        if self.offset > self.rows:
            raise SystemExit(f"{self.side}: {self.offset} requests for {self.rows} rows")
        self.results.append(result)
        return result

    def sent(self):
        """The tickets of every request made so far (the first `offset` rows)."""
        lines = Path(self.data).read_text().splitlines()[: self.offset]
        return [line.split("\t", 1)[0] for line in lines]

    def answered(self):
        codes = []
        for path in self.workdir.glob(f"ok-{self.side}-*.txt"):
            codes += path.read_text().split()
        return codes


# --- the portal ---------------------------------------------------------------------------


def prepare_portal():
    """A fresh database, the notice fixture, 40,000 students (bench/lookup.py's prepare)."""
    recreate_db(PORTAL_DB)
    os.environ["DATABASE_URL"] = pg_url(PORTAL_DB)
    from bench.lookup import prepare

    data, _first = prepare(STUDENTS)
    from capture_portal.actors import Actor
    from sessions.models import Station
    from sessions.services.devices import device_create

    station = Station.objects.get(name="北门-1")
    _device, token = device_create(actor=Actor.system(), station_id=station.pk, name="bench")
    return data, station, token


def portal_queries(station, token, code):
    """SQL statements of one scan, through Django's test client on the same database.
    Returns (queries, the capture it recorded)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    body = json.dumps({"code": code, "key": f"bench-sql-{code}", "station": station.pk})
    with CaptureQueriesContext(connection) as ctx:
        resp = Client().post(
            "/station/api/scan/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Device {token}",
            HTTP_HOST="127.0.0.1",
        )
    answer = resp.json() if resp.status_code == 200 else {}
    if answer.get("outcome") != "green":
        raise SystemExit(f"portal scan probe: {resp.status_code} {resp.content[:300]!r}")
    return len(ctx.captured_queries), answer["capture_id"]


def check_portal(answered, sent):
    """Every capture answered green has exactly one "photograph" row, none has two, and every
    row is a student that was sent. `answered`: capture ids; `sent`: student numbers."""
    from django.db.models import Count

    from sessions.models import CaptureLog

    logs = CaptureLog.objects.filter(action="photograph")
    rows = list(logs.values_list("capture_id", "capture__student__student_no"))
    twice = logs.values("capture_id").annotate(n=Count("id")).filter(n__gt=1).count()
    green = {int(c) for c in answered}
    captures = {c for c, _ in rows}
    return {
        "green_answers": len(answered),
        "green_distinct": len(green),
        "log_rows": len(rows),
        "green_without_row": len(green - captures),
        "rows_without_green": len(captures - green),
        "rows_not_sent": sum(1 for _, no in rows if no not in sent),
        "captures_twice": twice,
    }


# --- the run ------------------------------------------------------------------------------


def mean(results, key):
    return sum(r[key] for r in results) / len(results)


def probe_sql(info, station, token, data):
    """Each side's SQL statements per request, through Django's test client: two requests
    each (the first warms up), on the data files' last two rows, which wrk never reaches.
    Returns the counts and the probed tickets (they are recorded: they count as answered)."""
    secrets_ = Path(info["data"]).read_text().split()[-2:]
    students = [line.split("\t", 1)[0] for line in Path(data).read_text().splitlines()[-2:]]
    args = ["--organizer", info["organizer"], "--list", str(info["list"])]
    args += ["--token", info["token"], "--secret", *secrets_]
    proc = pretix(str(ROOT / "bench/peer_pretix.py"), "queries", *args)
    if proc.returncode:
        raise SystemExit("pretix redeem probe failed")
    pretix_q = json.loads(proc.stdout.splitlines()[-1])["queries"]
    probed = [portal_queries(station, token, no) for no in students]
    counts = {"pretix": pretix_q, "portal": probed[-1][0]}
    return counts, secrets_, students, [capture for _q, capture in probed]


def measure(redeem, scan, info, get_script, duration, rounds, warmup):
    """pretix and the portal in turns, one server up at a time, each turn warmed up first."""
    workers = ["-w", "2", "-k", "sync"]
    pretix_server = (
        [str(PEER_VENV / "bin/gunicorn"), "pretix.wsgi", *workers],
        pretix_env(),
        PEER_VENV,
    )
    portal_server = (
        [str(Path(sys.executable).parent / "gunicorn"), "capture_portal.wsgi", *workers],
        bench_env({"DATABASE_URL": pg_url(PORTAL_DB)}),
        ROOT,
    )
    # Cold workers import pretix's API on their first requests (seconds): a GET first.
    warm_path = f"/api/v1/organizers/{info['organizer']}/events/{info['event']}/"
    warm_header = f"Authorization: Device {info['token']}"
    redeems, scans, gets = [], [], []
    for i in range(1, rounds + 1):
        with serve(*pretix_server, name="pretix") as base:
            run_wrk(base + warm_path, duration=4, header=warm_header)
            redeem.run(base, warmup)
            redeems.append(redeem.run(base, duration))
        with serve(*portal_server, name="portal") as base:
            run_wrk(base + "/bench/ok", duration=2)
            scan.run(base, warmup)
            gets.append(run_wrk(base, get_script, duration))
            scans.append(scan.run(base, duration))
        print(
            f"round {i}: pretix {redeems[-1]['rps']:.1f} redeems/s, portal "
            f"{scans[-1]['rps']:.1f} scans/s, indexed get {gets[-1]['rps']:.1f} req/s",
            flush=True,
        )
    return redeems, scans, gets


def main(duration=10, rounds=2, warmup=3):
    started = time.monotonic()
    need_wrk()
    ensure_postgres(PRETIX_SCHEMA_DB)
    ensure_pretix_venv()
    workdir = Path(tempfile.mkdtemp(prefix="capture-peer-"))
    print("pretix: schema, fresh data …", flush=True)
    info = prepare_pretix(workdir)
    print(f"portal: fresh database, {STUDENTS:,} students …", flush=True)
    data, station, token = prepare_portal()
    queries, probe_secrets, probe_students, probe_captures = probe_sql(info, station, token, data)

    lists = str(info["list"])
    redeem = ScanDriver(
        workdir,
        "pretix",
        info["data"],
        info["token"],
        f"/api/v1/organizers/{info['organizer']}/checkinrpc/redeem/",
        '{"secret": "%s", "lists": [' + lists + '], "type": "entry", "nonce": "bench-%d"}',
        PRETIX_RECORDED,
    )
    scan = ScanDriver(
        workdir,
        "portal",
        data,
        token,
        "/station/api/scan/",
        '{"code": "%s", "key": "bench-%08d", "station": ' + str(station.pk) + "}",
        PORTAL_RECORDED,
    )
    from bench.lookup import GET_LUA

    get_script = workdir / "get.lua"
    get_script.write_text(GET_LUA % {"data": data})
    redeems, scans, gets = measure(redeem, scan, info, get_script, duration, rounds, warmup)

    # Exactly once. wrk leaves at most one request per connection in flight when it stops.
    sent = workdir / "pretix-sent.txt"
    (workdir / "ok-pretix-probe.txt").write_text("".join(f"{c}\n" for c in probe_secrets))
    sent.write_text("".join(f"{code}\n" for code in redeem.sent() + probe_secrets))
    proc = pretix(
        str(ROOT / "bench/peer_pretix.py"),
        "count",
        "--sent",
        str(sent),
        "--ok",
        *map(str, sorted(workdir.glob("ok-pretix-*.txt"))),
    )
    if proc.returncode:
        raise SystemExit("pretix count failed")
    pc = json.loads(proc.stdout.splitlines()[-1])
    sc = check_portal(scan.answered() + probe_captures, set(scan.sent() + probe_students))
    pretix_once = (
        pc["ok_answers"] == pc["ok_distinct"]
        and pc["ok_without_row"] == pc["rows_not_sent"] == pc["positions_twice"] == 0
        and pc["rows_without_ok"] <= CONNECTIONS * redeem.runs
    )
    portal_once = (
        sc["green_answers"] == sc["green_distinct"]
        and sc["green_without_row"] == sc["rows_not_sent"] == sc["captures_twice"] == 0
        and sc["rows_without_green"] <= CONNECTIONS * scan.runs
    )
    not_ok = sum(r["not_recorded"] for r in redeem.results)
    not_green = sum(r["not_recorded"] for r in scan.results)

    p_rps, p_p99 = mean(redeems, "rps"), mean(redeems, "p99")
    s_rps, s_p99 = mean(scans, "rps"), mean(scans, "p99")
    g_rps, g_p99 = mean(gets, "rps"), mean(gets, "p99")
    table = [
        row("pretix check-in redeem: redeems/s", p_rps, p_rps, "req/s", "(peer)"),
        row("pretix check-in redeem: p99 (ms)", p_p99, p_p99, "ms", "(peer)"),
        row("portal device scan: scans/s vs pretix", s_rps, p_rps, "req/s", "≥ 6×", ("min", 6)),
        row("portal device scan: p99 (ms) vs pretix", s_p99, p_p99, "ms", "≤ 1/6", ("max", 1 / 6)),
        row("portal device scan: scans/s vs indexed get", s_rps, g_rps, "req/s", "(info)"),
        row("portal device scan: p99 (ms) vs indexed get", s_p99, g_p99, "ms", "(info)"),
        row("portal indexed get: req/s", g_rps, g_rps, "req/s", "(baseline)"),
    ]
    print_table(
        table,
        f"make bench-peer — PostgreSQL 15, {os.cpu_count()} cores, gunicorn -w 2, "
        f"wrk -t{THREADS} -c{CONNECTIONS} -d{duration}s, {rounds} rounds (means), "
        f"{time.monotonic() - started:.0f} s",
    )
    for i, (r, s, g) in enumerate(zip(redeems, scans, gets, strict=True), 1):
        print(
            f"round {i}: pretix {r['rps']:.1f}/s p50 {r['p50']:.0f} ms p99 {r['p99']:.0f} ms · "
            f"portal {s['rps']:.1f}/s p50 {s['p50']:.1f} ms p99 {s['p99']:.1f} ms · "
            f"get {g['rps']:.1f}/s p99 {g['p99']:.1f} ms"
        )
    print(f"SQL queries per request: pretix redeem {queries['pretix']}, scan {queries['portal']}")
    print(
        f"pretix: {pc['ok_answers']} answered ok, {pc['checkin_rows']} check-ins "
        f"({pc['rows_without_ok']} in flight when wrk stopped), {pc['positions_twice']} twice, "
        f"{not_ok} other answers: "
        + ("each checked in exactly once" if pretix_once else f"MISMATCH {pc}")
    )
    print(
        f"portal: {sc['green_answers']} answered green, {sc['log_rows']} photograph rows "
        f"({sc['rows_without_green']} in flight when wrk stopped), {sc['captures_twice']} twice, "
        f"{not_green} other answers: "
        + ("each recorded exactly once" if portal_once else f"MISMATCH {sc}")
    )
    missed = [r["label"] for r in table if r["met"] is False]
    print("targets not met: " + (", ".join(missed) if missed else "none"))
    shutil.rmtree(workdir, ignore_errors=True)
    if not (pretix_once and portal_once):
        raise SystemExit("exactly-once check failed")
    if not_ok or not_green:
        raise SystemExit("some scans were answered but not recorded: see the wrk script lines")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    main(args.duration, args.rounds)
