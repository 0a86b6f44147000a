"""Errors that mean "could not scan" (exit 2): the gate fails closed, never reports a pass."""

from __future__ import annotations


class ScanError(Exception):
    """The scan could not run. `details` are extra lines (e.g. the service's last log lines)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


EXIT_ERROR = 2  # "could not scan": the gate fails closed


def internal_error(exc: BaseException) -> str:
    """One line for a failure of the gate itself; AUTHGATE_DEBUG=1 adds the traceback on stderr."""
    import os
    import sys
    import traceback

    if os.environ.get("AUTHGATE_DEBUG"):
        traceback.print_exception(exc, file=sys.stderr)
    return f"internal error of authgate: {type(exc).__name__}: {exc} (AUTHGATE_DEBUG=1 shows the traceback)"


def on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (a cancelled job, Ctrl-C's cousin) becomes SystemExit, so every `finally` runs: no orphan
    JVM or service."""
    raise SystemExit(128 + signum)
