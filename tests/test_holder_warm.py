"""A server's service is warm when it is swapped in: its first requests build and decode nothing.

Before, the load screened one warm-up name: that left stage 2's index (a name has fewer pairs than
stage2.TWIN_BELOW), the key postings of every script but Latin and the watchlist's group table unbuilt, and the
first requests of a loaded server queued behind them (one 450 ms build put every connection behind it).
"""

from __future__ import annotations

from screening import ngrams, scripts
from screening.config import DEFAULT_WATCHLIST, Settings
from screening.holder import Holder
from screening.watchlist import Watchlist


def test_load_builds_every_lazy_index_before_the_service_answers() -> None:
    svc = Holder(Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0)).load()
    built = vars(svc.matcher)
    assert "stage2" in built and "skeleton_postings" in built  # cached_property values, set by the load
    assert set(ngrams.KEY_CANDIDATES) <= set(svc.watchlist._key_postings)
    assert set(scripts.KEYED) <= set(svc.matcher._variants)
    assert set(Watchlist.WARM) <= set(vars(svc.watchlist))


def test_warm_names_only_what_the_watchlist_decodes_lazily() -> None:
    # a name in WARM that is not a cached property would be computed and thrown away on every load
    for name in Watchlist.WARM:
        assert hasattr(getattr(Watchlist, name), "attrname"), name
