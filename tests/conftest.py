from pathlib import Path

import pytest

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
