"""Amendments after the draw (SPEC §7): replacement firms and substitute inspectors.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("uscc", sa.String(), nullable=False),
        sa.Column("inspector_id", sa.String(), nullable=False),
        sa.Column("replacement", sa.String(), nullable=False),
        sa.Column("team", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("ledger_sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["draw_id"], ["draw.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draw_id", "sequence", "uscc", name="uq_amendment"),
    )
    with op.batch_alter_table("amendment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_amendment_draw_id"), ["draw_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_amendment_uscc"), ["uscc"], unique=False)
        batch_op.create_index(batch_op.f("ix_amendment_ledger_sequence"), ["ledger_sequence"], unique=False)


def downgrade() -> None:
    op.drop_table("amendment")
