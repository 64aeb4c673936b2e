"""A server's service is warm when it is swapped in: the first batch or the first Arabic name builds nothing."""

from __future__ import annotations

from screening import ngrams
from screening.config import DEFAULT_WATCHLIST, Settings
from screening.holder import Holder


def test_load_builds_every_lazy_index_before_the_service_answers() -> None:
    svc = Holder(Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0)).load()
    built = vars(svc.matcher)
    assert "stage2" in built and "skeleton_postings" in built  # cached_property values, set by the load
    assert set(ngrams.KEY_CANDIDATES) <= set(svc.watchlist._key_postings)
