"""Errors that mean "could not scan" (exit 2): the gate fails closed, never reports a pass."""

from __future__ import annotations


class ScanError(Exception):
    """The scan could not run. `details` are extra lines (e.g. the service's last log lines)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
