"""A fake GitHub REST API for the Action's tests (GitHub is the one thing the tests may fake)."""

from tests.fakegithub.server import Call, FakeGitHub

__all__ = ["Call", "FakeGitHub"]
