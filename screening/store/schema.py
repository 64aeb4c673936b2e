"""The tables of the compliance store, as SQLAlchemy Core metadata (migrations create them; this names them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Every watchlist version the service has screened against, with each entity's content hash, so a
# re-screen can tell which entities were added or changed since a counterparty was last screened.
watchlist_versions = Table(
    "watchlist_versions", metadata,
    Column("version", String(64), primary_key=True),
    Column("watchlist_id", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("entities", Integer, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
)

watchlist_entities = Table(
    "watchlist_entities", metadata,
    Column("version", String(64), ForeignKey("watchlist_versions.version"), primary_key=True),
    Column("entity_id", String(200), primary_key=True),
    Column("entity_hash", String(64), nullable=False),
)

# The audit trail: one row per screened name, append-only (triggers refuse UPDATE and DELETE).
screenings = Table(
    "screenings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(36), nullable=False, index=True),
    Column("screened_at", DateTime(timezone=True), nullable=False, index=True),
    Column("caller", String(200), nullable=False),
    Column("channel", String(32), nullable=False),  # api, cli-check, cli-file, api-file, rescreen
    Column("ref", String(200), nullable=True, index=True),
    Column("name", Text, nullable=False),
    Column("attributes", JSON, nullable=False),  # the query as given (country, type, ...) plus channel detail
    Column("watchlist_id", String(64), nullable=False),
    Column("watchlist_version", String(64), nullable=False),
    Column("watchlist_sha256", String(64), nullable=False),
    Column("matcher", String(32), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("status", String(32), nullable=False),  # clear | potential_match | suppressed
    Column("hits", JSON, nullable=False),  # every hit: score, explanation, entity hash, alert id, suppressed
    Column("identity", String(200), nullable=True),  # who: a key's person or system, or the OS user (0002)
)

counterparties = Table(
    "counterparties", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(200), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("country", String(8), nullable=True),
    Column("type", String(16), nullable=True),
    Column("data_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_screened_at", DateTime(timezone=True), nullable=False),
    Column("watchlist_version", String(64), nullable=False, index=True),  # last screened against
    Column("last_screening_id", Integer, nullable=True),
)

alerts = Table(
    "alerts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False, index=True),
    Column("entity_id", String(200), nullable=False),
    Column("entity_hash", String(64), nullable=False),
    Column("data_hash", String(64), nullable=False),  # the counterparty's data when the alert was raised
    Column("entity_name", Text, nullable=False),
    Column("matched_name", Text, nullable=False),
    Column("query_name", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("explanation", JSON, nullable=False),
    Column("watchlist_version", String(64), nullable=False),
    Column("status", String(32), nullable=False, index=True),  # open | escalated | false_positive | true_match
    Column("pending_decision_id", Integer, nullable=True),  # a four-eyes decision awaiting its second reviewer
    Column("previous_alert_id", Integer, ForeignKey("alerts.id"), nullable=True),
    Column("screening_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),  # bumped by every decision (0002)
    UniqueConstraint("counterparty_id", "entity_id", "entity_hash", "data_hash", name="uq_alert_key"),
)

# Disposition history, append-only like the audit trail.
decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False, index=True),
    Column("decision", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("reviewer", String(200), nullable=False),
    Column("caller", String(200), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),  # applied | pending (awaits a second reviewer)
    Column("confirms_id", Integer, nullable=True),
    Column("previous_status", String(32), nullable=False),
    Column("alert_version", Integer, nullable=True),  # the alert version the decision was made on (0002)
    Column("reviewer_note", Text, nullable=True),  # a free-text name given beside the identity; never checked
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),  # the key's first characters, to tell keys apart
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("owner", String(200), nullable=True),  # the one person or system the key belongs to (0002)
    Column("owner_kind", String(16), nullable=True),  # person | system; NULL (older keys): the system of its name
)

rescreen_runs = Table(
    "rescreen_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("caller", String(200), nullable=False),
    Column("watchlist_version", String(64), nullable=False),
    Column("checked", Integer, nullable=False),
    Column("screened", Integer, nullable=False),
    Column("changed_entities", Integer, nullable=False),
    Column("new_alerts", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("full", Boolean, nullable=False),  # some counterparties' old version was unknown: screened in full
)

Index("ix_alerts_pair", alerts.c.counterparty_id, alerts.c.entity_id)

APPEND_ONLY = ("screenings", "decisions")
