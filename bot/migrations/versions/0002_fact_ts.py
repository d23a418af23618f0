"""Which message set each fact (scoping_threads.fact_ts), so a message read out of order
doesn't overwrite what a later message said.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scoping_threads", schema=None) as batch_op:
        # Existing threads: nothing known about their facts' messages, so none is "later".
        batch_op.add_column(
            sa.Column(
                "fact_ts",
                sa.JSON(none_as_null=True),
                nullable=False,
                server_default=sa.text("'{}'"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("scoping_threads", schema=None) as batch_op:
        batch_op.drop_column("fact_ts")
