"""The store and the digest job as the settings configure them, for `ftscope serve` and for the
commands that open the database (`prices history`, `digest`, `chat`).

Light on purpose: a command that only reads the database must not import the bot (Bolt,
slack_sdk, APScheduler, the conversation). What each function needs it imports when it runs,
and Alembic loads only when the schema has to change: whether it does is answered by reading
`alembic_version` and the migration files' revision ids, a few milliseconds against the
~150 ms of importing Alembic and running its environment.
"""

from __future__ import annotations

import ast
import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.settings import ConfigError

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from sqlalchemy.engine import Engine

    from bot.prices import PriceBook
    from bot.storage import Store
    from bot.weekly import DigestJob
    from knowledge import Assumptions

log = logging.getLogger(__name__)

VERSIONS = Path(__file__).parent / "migrations" / "versions"


def _assigned(tree: ast.Module, name: str) -> Any:
    """The literal value a migration file assigns to `name` (`revision`, `down_revision`)."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(value)
    raise LookupError(name)


@cache
def head_revision() -> str | None:
    """The newest migration's revision id, read from the files as Alembic would find them;
    None when they don't name exactly one head (then ask Alembic)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        for path in sorted(VERSIONS.glob("*.py")):
            if path.name.startswith("_"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            revisions.add(str(_assigned(tree, "revision")))
            down = _assigned(tree, "down_revision")
            parents.update([down] if isinstance(down, str) else list(down or ()))
    except (OSError, SyntaxError, ValueError, LookupError):
        return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def schema_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at (`alembic_version`); None for an empty one.
    Raises SQLAlchemyError when the database can't be reached."""
    from sqlalchemy import inspect, text  # noqa: PLC0415 - loaded with the engine anyway

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    # Several rows would be branches: not one revision, so never equal to the head.
    return str(rows[0][0]) if len(rows) == 1 else ",".join(sorted(str(r[0]) for r in rows))


def needed_revision() -> str:
    """The revision this version of ftscope needs (Alembic's answer when the files' is
    unclear)."""
    head = head_revision()
    if head is None:
        from bot.migrate import head_revision as alembic_head  # noqa: PLC0415

        head = alembic_head()
    return head


def open_store(settings: Any) -> Store:
    """The store of the settings' DATABASE_URL (`open_database`)."""
    return open_database(settings.database_url)


def open_database(database_url: str) -> Store:
    """The store, its schema current: SQLite is upgraded in place (one machine, one file);
    PostgreSQL must have been upgraded by `ftscope db upgrade` (Fly's release command), so
    several machines starting together never race on a migration."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from bot.storage import Store, create_schema, make_engine  # noqa: PLC0415

    engine = make_engine(database_url)
    try:
        current = schema_revision(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ConfigError([f"DATABASE_URL: can't connect ({type(exc).__name__}: {exc})"]) from exc
    head = needed_revision()
    if current == head:
        return Store(engine)
    if engine.dialect.name == "sqlite":
        log.info("upgrading the SQLite schema from %s to %s", current or "nothing", head)
        create_schema(engine)
        return Store(engine)
    engine.dispose()
    raise ConfigError(
        [
            f"the database schema is at {current or 'nothing'}, this version needs {head}: "
            "run `ftscope db upgrade`"
        ]
    )


def bot_assumptions(settings: Any) -> Assumptions:
    """The shipped assumptions with FTSCOPE_ASSUMPTIONS laid over them; a file that can't be
    used stops the start with every problem named, not a traceback."""
    from knowledge import InputError, load_assumptions  # noqa: PLC0415

    try:
        return load_assumptions(settings.assumptions_file)
    except InputError as exc:
        raise ConfigError([f"FTSCOPE_ASSUMPTIONS: {problem}" for problem in exc.problems]) from exc


def digest_job(
    settings: Any,
    store: Store,
    client: WebClient | None,
    price_book: PriceBook | None = None,
) -> DigestJob:
    """The price refresh and digest as the settings configure them (`serve` and the CLI)."""
    from bot.weekly import DigestJob  # noqa: PLC0415

    return DigestJob(
        store=store,
        assumptions=bot_assumptions(settings),
        sources=settings.price_sources,
        bot_model=settings.claude_model,
        max_factor=settings.price_max_factor,
        client=client,
        channel=settings.digest_channel,
        price_book=price_book,
        today=settings.today,
    )
