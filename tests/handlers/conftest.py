"""The handler suite runs the real bot behind its HTTP endpoint (tests/fakes/harness.py)."""

from tests.fakes.harness import claude, fake_slack, start_bot  # noqa: F401 - fixtures
