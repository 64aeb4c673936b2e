"""Decisions bound to identities: key owners, alert versions, the reviewer's note, the audit record's identity.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Only ADD COLUMN (no table rebuild), so the append-only triggers on `screenings` and `decisions` stay.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a key belongs to one person or one system; keys made before this revision belong to a system of their name
    op.add_column("api_keys", sa.Column("owner", sa.String(200), nullable=True))
    op.add_column("api_keys", sa.Column("owner_kind", sa.String(16), nullable=True))
    # bumped by every decision; a four-eyes confirmation must be made on the version the proposal left
    op.add_column("alerts", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("decisions", sa.Column("alert_version", sa.Integer, nullable=True))
    op.add_column("decisions", sa.Column("reviewer_note", sa.Text, nullable=True))  # the old free-text name
    op.add_column("screenings", sa.Column("identity", sa.String(200), nullable=True))


def downgrade() -> None:
    for table, column in (("screenings", "identity"), ("decisions", "reviewer_note"), ("decisions", "alert_version"),
                          ("alerts", "version"), ("api_keys", "owner_kind"), ("api_keys", "owner")):
        op.drop_column(table, column)
