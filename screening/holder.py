"""The watchlist holder: the `Service` in force, loaded, swapped atomically, and watched for a new artifact file.

The HTTP server, the CLI and the job runner share it:

    holder = Holder(settings)
    holder.load()                 # raises WatchlistError when the artifact can't be loaded
    svc = holder.get()            # one Service for a whole request or job: one watchlist from start to end
    holder.start_watching()       # a thread that reloads when the artifact file is replaced
    holder.stop_watching()

A reload builds the new service first and swaps the reference only when it is ready; if the new
artifact can't be loaded, the old one stays in force and the error is kept in `last_error`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from .config import Settings
from .errors import ScreeningError, UnavailableError, WatchlistError
from .service import Service

log = logging.getLogger("screening.holder")

__all__ = ["Holder"]


class Holder:
    """The service in force; replaced whole, so a caller holding one sees one watchlist from start to end."""

    def __init__(self, settings: Settings, after_load: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.after_load = after_load  # called once a service is swapped in (a server settles its heap: api/app.py)
        self.service: Service | None = None
        self.stamp: tuple[int, int] | None = None
        self.last_error: str | None = None
        self.loaded_at: float | None = None  # time.time() of the last successful load
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def get(self) -> Service:
        if self.service is None:
            raise UnavailableError("the watchlist is not loaded yet")
        return self.service

    def _stamp(self) -> tuple[int, int]:
        try:
            st = os.stat(self.settings.watchlist)
        except OSError as exc:
            raise WatchlistError(f"{self.settings.watchlist}: cannot read watchlist artifact ({exc.strerror})") from exc
        return st.st_mtime_ns, st.st_ino

    def load(self) -> Service:
        """Load the artifact now and swap it in; on failure the previous service stays and the error is kept."""
        with self._lock:
            try:
                stamp = self._stamp()
                svc = Service(self.settings)
                svc.warm()  # every lazy index and table now, not on the first requests
            except ScreeningError as exc:
                self.last_error = exc.message
                raise
            self.service, self.stamp, self.last_error = svc, stamp, None
            self.loaded_at = time.time()
            if self.after_load is not None:
                self.after_load()
            return svc

    def reload_if_changed(self) -> bool:
        """Reload when the artifact file was replaced; True when a new version was swapped in."""
        try:
            if self._stamp() == self.stamp:
                return False
            self.load()
            log.info("watchlist reloaded: version %s", self.get().watchlist.version)
            return True
        except (ScreeningError, OSError) as exc:
            self.last_error = getattr(exc, "message", str(exc))
            log.error("watchlist reload failed, previous version kept: %s", self.last_error)
            return False

    # ---- the file watch ---------------------------------------------------------------------------

    def start_watching(self, interval: float | None = None) -> None:
        """Check the artifact file every `interval` seconds (default: settings.reload_interval; 0 = never)."""
        interval = self.settings.reload_interval if interval is None else interval
        if interval <= 0 or (self._watcher is not None and self._watcher.is_alive()):
            return
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, args=(interval,), name="watchlist-watch", daemon=True)
        self._watcher.start()

    def stop_watching(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=10)
            self._watcher = None

    def _watch(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.reload_if_changed()
