"""HTTP under load: GET /v1/screen on a real `screen serve` bound to 127.0.0.1, and its cold start.

Run from the repository root:  .venv/bin/python benchmarks/bench_http.py [--quick]

- Starts `screen serve --host 127.0.0.1 --port <free port> --workers 2` on the combined official lists,
  with a throwaway SQLite audit database and one API key (every screening is recorded, as in production).
- Load: wrk (Debian package `wrk`) with 32 connections for 30 s, cycling through 2,000 names of the
  realistic counterparty mix; without wrk, an asyncio httpx generator with the same bound.
  Loopback only, bounded in time; the load generator shares the machine's 2 cores with the server.
- Baseline: the same server's GET /healthz under the same load (the framework's ceiling).
- Cold start: seconds from starting `screen serve` (one worker) until /readyz answers 200, median of runs.
Targets (issue 5): >= 500 req/s with p99 <= 20 ms and 0 errors; cold start <= 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from common import OUT, SCREEN, SEED, combined_watchlist, counterparties, machine, median  # noqa: E402

HOST = "127.0.0.1"  # the load test targets this machine only


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """`screen serve` in a subprocess with its own audit database and key; stopped by its own pid."""

    def __init__(self, watchlist: Path, workers: int, tmp: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, "SCREENING_DB_URL": f"sqlite:///{tmp / 'bench.db'}", "SCREENING_RELOAD_INTERVAL": "0"}
        self.args = [str(SCREEN), "serve", "--host", HOST, "--port", str(self.port), "--workers", str(workers),
                     "--watchlist", str(watchlist)]
        self.log = open(tmp / f"serve-{self.port}.log", "w")  # noqa: SIM115
        self.proc: subprocess.Popen | None = None

    def key(self) -> str:
        subprocess.run([str(SCREEN), "db", "upgrade"], env=self.env, check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run([str(SCREEN), "keys", "create", "bench"], env=self.env, check=True, capture_output=True,
                             text=True).stdout
        return re.search(r"\bsk_\S+", out).group()

    def start(self, timeout: float = 60) -> float:
        """Start and wait for /readyz 200; the seconds it took."""
        start = time.perf_counter()
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        with httpx.Client(base_url=f"http://{HOST}:{self.port}", timeout=2) as c:
            while time.perf_counter() - start < timeout:
                if self.proc.poll() is not None:
                    sys.exit(f"screen serve exited with {self.proc.returncode}; see {self.log.name}")
                try:
                    if c.get("/readyz").status_code == 200:
                        return time.perf_counter() - start
                except httpx.TransportError:
                    pass
                time.sleep(0.01)
        self.stop()
        sys.exit(f"screen serve not ready in {timeout} s; see {self.log.name}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: the server and its workers only
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def wrk(url_paths: list[str], port: int, key: str | None, connections: int, seconds: int, tmp: Path) -> dict:
    script = tmp / "paths.lua"
    script.write_text(
        "local paths = {" + ",".join(json.dumps(p) for p in url_paths) + "}\n"
        "local i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
    )
    auth = ["-H", f"Authorization: Bearer {key}"] if key else []
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "5s",
                          *auth, "-s", str(script), f"http://{HOST}:{port}"],
                         capture_output=True, text=True, check=True, timeout=seconds + 60).stdout

    def ms(text: str) -> float:
        v, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]

    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    sock = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)),
            "p99": ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)),
            "requests": total, "errors": non2xx + sock, "tool": "wrk"}


def httpx_load(url_paths: list[str], port: int, key: str | None, connections: int, seconds: int) -> dict:
    """The fallback load generator: `connections` concurrent clients in a loop for `seconds`."""
    lat: list[float] = []
    errors = 0

    async def client(n: int, c: httpx.AsyncClient, stop: float) -> None:
        nonlocal errors
        i = n
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                r = await c.get(url_paths[i % len(url_paths)])
                errors += r.status_code >= 300
            except httpx.HTTPError:
                errors += 1
            lat.append((time.perf_counter() - t) * 1e3)
            i += connections

    async def run() -> float:
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits, timeout=5,
                                     headers={"Authorization": f"Bearer {key}"} if key else {}) as c:
            start = time.perf_counter()
            await asyncio.gather(*(client(n, c, start + seconds) for n in range(connections)))
            return time.perf_counter() - start

    elapsed = asyncio.run(run())
    lat.sort()
    return {"rps": len(lat) / elapsed, "p50": lat[len(lat) // 2], "p99": lat[int(0.99 * (len(lat) - 1))],
            "requests": len(lat), "errors": errors, "tool": "httpx"}


def breakdown(wl_path: Path, names: list[str], db: Path) -> dict[str, float]:
    """Mean ms per request of the two things a GET /v1/screen does besides HTTP: screen one name, record it."""
    from screening.config import Settings
    from screening.service import Query, Service

    settings = Settings(watchlist=wl_path, reload_interval=0, db_url=f"sqlite:///{db}")
    svc = Service(settings)
    svc.screen([Query(name="warm up")])
    t = time.perf_counter()
    resps = [svc.screen([Query(name=n)]) for n in names]
    out = {"screen": (time.perf_counter() - t) / len(names) * 1e3}
    try:
        from screening.workflow import Workflow
    except ImportError:
        return out
    wf = Workflow(settings)
    wf.upgrade()
    t = time.perf_counter()
    for r in resps:
        wf.record(svc, r.results, threshold=r.threshold, caller="bench", channel="api")
    out["audit record (SQLite)"] = (time.perf_counter() - t) / len(names) * 1e3
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--cold-starts", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="10 s of load, 2 cold starts")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.cold_starts = 10, 2
    args.seconds = min(args.seconds, 120)  # bounded
    args.connections = min(args.connections, 256)

    wl_path = combined_watchlist()
    from screening.watchlist import Watchlist

    wl = Watchlist(wl_path)
    from common import listed_names

    names = [n for n, _, _ in counterparties(2000, listed_names(wl), SEED + 2)]
    paths = ["/v1/screen?" + urllib.parse.urlencode({"name": n}) for n in names]
    tool = "wrk" if shutil.which("wrk") else "httpx (wrk not installed: apt-get install -y wrk)"
    print(f"machine: {machine()}")
    print(f"watchlist: {wl_path.name} {wl.version}: {wl.n_entities:,} entities, {wl.n_names:,} names")
    print(f"workload: GET /v1/screen cycling {len(paths)} names (realistic mix), {args.connections} connections, "
          f"{args.seconds} s, load by {tool}; server: screen serve --workers {args.workers} on {HOST}, audit to SQLite")
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        server = Server(wl_path, args.workers, tmp)
        key = server.key()
        try:
            server.start()
            def load(p: list[str], k: str | None = key) -> dict:
                if shutil.which("wrk"):
                    return wrk(p, server.port, k, args.connections, args.seconds, tmp)
                return httpx_load(p, server.port, k, args.connections, args.seconds)

            load(paths[:50])  # warm-up pass over a few names (bounded like the rest)
            results["screen"] = load(paths)
            print(f"  GET /v1/screen: {results['screen']}", flush=True)
            results["healthz"] = load(["/healthz"], None)  # no key: the framework alone
            print(f"  GET /healthz:   {results['healthz']}", flush=True)
        finally:
            server.stop()
        colds = []
        for _ in range(args.cold_starts):
            s = Server(wl_path, 1, tmp)
            s.env["SCREENING_DB_URL"] = server.env["SCREENING_DB_URL"]
            try:
                colds.append(s.start())
            finally:
                s.stop()
            print(f"  cold start until /readyz 200: {colds[-1]:.2f} s", flush=True)
        results["cold_start"] = colds

    results["in_process_ms"] = breakdown(wl_path, names[:300], Path(tempfile.mkdtemp()) / "breakdown.db")
    print(f"  in process, per request: {results['in_process_ms']}", flush=True)
    sc, hz = results["screen"], results["healthz"]
    print("\n| measure | req/s | p50 ms | p99 ms | errors | target |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| GET /v1/screen | {sc['rps']:,.0f} | {sc['p50']:.2f} | {sc['p99']:.2f} | {sc['errors']} "
          "| ≥ 500 req/s, p99 ≤ 20 ms, 0 errors |")
    print(f"| GET /healthz (framework ceiling) | {hz['rps']:,.0f} | {hz['p50']:.2f} | {hz['p99']:.2f} | {hz['errors']} "
          "| baseline |")
    print(f"/v1/screen req/s ÷ /healthz req/s: {sc['rps'] / hz['rps']:.2f}")
    print("where a request's time goes, in process (ms): " + ", ".join(
        f"{k} {v:.2f}" for k, v in results["in_process_ms"].items()))
    print(f"cold start (1 worker) until /readyz 200: median {median(colds):.2f} s of {len(colds)} (target ≤ 2 s)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_http.json").write_text(json.dumps({"machine": machine(), **results}, indent=2))


if __name__ == "__main__":
    main()
