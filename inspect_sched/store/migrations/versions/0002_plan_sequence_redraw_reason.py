"""Plans remember the ledger position they were frozen at; redraws carry a reason.

Revision ID: 0002
Revises: 0001 (issue 11's amendments landed on main first; re-chained so there is one head)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ledger_sequence", sa.Integer(), nullable=True))
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redraw_reason", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.drop_column("redraw_reason")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("ledger_sequence")
