"""Result.recorded_sequence: the ledger entry of the import that last changed a result.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: results recorded before it existed have no known sequence and keep the earlier
    # rule (published once a publication named the firm).
    with op.batch_alter_table("result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_sequence", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("result", schema=None) as batch_op:
        batch_op.drop_column("recorded_sequence")
