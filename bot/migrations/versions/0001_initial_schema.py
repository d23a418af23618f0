"""Initial schema: scoping threads, messages, processed events, Claude usage, price sheet
versions and digest runs.

Column types are spelled with plain SQLAlchemy types (not the application's), so this
migration keeps meaning the same thing when the code changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 06:14:55.421045
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "price_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("sheet", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("sources", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("price_sheets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_sheets_content_hash"), ["content_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_price_sheets_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "processed_events",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "scoping_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("thread_ts", sa.String(), nullable=False),
        sa.Column("started_by", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("facts", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("fact_quotes", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("last_verdict", sa.String(), nullable=True),
        sa.Column("shown_verdict", sa.String(), nullable=True),
        sa.Column("last_decision", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("frontier_model", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'decided', 'closed')", name="ck_thread_status"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "channel_id", "thread_ts"),
    )
    with op.batch_alter_table("scoping_threads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scoping_threads_frontier_model"), ["frontier_model"], unique=False
        )

    op.create_table(
        "claude_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_creation_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_read_input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["scoping_threads.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("claude_usage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claude_usage_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_claude_usage_thread_id"), ["thread_id"], unique=False)

    op.create_table(
        "digest_runs",
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("price_sheet_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('running', 'posted', 'failed')", name="ck_digest_status"),
        sa.ForeignKeyConstraint(
            ["price_sheet_id"],
            ["price_sheets.id"],
        ),
        sa.PrimaryKeyConstraint("period"),
    )
    op.create_table(
        "thread_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("slack_ts", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("extracted_text", sa.Text(), nullable=True),
        sa.Column("extraction", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('user', 'bot')", name="ck_message_role"),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["scoping_threads.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("thread_id", "slack_ts", "role"),
    )
    with op.batch_alter_table("thread_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_thread_messages_thread_id"), ["thread_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("thread_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_messages_thread_id"))

    op.drop_table("thread_messages")
    op.drop_table("digest_runs")
    with op.batch_alter_table("claude_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claude_usage_thread_id"))
        batch_op.drop_index(batch_op.f("ix_claude_usage_created_at"))

    op.drop_table("claude_usage")
    with op.batch_alter_table("scoping_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scoping_threads_frontier_model"))

    op.drop_table("scoping_threads")
    op.drop_table("processed_events")
    with op.batch_alter_table("price_sheets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_sheets_created_at"))
        batch_op.drop_index(batch_op.f("ix_price_sheets_content_hash"))

    op.drop_table("price_sheets")
