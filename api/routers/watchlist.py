"""The watchlist in force: GET /v1/watchlist and POST /v1/watchlist/reload."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Depends, Request

from api.deps import KeyFirstRoute, holder_of, role, sees_everything
from api.models import PROTECTED, errors

router = APIRouter(route_class=KeyFirstRoute, responses=errors(*PROTECTED), tags=["watchlist"])


def without_paths(value: Any) -> Any:
    """The watchlist description less the server's file system: `path` keys and absolute paths go."""
    if isinstance(value, dict):
        return {k: without_paths(v) for k, v in value.items()
                if k != "path" and not (isinstance(v, str) and _is_path(v))}
    if isinstance(value, list):
        return [without_paths(v) for v in value if not (isinstance(v, str) and _is_path(v))]
    return value


def _is_path(text: str) -> bool:
    return text.startswith(("/", "~", "file:")) or PurePath(text).is_absolute() or "\\\\" in text


@router.get("/v1/watchlist", dependencies=[Depends(role("screener"))])
def watchlist(request: Request) -> dict:
    """The watchlist in force: id, version (content hash), counts and sources (file paths for admin keys only)."""
    info = holder_of(request).get().info()
    return info if sees_everything(request) else without_paths(info)


@router.post("/v1/watchlist/reload", dependencies=[Depends(role("admin"))])
def reload(request: Request) -> dict:
    """Load the artifact file again now (after `screen watchlist update`); the old one serves until ready."""
    holder = holder_of(request)
    old = holder.get().watchlist.version
    holder.load()
    return {"previous_version": old, "version": holder.get().watchlist.version}
