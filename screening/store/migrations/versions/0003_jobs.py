"""Screening jobs: large files screened in the background (POST /v1/jobs), resumable after a restart.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"  # chained 0001 -> 0002 -> 0003 -> 0004 (written against 0001)
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("caller", sa.String(200), nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("input_path", sa.Text, nullable=False),
        sa.Column("output_path", sa.Text, nullable=False),
        sa.Column("rows_done", sa.Integer, nullable=False),
        sa.Column("rows_total", sa.Integer, nullable=True),
        sa.Column("clear", sa.Integer, nullable=False),
        sa.Column("potential_match", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("watchlist_version", sa.String(64), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("run_started_at", TS, nullable=True),
        sa.Column("run_rows_start", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False, index=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("heartbeat_at", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("jobs")
