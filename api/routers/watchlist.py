"""The watchlist in force: GET /v1/watchlist and POST /v1/watchlist/reload."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from api.deps import KeyFirstRoute, holder_of, role

router = APIRouter(route_class=KeyFirstRoute, tags=["watchlist"])


@router.get("/v1/watchlist", dependencies=[Depends(role("screener"))])
def watchlist(request: Request) -> dict:
    """The watchlist in force: id, version (content hash), counts and sources."""
    return holder_of(request).get().info()


@router.post("/v1/watchlist/reload", dependencies=[Depends(role("admin"))])
def reload(request: Request) -> dict:
    """Load the artifact file again now (after `screen watchlist update`); the old one serves until ready."""
    holder = holder_of(request)
    old = holder.get().watchlist.version
    holder.load()
    return {"previous_version": old, "version": holder.get().watchlist.version}
