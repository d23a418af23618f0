"""Shared fixtures: the test price sheet and assumptions, and the databases.

Database fixtures: every storage test runs on a SQLite file and on PostgreSQL.

PostgreSQL tests get a schema of their own per test session (dropped afterwards), so parallel
runs against the same server never see each other's rows. An unreachable server fails the run:
a skipped PostgreSQL leg would let a SQLite-only bug through unnoticed.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from bot.settings import normalize_database_url
from bot.storage import Store, create_schema, make_engine
from knowledge import Assumptions, PriceSheet, load_assumptions, load_price_sheet

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def prices() -> PriceSheet:
    return load_price_sheet(FIXTURES / "prices.yaml")


@pytest.fixture(scope="session")
def assumptions() -> Assumptions:
    return load_assumptions(FIXTURES / "assumptions.yaml")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* from the current output instead of comparing",
    )
    parser.addoption(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="PostgreSQL server the storage tests run against (they fail if it is unreachable)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _with_param(url: str, name: str, value: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}{name}={quote(value)}"


def _with_search_path(url: str, schema: str) -> str:
    # libpq's `options` reaches the server as a startup parameter, so every pooled
    # connection lands in the test schema without touching the code under test.
    return _with_param(url, "options", f"-csearch_path={schema}")


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    base = normalize_database_url(
        request.config.getoption("--postgres-url", default=DEFAULT_POSTGRES_URL)
    )
    shown = make_url(base).render_as_string(hide_password=True)
    schema = f"ftscope_test_{uuid.uuid4().hex[:12]}"
    # A bounded connect: a firewalled host must fail the run in seconds, not hang it.
    admin = make_engine(_with_param(base, "connect_timeout", "5"))
    unreachable = None
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        unreachable = exc.orig
    if unreachable is not None:  # outside `except`, so the report is this one message
        pytest.fail(
            f"PostgreSQL is unreachable at {shown}: {unreachable}\n"
            "Start it, or point the tests at one with --postgres-url=postgresql://user@host/db",
            pytrace=False,
        )
    try:
        yield _with_search_path(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database; the schema is created by the `store` fixture."""
    if request.param == "sqlite":
        # A file, not :memory:, so WAL and a second connection are real.
        yield f"sqlite:///{tmp_path / 'ftscope.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    # The schema lives for the whole session: empty it so the next test starts clean.
    engine = make_engine(url)
    try:
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as connection:  # so the next test migrates from nothing
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)
