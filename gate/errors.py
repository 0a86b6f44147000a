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


class Interrupted(BaseException):
    """SIGTERM (a cancelled job) or SIGINT (Ctrl-C). A BaseException like KeyboardInterrupt, so no
    `except Exception` swallows it and every `finally` runs: no orphan JVM or service. `gate.runner`
    attaches the interrupted scan's error result as `result`, so the caller still writes its reports
    (a report left from an earlier run must never say pass for this one: issue 12)."""

    def __init__(self, signum: int) -> None:
        import signal

        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.result: object = None

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def on_signal(signum: int, frame: object) -> None:
    """The handler of SIGTERM and SIGINT: unwind the scan (see Interrupted)."""
    raise Interrupted(signum)


def handle_signals() -> None:
    import signal

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
