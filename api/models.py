"""The request and response models of the HTTP API (their examples teach the OpenAPI page)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from screening.service import Query


class ScreenRequest(BaseModel):
    queries: list[Query] = Field(
        examples=[[{"name": "Sino Electronics Co., Ltd", "country": "HK", "ref": "CP-0003"}, {"name": "Siemens AG"}]]
    )
    threshold: float | None = Field(default=None, ge=0, le=1, examples=[0.8])
    limit: int | None = Field(default=None, ge=1, le=100, examples=[5])


Decision = Literal["false_positive", "true_match", "escalated"]
Role = Literal["screener", "analyst", "admin"]


class DecisionRequest(BaseModel):
    decision: Decision = Field(examples=["false_positive"])
    note: str = Field(min_length=1, max_length=4000, examples=["Different company: HK registry no. 1234567, "
                                                                "no link to the listed entity"])
    reviewer: str | None = Field(default=None, max_length=200, examples=["A. Analyst"],
                                 description="a note only: the reviewer is always the key's person or system")
    alert_version: int | None = Field(default=None, ge=1, examples=[2],
                                      description="refuse (409) unless the alert is still at this version")


class AlertOut(BaseModel):
    id: int = Field(examples=[12])
    status: str = Field(examples=["open"], description="open | escalated | false_positive | true_match")
    version: int = Field(examples=[1], description="bumped by every decision")
    awaiting_second_review: bool = Field(examples=[False])
    ref: str | None = Field(examples=["CP-0003"])
    counterparty_name: str | None = Field(examples=["Sino Electronics Co., Ltd"])
    query_name: str = Field(examples=["Sino Electronics Co., Ltd"])
    entity_id: str = Field(examples=["seed:sinno-electronics"])
    entity_name: str = Field(examples=["Sinno Electronics"])
    matched_name: str = Field(examples=["Sinno Electronics"])
    score: float = Field(examples=[0.9658])
    entity_hash: str = Field(examples=["d909350bf99d6857"])
    data_hash: str = Field(examples=["a067a19efe7e6f96"])
    watchlist_version: str = Field(examples=["a008f29efd6a8088"])
    previous_alert_id: int | None = Field(examples=[None], description="the earlier alert this one came back from")
    screening_id: int | None = Field(examples=[41], description="the audit record that raised it")
    created_at: str = Field(examples=["2025-11-23T09:29:39Z"])
    updated_at: str = Field(examples=["2025-11-23T09:29:39Z"])


class DecisionOut(BaseModel):
    id: int = Field(examples=[3])
    decision: str = Field(examples=["false_positive"])
    outcome: str = Field(examples=["applied"], description="applied, or pending a second reviewer (four-eyes)")
    note: str = Field(examples=["Different company"])
    reviewer: str = Field(examples=["person:A. Analyst"], description="the identity that decided: person:, "
                          "system: (the key's owner) or user: (the OS user)")
    reviewer_note: str | None = Field(examples=[None], description="a free-text name given with it; never checked")
    caller: str = Field(examples=["key:analyst-1"])
    alert_version: int | None = Field(examples=[1], description="the alert version it was made on")
    decided_at: str = Field(examples=["2025-11-23T09:31:02Z"])
    previous_status: str = Field(examples=["open"])
    confirms_id: int | None = Field(examples=[None], description="the pending decision this one confirms")


class PreviousAlert(AlertOut):
    decisions: list[DecisionOut] = Field(examples=[[]])


class AlertDetail(AlertOut):
    explanation: dict[str, Any] = Field(examples=[{"name_score": 0.97, "matched_tokens": []}])
    counterparty: dict[str, Any] = Field(examples=[{"ref": "CP-0003", "name": "Sino Electronics Co., Ltd",
                                                    "country": "HK", "type": None, "data_hash": "a067a19efe7e6f96"}])
    decisions: list[DecisionOut] = Field(examples=[[]])
    previous_alerts: list[PreviousAlert] = Field(examples=[[]])


class RescreenOut(BaseModel):
    watchlist_version: str = Field(examples=["a008f29efd6a8088"])
    checked: int = Field(examples=[100000], description="counterparties last screened against another version")
    screened: int = Field(examples=[100000])
    changed_entities: int = Field(examples=[512])
    new_alerts: int = Field(examples=[7])
    seconds: float = Field(examples=[41.2])
    full: bool = Field(examples=[False])
    groups: list[dict[str, Any]] = Field(examples=[[{"from_version": "3ae0abb0142bc4a4", "counterparties": 100000,
                                                     "changed_entities": 512, "known": True, "new_alerts": 7}]])
    run_id: int | None = Field(examples=[1])


class KeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["procurement-system"])
    role: Role = Field(examples=["screener"])
    person: str | None = Field(default=None, max_length=200, examples=["A. Analyst"],
                               description="the one person the key belongs to: its decisions are theirs")
    system: str | None = Field(default=None, max_length=200, examples=[None],
                               description="the one system the key belongs to (default: the key's name)")


class KeyOut(BaseModel):
    id: int | None = Field(examples=[2])
    name: str = Field(examples=["procurement-system"])
    role: str = Field(examples=["screener"])
    prefix: str = Field(examples=["sk_Zx81q"], description="the key's first characters")
    owner: str = Field(examples=["A. Analyst"])
    owner_kind: str = Field(examples=["person"], description="person | system")
    identity: str = Field(examples=["person:A. Analyst"], description="who acts with this key")
    created_at: str = Field(examples=["2025-11-23T09:00:00Z"])
    revoked_at: str | None = Field(examples=[None])


class KeyCreated(KeyOut):
    key: str = Field(examples=["sk_Zx81q..."], description="shown once; only its hash is stored")
