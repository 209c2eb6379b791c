"""Inspection item catalogue, per-item results and follow-ups (issue 13).

Revision ID: 0005
Revises: 0004 (was 0001; re-chained after main gained 0003 and 0004)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspection_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("legal_basis", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inspection_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_item_name"), ["name"], unique=True)

    op.create_table(
        "item_result",
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(), nullable=False),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("checked", sa.Boolean(), nullable=False),
        sa.Column("problem", sa.Boolean(), nullable=False),
        sa.Column("measures", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["draw_id"], ["draw.id"]),
        sa.PrimaryKeyConstraint("draw_id", "uscc", "item"),
    )

    op.create_table(
        "followup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(), nullable=False),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("evidence", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["draw_id"], ["draw.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draw_id", "uscc", "item", "kind", name="uq_followup"),
    )
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followup_draw_id"), ["draw_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_followup_uscc"), ["uscc"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_uscc"))
        batch_op.drop_index(batch_op.f("ix_followup_draw_id"))
    op.drop_table("followup")
    op.drop_table("item_result")
    with op.batch_alter_table("inspection_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_item_name"))
    op.drop_table("inspection_item")
