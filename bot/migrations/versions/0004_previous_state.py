"""The thread's facts before their last change (scoping_threads.previous_state), so "undo"
can put them back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scoping_threads", schema=None) as batch_op:
        # Existing threads: nothing to undo until their facts next change.
        batch_op.add_column(sa.Column("previous_state", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scoping_threads", schema=None) as batch_op:
        batch_op.drop_column("previous_state")
