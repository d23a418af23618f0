"""Several workloads in one Slack thread (scoping_threads.workload): "new workload" scopes the
next one apart from the first, in the same thread.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0001 left the thread key's unique constraint unnamed: PostgreSQL named it itself, and on
# SQLite a batch rebuild names it by this convention, so either can be dropped by name.
_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
_THREAD_KEY = ["team_id", "channel_id", "thread_ts"]
_NAMED_THREAD_KEY = "uq_scoping_threads_team_id_channel_id_thread_ts"


def _thread_key_name() -> str:
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints("scoping_threads"):
        if constraint["column_names"] == _THREAD_KEY and constraint["name"]:
            return constraint["name"]
    return _NAMED_THREAD_KEY


def upgrade() -> None:
    old_key = _thread_key_name()
    with op.batch_alter_table("scoping_threads", naming_convention=_CONVENTION) as batch_op:
        # Existing threads: each is its thread's first workload.
        batch_op.add_column(sa.Column("workload", sa.Integer(), nullable=False, server_default="1"))
        batch_op.drop_constraint(old_key, type_="unique")
        batch_op.create_unique_constraint("uq_scoping_threads_workload", [*_THREAD_KEY, "workload"])


def downgrade() -> None:
    # Only the newest workload of each thread fits the old key: the others go, with their
    # messages and usage rows' links.
    op.execute(
        "DELETE FROM thread_messages WHERE thread_id IN (SELECT id FROM scoping_threads s "
        "WHERE workload < (SELECT MAX(workload) FROM scoping_threads t WHERE t.team_id = "
        "s.team_id AND t.channel_id = s.channel_id AND t.thread_ts = s.thread_ts))"
    )
    op.execute(
        "UPDATE claude_usage SET thread_id = NULL WHERE thread_id IN (SELECT id FROM "
        "scoping_threads s WHERE workload < (SELECT MAX(workload) FROM scoping_threads t WHERE "
        "t.team_id = s.team_id AND t.channel_id = s.channel_id AND t.thread_ts = s.thread_ts))"
    )
    op.execute(
        "DELETE FROM scoping_threads WHERE workload < (SELECT MAX(workload) FROM scoping_threads "
        "t WHERE t.team_id = scoping_threads.team_id AND t.channel_id = scoping_threads.channel_id "
        "AND t.thread_ts = scoping_threads.thread_ts)"
    )
    with op.batch_alter_table("scoping_threads", naming_convention=_CONVENTION) as batch_op:
        batch_op.drop_constraint("uq_scoping_threads_workload", type_="unique")
        batch_op.create_unique_constraint(_NAMED_THREAD_KEY, _THREAD_KEY)
        batch_op.drop_column("workload")
