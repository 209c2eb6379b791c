"""The schema of release 0.1 (the baseline: a 0.1 database is stamped at this revision).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.String(), nullable=False),
        sa.Column("uscc", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inspector_id", "uscc", name="uq_conflict"),
    )
    with op.batch_alter_table("conflict", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conflict_inspector_id"), ["inspector_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conflict_uscc"), ["uscc"], unique=False)

    op.create_table(
        "enterprise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("district", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("credit", sa.String(), nullable=False),
        sa.Column("risk", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("industry", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("tags", sa.String(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprise_district"), ["district"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprise_uscc"), ["uscc"], unique=True)

    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("inspector_ids", sa.String(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uscc", "date", "kind", "inspector_ids", name="uq_history"),
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_draw_id"), ["draw_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_uscc"), ["uscc"], unique=False)

    op.create_table(
        "inspector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("district", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("cert_valid_until", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("specialties", sa.String(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inspector", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspector_inspector_id"), ["inspector_id"], unique=True)

    op.create_table(
        "ledger",
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("sequence"),
        sa.UniqueConstraint("hash"),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("task", sa.String(), nullable=False),
        sa.Column("policy_json", sa.Text(), nullable=False),
        sa.Column("filters_json", sa.Text(), nullable=False),
        sa.Column("departments_json", sa.Text(), nullable=False),
        sa.Column("commitment", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_commitment"), ["commitment"], unique=False)

    op.create_table(
        "positive_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uscc", "start", name="uq_positive_list"),
    )
    with op.batch_alter_table("positive_list", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_positive_list_uscc"), ["uscc"], unique=False)

    op.create_table(
        "draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("task", sa.String(), nullable=False),
        sa.Column("seed", sa.String(), nullable=False),
        sa.Column("redraw_of", sa.Integer(), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("manifest_sha256", sa.String(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draw_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_draw_sequence"), ["sequence"], unique=False)
        batch_op.create_index(batch_op.f("ix_draw_task"), ["task"], unique=False)

    op.create_table(
        "plan_file",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
        ),
        sa.PrimaryKeyConstraint("plan_id", "name"),
    )
    op.create_table(
        "draw_file",
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["draw.id"],
        ),
        sa.PrimaryKeyConstraint("draw_id", "name"),
    )
    op.create_table(
        "draw_firm",
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("district", sa.String(), nullable=False),
        sa.Column("stratum", sa.String(), nullable=False),
        sa.Column("inspector_ids", sa.String(), nullable=False),
        sa.Column("inspector_names", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["draw.id"],
        ),
        sa.PrimaryKeyConstraint("draw_id", "uscc"),
    )
    op.create_table(
        "result",
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("result", sa.String(), nullable=False),
        sa.Column("measures", sa.String(), nullable=False),
        sa.Column("inspector_ids", sa.String(), nullable=False),
        sa.Column("deviates", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["draw.id"],
        ),
        sa.PrimaryKeyConstraint("draw_id", "uscc"),
    )


def downgrade() -> None:

    op.drop_table("result")
    op.drop_table("draw_firm")
    op.drop_table("draw_file")
    op.drop_table("plan_file")
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draw_task"))
        batch_op.drop_index(batch_op.f("ix_draw_sequence"))
        batch_op.drop_index(batch_op.f("ix_draw_period"))

    op.drop_table("draw")
    with op.batch_alter_table("positive_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positive_list_uscc"))

    op.drop_table("positive_list")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_commitment"))

    op.drop_table("plan")
    op.drop_table("ledger")
    with op.batch_alter_table("inspector", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspector_inspector_id"))

    op.drop_table("inspector")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_uscc"))
        batch_op.drop_index(batch_op.f("ix_history_draw_id"))

    op.drop_table("history")
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_uscc"))
        batch_op.drop_index(batch_op.f("ix_enterprise_district"))

    op.drop_table("enterprise")
    with op.batch_alter_table("conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflict_uscc"))
        batch_op.drop_index(batch_op.f("ix_conflict_inspector_id"))

    op.drop_table("conflict")
