"""API keys: list, create and revoke them (admin only; a key is shown once and stored as a hash)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import KeyFirstRoute, role, workflow_of
from api.models import PROTECTED, WITH_BODY, KeyCreated, KeyOut, KeyRequest, errors

router = APIRouter(route_class=KeyFirstRoute, responses=errors(*PROTECTED), tags=["keys"])


@router.get("/v1/keys", response_model=list[KeyOut], dependencies=[Depends(role("admin"))])
def list_keys(request: Request) -> list[dict[str, Any]]:
    """API keys: names, roles and prefixes, never the keys."""
    return workflow_of(request).list_keys()


@router.post("/v1/keys", response_model=KeyCreated, status_code=201, responses=errors(*WITH_BODY, 409),
             dependencies=[Depends(role("admin"))])
def create_key(request: Request, body: KeyRequest) -> dict[str, Any]:
    """Create a key; the response holds it once, and only its hash is stored."""
    key, token = workflow_of(request).create_key(body.name, body.role, person=body.person, system=body.system)
    return {**key, "key": token}


@router.delete("/v1/keys/{name}", status_code=204, responses=errors(404),
             dependencies=[Depends(role("admin"))])
def revoke_key(request: Request, name: str) -> Response:
    """Revoke a key; this server worker refuses it from the next request on, the others within SCREENING_KEY_CACHE s."""
    workflow_of(request).revoke_key(name)
    return Response(status_code=204)
