"""Start gunicorn on loopback, drive it with wrk, read wrk's figures."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def need_wrk():
    if shutil.which("wrk"):
        return
    print("installing wrk (Debian package)…", flush=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL
    )
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL
        )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(argv, env, cwd=ROOT, name="capture"):
    """A gunicorn command line (`argv`, without -b) on a free loopback port, until the block
    ends. Its log goes to a file: a pipe nobody reads fills up (64 KiB, some 600 log lines)
    and then blocks every worker on its next log line. gunicorn 27 opens a control socket
    at one shared path: off, so that several servers can run at once."""
    port = free_port()
    argv = [*argv, "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    if (
        "--no-control-socket"
        in subprocess.run([argv[0], "--help"], capture_output=True, text=True).stdout
    ):
        argv.append("--no-control-socket")
    log = tempfile.NamedTemporaryFile(prefix=f"{name}-gunicorn-", suffix=".log", delete=False)
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(Path(log.name).read_text()[-3000:]) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def gunicorn(env, workers=2):
    """The portal under gunicorn (sync workers, the given environment)."""
    argv = [str(BIN / "gunicorn"), "capture_portal.wsgi", "-w", str(workers), "-k", "sync"]
    with serve(argv, env) as base:
        yield base


def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk(url, script=None, duration=10, connections=16, threads=2, timeout=None, header=None):
    """Run wrk; returns {"rps", "p50", "p99", "requests", "errors", "socket_errors",
    "output"}. `timeout`: e.g. "10s", so that slow answers count in the latency instead of
    being dropped (wrk's default is 2 s)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if timeout:
        cmd += ["--timeout", timeout]
    if script:
        cmd += ["-s", str(script)]
    if header:
        cmd += ["-H", header]
    proc = subprocess.run(cmd + [url], capture_output=True, text=True, check=True)
    out = proc.stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", out)
        result[f"p{pct}"] = _ms(*m.groups())
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = sum(map(int, m.groups())) if m else 0
    result["output"], result["stderr"] = out, proc.stderr
    return result


def lua_script(body):
    path = Path(tempfile.mkdtemp(prefix="capture-wrk-")) / "script.lua"
    path.write_text(body)
    return path


def bench_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env.setdefault("CONN_MAX_AGE", "600")
    env.update(extra or {})
    return env


def psql(sql, db="postgres"):
    """As the local cluster's superuser over its socket (peer authentication)."""
    proc = subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-qAt", "-d", db],
        input=sql,
        text=True,
        capture_output=True,
    )
    if proc.returncode:
        raise SystemExit(f"psql failed: {proc.stderr.strip()}\n{sql}")
    return proc.stdout.strip()


def ensure_postgres(*databases):
    """Start the local PostgreSQL 15 cluster if needed; create the role capture/capture and
    the named databases if missing (idempotent)."""
    if not shutil.which("pg_ctlcluster"):
        raise SystemExit("needs PostgreSQL 15 (Debian: apt-get install postgresql-15)")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"], capture_output=True
    )
    for _ in range(300):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
            break
        time.sleep(0.2)
    else:
        raise SystemExit("PostgreSQL did not come up on 127.0.0.1:5432")
    role = (
        "SELECT 'CREATE ROLE capture LOGIN CREATEDB PASSWORD ''capture''' WHERE NOT EXISTS "
        "(SELECT 1 FROM pg_roles WHERE rolname='capture')\\gexec\n"
    )
    psql(
        role
        + "".join(
            f"SELECT 'CREATE DATABASE {db} OWNER capture' WHERE NOT EXISTS "
            f"(SELECT 1 FROM pg_database WHERE datname='{db}')\\gexec\n"
            for db in databases
        )
    )
