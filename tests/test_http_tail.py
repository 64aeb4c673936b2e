"""What held GET /v1/screen's slowest answers (issue 14): the audit writers of two server processes polling for
SQLite's write lock, and full garbage-collector passes over a loaded watchlist (benchmarks/README.md, HTTP).

- `Store.writer`: writers that ask take turns on a file lock, across processes and threads, so the next one
  starts when the last ends instead of sleeping between tries for SQLite's lock.
- `api.app.settle_heap`: after each watchlist load a serving process exempts what it holds for its life from the
  collector's passes, and collects what a replaced watchlist left first.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
import time
import weakref
from pathlib import Path

import pytest

from api.app import create_app, settle_heap
from screening.config import DEFAULT_WATCHLIST, Settings
from screening.holder import Holder
from screening.store import Store


def _take_the_lock(db: str, log: str, ready: str) -> None:
    store = Store(f"sqlite:///{db}")
    Path(ready).write_text("waiting")
    with store.writer():
        with open(log, "a") as fh:
            fh.write("child in\n")


def test_writers_of_two_processes_take_turns(tmp_path: Path) -> None:
    db, log, ready = tmp_path / "audit.db", tmp_path / "order.log", tmp_path / "child.ready"
    store = Store(f"sqlite:///{db}")
    ctx = multiprocessing.get_context("spawn")
    with store.writer():
        child = ctx.Process(target=_take_the_lock, args=(str(db), str(log), str(ready)))
        child.start()
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and child.is_alive():
            time.sleep(0.01)
        assert ready.exists(), "the child process never got to the lock"
        time.sleep(0.2)  # room for a lock that does not hold to let the child in
        assert not log.exists(), "the child wrote while this process held the lock"
        with open(log, "a") as fh:
            fh.write("parent out\n")
    child.join(60)
    assert child.exitcode == 0
    assert log.read_text().splitlines() == ["parent out", "child in"]


def test_writers_of_one_process_take_turns(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'audit.db'}")
    inside, most = [0], [0]

    def write() -> None:
        for _ in range(20):
            with store.writer():
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                time.sleep(0.001)
                inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


def test_writer_is_a_no_op_without_a_database_file() -> None:
    store = Store("sqlite://")
    with store.writer(), store.writer():  # in memory: nothing to queue on, and nothing to deadlock
        pass


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_settle_heap_freezes_and_collects_what_a_replaced_watchlist_left() -> None:
    try:
        held = _Cycle()
        gone = weakref.ref(held)
        settle_heap()
        assert gc.get_freeze_count() > 0
        del held  # a cycle exempted by the last settle, now unreachable: a replaced watchlist's objects
        gc.collect()
        assert gone() is not None  # exempt from the collector until the next settle
        settle_heap()
        assert gone() is None
    finally:
        gc.unfreeze()


def test_holder_settles_after_each_load_that_swaps(tmp_path: Path) -> None:
    calls: list[str] = []
    holder = Holder(Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0),
                    after_load=lambda: calls.append(holder.get().watchlist.version))
    svc = holder.load()
    assert calls == [svc.watchlist.version]
    broken = tmp_path / "broken.wl"
    broken.write_bytes(b"not an artifact")
    bad = Holder(Settings(watchlist=broken, reload_interval=0), after_load=lambda: calls.append("bad"))
    with pytest.raises(Exception):  # noqa: B017 - a WatchlistError; the point is no settle for a failed load
        bad.load()
    assert calls == [svc.watchlist.version]


def test_only_a_serving_app_settles_its_heap(tmp_path: Path) -> None:
    settings = Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, auth="off",
                        db_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    from fastapi.testclient import TestClient

    calls: list[int] = []
    real = gc.freeze
    try:
        gc.freeze = lambda: calls.append(1)  # type: ignore[assignment] - counted, not done, in the test process
        with TestClient(create_app(settings, serving=True)) as client:
            assert client.get("/readyz").status_code == 200
        assert calls == [1]
        with TestClient(create_app(settings)) as client:
            assert client.get("/readyz").status_code == 200
        assert calls == [1]
    finally:
        gc.freeze = real  # type: ignore[assignment]
