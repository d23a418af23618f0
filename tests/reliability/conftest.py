"""The reliability suite runs on the harness the handler suite uses (tests/fakes/harness.py): the
real bot under uvicorn on loopback, signed requests, the fake Slack Web API, the fake Claude
behind pytest-httpx2; each test on SQLite and on PostgreSQL (the `database_url` fixture of
tests/conftest.py)."""

from tests.fakes.harness import claude, fake_slack, start_bot  # noqa: F401 - fixtures
