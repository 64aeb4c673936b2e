"""One settings object, read from SCREENING_* environment variables once and passed in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import InputError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WATCHLIST = ROOT / "watchlists" / "seed.wl"
DEFAULT_SEEDS = ROOT / "seeds"
# Calibrated on the development set and our own cases: see benchmarks/README.md.
DEFAULT_THRESHOLD = 0.80
DEFAULT_DB_URL = f"sqlite:///{ROOT / 'data' / 'screening.db'}"


@dataclass(frozen=True)
class Settings:
    watchlist: Path = DEFAULT_WATCHLIST
    threshold: float = DEFAULT_THRESHOLD
    limit: int = 10  # hits returned per query
    max_name_length: int = 300
    max_batch: int = 1000  # names per HTTP request
    workers: int = 1  # rapidfuzz cdist threads; -1 uses every core
    threads: int = 2  # screening threads per server worker process (CPU-bound under one GIL: few is faster)
    fast_screen: bool = True  # GET /v1/screen answered by api/fastscreen.py; false: by the FastAPI route alone
    key_cache: float = 1.0  # seconds a server process trusts an API key it read; a key revoked elsewhere then fails
    reload_interval: float = 5.0  # seconds between checks of the artifact file for a swap; 0 turns it off
    sources: Path = ROOT / "watchlists" / "sources.toml"  # list URLs for `screen watchlist update`
    max_shrink: float = 0.2  # an update that shrinks a source by more than this share is refused
    host: str = "127.0.0.1"
    port: int = 8000
    db_url: str = DEFAULT_DB_URL  # audit trail, counterparties, alerts, API keys; sqlite:/// or postgresql+psycopg://
    auth: str = "on"  # "off" serves without API keys, allowed only on 127.0.0.1
    four_eyes: bool = False  # true_match, and clearing an escalated alert, need a second reviewer
    session_idle: float = 1800.0  # web page: a session unused this many seconds ends
    session_max: float = 43200.0  # web page: a session ends this many seconds after sign-in, however used
    max_upload: int = 100 * 1024 * 1024  # bytes of one HTTP request body (uploads, jobs), checked while it streams
    jobs_dir: str = ""  # job inputs and results; "" = a "jobs" directory beside the SQLite file (else data/jobs)
    job_workers: int = 1  # screening jobs run at once per server worker process
    log_format: str = "json"  # `screen serve` logs: json (one object a line, with the request id) or text

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from SCREENING_<FIELD> variables, then explicit overrides (None is ignored)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"SCREENING_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            try:
                kind = type(getattr(cls, f.name))
                if kind is bool:  # bool("false") is True
                    if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                        raise ValueError("expected true or false")
                    values[f.name] = raw.lower() in ("1", "true", "yes", "on")
                    continue
                values[f.name] = Path(raw) if issubclass(kind, Path) else kind(raw)
            except ValueError as exc:
                raise InputError(f"SCREENING_{f.name.upper()}={raw!r}: {exc}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("watchlist", "sources"):
            if key in values:
                values[key] = Path(values[key])  # type: ignore[arg-type]
        return replace(cls(), **values)  # type: ignore[arg-type]
