"""Initial compliance store: watchlist versions, audit trail, counterparties, alerts, decisions, API keys.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
APPEND_ONLY = ("screenings", "decisions")


def upgrade() -> None:
    op.create_table(
        "watchlist_versions",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("watchlist_id", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("entities", sa.Integer, nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
    )
    op.create_table(
        "watchlist_entities",
        sa.Column("version", sa.String(64), sa.ForeignKey("watchlist_versions.version"), primary_key=True),
        sa.Column("entity_id", sa.String(200), primary_key=True),
        sa.Column("entity_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(36), nullable=False, index=True),
        sa.Column("screened_at", TS, nullable=False, index=True),
        sa.Column("caller", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(200), nullable=True, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("watchlist_id", sa.String(64), nullable=False),
        sa.Column("watchlist_version", sa.String(64), nullable=False),
        sa.Column("watchlist_sha256", sa.String(64), nullable=False),
        sa.Column("matcher", sa.String(32), nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("hits", sa.JSON, nullable=False),
    )
    op.create_table(
        "counterparties",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ref", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("country", sa.String(8), nullable=True),
        sa.Column("type", sa.String(16), nullable=True),
        sa.Column("data_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_screened_at", TS, nullable=False),
        sa.Column("watchlist_version", sa.String(64), nullable=False, index=True),
        sa.Column("last_screening_id", sa.Integer, nullable=True),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("counterparty_id", sa.Integer, sa.ForeignKey("counterparties.id"), nullable=False, index=True),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("entity_hash", sa.String(64), nullable=False),
        sa.Column("data_hash", sa.String(64), nullable=False),
        sa.Column("entity_name", sa.Text, nullable=False),
        sa.Column("matched_name", sa.Text, nullable=False),
        sa.Column("query_name", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("explanation", sa.JSON, nullable=False),
        sa.Column("watchlist_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("pending_decision_id", sa.Integer, nullable=True),
        sa.Column("previous_alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=True),
        sa.Column("screening_id", sa.Integer, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("counterparty_id", "entity_id", "entity_hash", "data_hash", name="uq_alert_key"),
    )
    op.create_index("ix_alerts_pair", "alerts", ["counterparty_id", "entity_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False, index=True),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("caller", sa.String(200), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("confirms_id", sa.Integer, nullable=True),
        sa.Column("previous_status", sa.String(32), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_table(
        "rescreen_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("caller", sa.String(200), nullable=False),
        sa.Column("watchlist_version", sa.String(64), nullable=False),
        sa.Column("checked", sa.Integer, nullable=False),
        sa.Column("screened", sa.Integer, nullable=False),
        sa.Column("changed_entities", sa.Integer, nullable=False),
        sa.Column("new_alerts", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("full", sa.Boolean, nullable=False),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    """The audit trail and decision history refuse UPDATE and DELETE in the database itself.

    Trigger syntax differs per backend; this is the one place with backend-specific SQL.
    """
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION screening_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION screening_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION screening_append_only()")
    elif dialect == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS screening_append_only()")
    for table in ("rescreen_runs", "api_keys", "decisions", "alerts", "counterparties", "screenings",
                  "watchlist_entities", "watchlist_versions"):
        op.drop_table(table)
