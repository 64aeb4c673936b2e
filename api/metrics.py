"""Prometheus metrics of one app: requests, latency, screenings, hits, audit writes, jobs, the watchlist.

Each app has its own CollectorRegistry (no module-level state). With several worker processes
(`screen serve --workers N`), set PROMETHEUS_MULTIPROC_DIR to an empty directory before the
server starts (the CLI does it for N > 1): every worker then writes its counters there and
/metrics sums them over the workers, whichever worker answers the scrape. The watchlist and job
gauges are read when scraped (the job counts from the store, shared by every worker).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from screening.holder import Holder
    from screening.jobs import JobRunner
    from screening.service import Result

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class _StateCollector(Collector):
    """Gauges read at scrape time: the watchlist in force and its age, jobs by status."""

    def __init__(self, holder: Holder, jobs: JobRunner | None) -> None:
        self.holder = holder
        self.jobs = jobs

    def collect(self) -> Iterable[Metric]:
        svc = self.holder.service
        info = GaugeMetricFamily("screening_watchlist_info", "The watchlist in force (value 1)",
                                 labels=["id", "version"])
        age = GaugeMetricFamily("screening_watchlist_age_seconds",
                                "Seconds since the artifact in force was written (built_at, else its file time)")
        list_age = GaugeMetricFamily("screening_list_age_seconds", "Seconds since each list's own date, where given",
                                     labels=["source"])
        loaded = GaugeMetricFamily("screening_watchlist_loaded_timestamp_seconds",
                                   "When this process loaded the watchlist in force (Unix time)")
        entities = GaugeMetricFamily("screening_watchlist_entities", "Entities in the watchlist in force")
        if svc is not None:
            wl = svc.watchlist
            info.add_metric([wl.id, wl.version], 1)
            entities.add_metric([], wl.n_entities)
            now = time.time()
            built = _parse_time(wl.header.get("built_at"))
            if built is None and self.holder.stamp is not None:
                built = self.holder.stamp[0] / 1e9
            if built is not None:
                age.add_metric([], max(now - built, 0.0))
            for src in wl.header.get("sources") or []:
                dated = _parse_time(src.get("list_date")) if isinstance(src, dict) else None
                if dated is not None:
                    list_age.add_metric([str(src.get("dataset") or src.get("source"))], max(now - dated, 0.0))
            if self.holder.loaded_at:
                loaded.add_metric([], self.holder.loaded_at)
        yield from (info, age, list_age, loaded, entities)
        if self.jobs is not None:
            jobs = GaugeMetricFamily("screening_jobs", "Screening jobs in the store, by status", labels=["status"])
            try:
                for status, n in self.jobs.counts().items():
                    jobs.add_metric([status], n)
            except Exception:  # noqa: BLE001 - a scrape still answers when the database does not
                pass
            yield jobs


def _parse_time(value: Any) -> float | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    except (TypeError, ValueError):
        return None


class Metrics:
    """The app's metrics; the middleware, the audit hooks and the job runner report to it."""

    def __init__(self, holder: Holder, jobs: JobRunner | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("screening_http_requests", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=r)
        self.in_progress = Gauge("screening_http_requests_in_progress", "HTTP requests being answered, by method",
                                 ["method"], multiprocess_mode="livesum", registry=r)
        self.latency = Histogram("screening_http_request_duration_seconds", "HTTP request latency by route",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.screenings = Counter("screening_screenings", "Names screened and recorded, by channel", ["channel"],
                                  registry=r)
        self.hits = Counter("screening_potential_matches", "Screened names with at least one hit, by channel",
                            ["channel"], registry=r)
        self.audit_write = Histogram("screening_audit_write_seconds",
                                     "Time to commit a request's or chunk's audit records (group commit included)",
                                     buckets=LATENCY_BUCKETS, registry=r)
        self.audit_failures = Counter("screening_audit_write_failures", "Audit writes that failed (no answer sent)",
                                      registry=r)
        self.job_events = Counter("screening_job_events", "Job state changes: started, done, failed, cancelled",
                                  ["event"], registry=r)
        self.job_rows = Counter("screening_job_rows", "Rows screened by jobs", registry=r)
        self._state = _StateCollector(holder, jobs)
        r.register(self._state)

    def screened(self, channel: str, results: list[Result], seconds: float) -> None:
        self.screenings.labels(channel).inc(len(results))
        self.hits.labels(channel).inc(sum(1 for x in results if x.hits))
        self.audit_write.observe(seconds)

    def job_event(self, kind: str, info: dict[str, Any]) -> None:
        if kind == "rows":
            self.job_rows.inc(info.get("rows", 0))
        elif kind == "recorded":
            self.screenings.labels("api-job").inc(info["screened"])
            self.hits.labels("api-job").inc(info["hits"])
            self.audit_write.observe(info["seconds"])
        else:
            self.job_events.labels(kind).inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text: this process's registry, or every worker's summed in multiprocess mode."""
        if not multiprocess():
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        from prometheus_client import multiprocess as mp

        scrape = CollectorRegistry()
        mp.MultiProcessCollector(scrape)
        scrape.register(self._state)
        return generate_latest(scrape), CONTENT_TYPE_LATEST
