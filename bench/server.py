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
def gunicorn(env, workers=2, port=None):
    port = port or free_port()
    cmd = [
        str(BIN / "gunicorn"),
        "capture_portal.wsgi",
        "-w",
        str(workers),
        "-k",
        "sync",
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    # The server's log goes to a file: a pipe nobody reads fills up (64 KiB, some 600 log
    # lines) and then blocks every worker on its next log line.
    log = tempfile.NamedTemporaryFile(prefix="capture-gunicorn-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        for _ in range(200):
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
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk(url, script=None, duration=10, connections=16, threads=2):
    """Run wrk; returns {"rps", "p50", "p99", "requests", "errors"}."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", out)
        result[f"p{pct}"] = _ms(*m.groups())
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = sum(map(int, m.groups())) if m else 0
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
