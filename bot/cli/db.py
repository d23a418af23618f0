"""`ftscope db upgrade`: the database schema, by Alembic migrations (Fly's release command)."""

from __future__ import annotations

import argparse

from bot.cli.common import Commands, add_command
from bot.settings import get_settings


def register(commands: Commands) -> None:
    parser = commands.add_parser("db", help="the database schema")
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = add_command(
        actions,
        "upgrade",
        cmd_db_upgrade,
        "create or upgrade the schema of DATABASE_URL (Alembic migrations)",
        "Create or upgrade the database schema. Run it before starting a new "
        "version against PostgreSQL (Fly's release command); SQLite is upgraded at start.",
    )
    upgrade.add_argument("revision", nargs="?", default="head", help="default: the newest")


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    # Alembic and SQLAlchemy: only the commands that open the database load them
    from bot.migrate import current_revision, head_revision, upgrade  # noqa: PLC0415
    from bot.storage import make_engine  # noqa: PLC0415

    engine = make_engine(get_settings().database_url)
    try:
        before = current_revision(engine)
        upgrade(engine, args.revision)
        after = current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        print(f"database schema already at {after} (head {head_revision()})")
    else:
        print(f"database schema upgraded: {before or 'empty'} → {after}")
    return 0
