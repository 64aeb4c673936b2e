"""Web page sign-in: user accounts (username + password set by an admin) and server-side sessions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"  # chained 0001 -> 0002 -> 0003 -> 0004, as the integrator chains them
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("person", sa.String(200), nullable=False),  # the identity its decisions are made as
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("password_set_at", TS, nullable=False),
        sa.Column("disabled_at", TS, nullable=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),  # sha256 of the cookie's token: a leaked table opens nothing
        sa.Column("kind", sa.String(8), nullable=False),  # key | user
        sa.Column("principal", sa.String(200), nullable=False),  # the API key's name or the username
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),  # absolute end; idle expiry is counted from last_seen_at
        sa.Column("ended_at", TS, nullable=True),  # signed out
    )
    op.create_index("ix_web_sessions_principal", "web_sessions", ["principal"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_principal", "web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_users")
