"""What changed between the list in force and the last other version the store has screened against."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .store import Store, as_utc
from .store.schema import watchlist_versions
from .watchlist import Watchlist


def last_change(store: Store, watchlist: Watchlist) -> dict[str, Any] | None:
    """Entities added, removed and changed (content hash) since the previous version; None when there is none.

    The previous version is the newest other version recorded in the store (a version is recorded
    the first time a screening is made against it), so this is the change that the alerts and
    re-screening see.
    """
    v = watchlist_versions.c
    with store.connect() as conn:
        row = conn.execute(sa.select(v.version, v.first_seen_at, v.entities).where(v.version != watchlist.version)
                           .order_by(v.first_seen_at.desc()).limit(1)).first()
        if row is None:
            return None
        old = store.version_entities(conn, row.version) or {}
    new = watchlist.linked_hashes
    added = sum(1 for e in new if e not in old)
    removed = sum(1 for e in old if e not in new)
    changed = sum(1 for e, h in new.items() if e in old and old[e] != h)
    first_seen = as_utc(row.first_seen_at)
    return {"from_version": row.version, "to_version": watchlist.version,
            "from_first_used": first_seen.isoformat().replace("+00:00", "Z") if first_seen else None,
            "entities_before": row.entities, "entities_now": len(new), "added": added, "removed": removed,
            "changed": changed, "unchanged": len(new) - added - changed}
