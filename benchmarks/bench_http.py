"""HTTP under load: GET /v1/screen on a real `screen serve` bound to 127.0.0.1, and its cold start.

Run from the repository root:  .venv/bin/python benchmarks/bench_http.py [--quick]

- Starts `screen serve --host 127.0.0.1 --port <free port> --workers 2` on the combined official lists,
  with a throwaway SQLite audit database and one API key (every screening is recorded, as in production).
- Load: wrk (Debian package `wrk`) with 32 connections for 30 s, cycling through 2,000 names of the
  realistic counterparty mix; without wrk, an asyncio httpx generator with the same bound.
  Loopback only, bounded in time; the load generator shares the machine's 2 cores with the server.
- Baseline: the same server's GET /healthz under the same load (the framework's ceiling).
- Cold start: seconds from starting `screen serve` (one worker) until /readyz answers 200, median of runs.
- Repeats: each repeat loads /v1/screen and then /healthz; the table gives the median of the repeats and each
  repeat's ratio to the /healthz of the same repeat (the machine is shared: quote the ratio too).
- Where a request's time goes: each step of a GET /v1/screen measured alone in process (key check, validation,
  screening, response serialisation, audit record one by one and group-committed), and whole requests driven
  through the ASGI app in process (no sockets), one at a time and 32 at once, beside GET /healthz the same way.
  `--db postgresql+psycopg://...` runs the server and the breakdown against PostgreSQL instead of SQLite.
Targets (issue 14): >= 1,500 req/s with audit on, p99 <= 50 ms and 0 errors; cold start <= 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
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

    def __init__(self, watchlist: Path, workers: int, tmp: Path, db_url: str | None = None) -> None:
        self.port = free_port()
        self.env = {**os.environ, "SCREENING_DB_URL": db_url or f"sqlite:///{tmp / 'bench.db'}",
                    "SCREENING_RELOAD_INTERVAL": "0"}
        self.args = [str(SCREEN), "serve", "--host", HOST, "--port", str(self.port), "--workers", str(workers),
                     "--watchlist", str(watchlist)]
        self.log = open(tmp / f"serve-{self.port}.log", "w")  # noqa: SIM115
        self.proc: subprocess.Popen | None = None

    def key(self) -> str:
        subprocess.run([str(SCREEN), "db", "upgrade"], env=self.env, check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run([str(SCREEN), "keys", "create", f"bench-{self.port}"], env=self.env, check=True, capture_output=True,
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


def _per(fn, items) -> float:
    """Mean ms per call of fn over items."""
    items = list(items)
    t = time.perf_counter()
    for x in items:
        fn(x)
    return (time.perf_counter() - t) / len(items) * 1e3


def breakdown(wl_path: Path, names: list[str], db_url: str) -> dict[str, float]:
    """Mean ms of each step of a GET /v1/screen, alone in process, then whole requests through the ASGI app."""
    import logging.config

    from fastapi.encoders import jsonable_encoder
    from pydantic import TypeAdapter

    from screening.config import Settings
    from screening.logs import log_config
    from screening.service import Query, ScreenResponse, Service
    from screening.workflow import RecordJob, Workflow

    settings = Settings(watchlist=wl_path, reload_interval=0, db_url=db_url)
    out: dict[str, float] = {}
    svc = Service(settings)
    svc.screen([Query(name="warm up")])
    wf = Workflow(settings)
    wf.upgrade()
    _, token = wf.create_key(f"breakdown-{os.getpid()}-{time.time_ns()}", "screener")
    has_cache = "key_cache" in {f.name for f in dataclasses.fields(Settings)}
    uncached = Workflow(dataclasses.replace(settings, key_cache=0.0)) if has_cache else wf
    out["key check, a database read (Workflow.authenticate)"] = _per(lambda _: uncached.authenticate(token), range(300))
    if has_cache:
        out["key check, the key cached (Workflow.authenticate)"] = _per(lambda _: wf.authenticate(token), range(300))
    out["query validation (pydantic Query)"] = _per(lambda n: Query(name=n), names)
    queries = [Query(name=n) for n in names]
    resps: list[ScreenResponse] = []
    out["screening one name (Service.screen)"] = _per(lambda q: resps.append(svc.screen([q])), queries)
    adapter = TypeAdapter(ScreenResponse)
    out["response: validate against the model, then json.dumps"] = _per(
        lambda r: json.dumps(jsonable_encoder(adapter.validate_python(r.model_dump()))).encode(), resps)
    out["response: model_dump_json (pydantic's serializer, no validation)"] = _per(lambda r: r.model_dump_json(), resps)
    half = len(resps) // 2
    out["audit record, one transaction each (Workflow.record)"] = _per(
        lambda r: wf.record(svc, r.results, threshold=r.threshold, caller="key:bench", channel="api"), resps[:half])
    rest = resps[half:]
    t = time.perf_counter()
    for i in range(0, len(rest), 32):
        wf.record_many([RecordJob(svc, r.results, r.threshold, "key:bench", "api") for r in rest[i:i + 32]])
    out["audit record, 32 per transaction (Workflow.record_many)"] = (time.perf_counter() - t) / len(rest) * 1e3
    wf.close()

    # whole requests through the app in process: middleware, routing, key check, validation, threads, audit, JSON
    from api.app import create_app

    logging.config.dictConfig(log_config("INFO", "json"))
    devnull = open(os.devnull, "w")  # noqa: SIM115 - the access log lines are formatted and written, to nowhere
    for h in logging.getLogger("screening").handlers:
        h.stream = devnull  # type: ignore[attr-defined]
    app = create_app(settings, warn_auth_off=False)

    async def call(path: str, headers: list[tuple[bytes, bytes]]) -> None:
        p, _, qs = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": p, "raw_path": p.encode(), "query_string": qs.encode(), "root_path": "",
                 "headers": headers, "client": (HOST, 1), "server": (HOST, 80), "state": {}}
        status = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        if status != [200]:
            sys.exit(f"in-process GET {p}: status {status}")

    async def run() -> None:
        async with app.router.lifespan_context(app):
            hz = [(b"host", b"bench")]
            await call("/healthz", hz)
            t = time.perf_counter()
            for _ in range(1000):
                await call("/healthz", hz)
            out["GET /healthz through the app (middleware, routing, access log, metrics)"] = \
                (time.perf_counter() - t) / 1000 * 1e3
            paths = ["/v1/screen?" + urllib.parse.urlencode({"name": n}) for n in names]
            auth = [*hz, (b"authorization", f"Bearer {token}".encode())]
            await call(paths[0], auth)
            t = time.perf_counter()
            for p in paths:
                await call(p, auth)
            out["GET /v1/screen through the app, one at a time (wall)"] = (time.perf_counter() - t) / len(paths) * 1e3
            t, c0 = time.perf_counter(), time.process_time()
            for i in range(0, len(paths), 32):
                await asyncio.gather(*(call(p, auth) for p in paths[i:i + 32]))
            out["GET /v1/screen through the app, 32 at once (wall per request)"] = \
                (time.perf_counter() - t) / len(paths) * 1e3
            out["GET /v1/screen through the app, 32 at once (CPU per request)"] = \
                (time.process_time() - c0) / len(paths) * 1e3

    asyncio.run(run())
    devnull.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3, help="load runs of /v1/screen and /healthz each")
    ap.add_argument("--cold-starts", type=int, default=3)
    ap.add_argument("--db", default=None, help="SCREENING_DB_URL of the server (default: a throwaway SQLite file)")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the in-process breakdown")
    ap.add_argument("--quick", action="store_true", help="10 s of load, 1 repeat, 2 cold starts")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.cold_starts, args.repeats = 10, 2, 1
    args.seconds = min(args.seconds, 120)  # bounded
    args.connections = min(args.connections, 256)
    args.repeats = max(1, min(args.repeats, 9))

    wl_path = combined_watchlist()
    from screening.watchlist import Watchlist

    wl = Watchlist(wl_path)
    from common import listed_names

    names = [n for n, _, _ in counterparties(2000, listed_names(wl), SEED + 2)]
    paths = ["/v1/screen?" + urllib.parse.urlencode({"name": n}) for n in names]
    tool = "wrk" if shutil.which("wrk") else "httpx (wrk not installed: apt-get install -y wrk)"
    backend = "PostgreSQL" if args.db and args.db.startswith("postgresql") else "SQLite"
    print(f"machine: {machine()}")
    print(f"watchlist: {wl_path.name} {wl.version}: {wl.n_entities:,} entities, {wl.n_names:,} names")
    print(f"workload: GET /v1/screen cycling {len(paths)} names (realistic mix), {args.connections} connections, "
          f"{args.seconds} s x {args.repeats} repeats, load by {tool}; server: screen serve --workers {args.workers} "
          f"on {HOST}, audit to {backend}", flush=True)
    results: dict = {"screen": [], "healthz": []}
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        server = Server(wl_path, args.workers, tmp, args.db)
        key = server.key()
        try:
            server.start()

            def load(p: list[str], k: str | None = key) -> dict:
                if shutil.which("wrk"):
                    return wrk(p, server.port, k, args.connections, args.seconds, tmp)
                return httpx_load(p, server.port, k, args.connections, args.seconds)

            load(paths[:50])  # warm-up pass over a few names (bounded like the rest)
            for i in range(args.repeats):
                results["screen"].append(load(paths))
                print(f"  repeat {i + 1}: GET /v1/screen: {results['screen'][-1]}", flush=True)
                results["healthz"].append(load(["/healthz"], None))  # no key: the framework alone
                print(f"  repeat {i + 1}: GET /healthz:   {results['healthz'][-1]}  load average "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
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

        if not args.no_breakdown:
            db = args.db or f"sqlite:///{tmp / 'breakdown.db'}"
            results["in_process_ms"] = breakdown(wl_path, names[:400], db)

    def med(runs: list[dict], key: str) -> float:
        return median([r[key] for r in runs])

    sc, hz = results["screen"], results["healthz"]
    ratios = [s["rps"] / h["rps"] for s, h in zip(sc, hz, strict=True)]
    print(f"\nload average now {os.getloadavg()[0]:.1f}; medians of {len(sc)} repeats")
    print("\n| measure | req/s | p50 ms | p99 ms | errors | target |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| GET /v1/screen | {med(sc, 'rps'):,.0f} | {med(sc, 'p50'):.2f} | {med(sc, 'p99'):.2f} | "
          f"{sum(r['errors'] for r in sc)} | ≥ 1,500 req/s, p99 ≤ 50 ms, 0 errors |")
    print(f"| GET /healthz (framework ceiling, same run) | {med(hz, 'rps'):,.0f} | {med(hz, 'p50'):.2f} | "
          f"{med(hz, 'p99'):.2f} | {sum(r['errors'] for r in hz)} | baseline |")
    print(f"/v1/screen req/s ÷ /healthz req/s of the same repeat: {', '.join(f'{r:.2f}' for r in ratios)} "
          f"(median {median(ratios):.2f})")
    if "in_process_ms" in results:
        print("\nwhere a request's time goes, in process (mean ms per request):")
        for k, v in results["in_process_ms"].items():
            print(f"  {v:8.3f}  {k}")
    print(f"cold start (1 worker) until /readyz 200: median {median(colds):.2f} s of {len(colds)} (target ≤ 2 s)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_http.json").write_text(json.dumps({"machine": machine(), **results}, indent=2))


if __name__ == "__main__":
    main()
