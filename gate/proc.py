"""Child processes in their own process group, stopped with everything they spawned."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path


def stop_group(proc: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after `grace` seconds."""
    if proc.poll() is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # reap grandchildren the child left behind
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


class Timeout(Exception):
    """The command ran past its time bound; it and everything it spawned were killed."""


class NotFound(Exception):
    """The command's program does not exist."""


def run_bounded(
    argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float, stdin: str | None = None
) -> tuple[int, str, str]:
    """Run `argv` in its own process group: (exit code, stdout, stderr), as text.

    On timeout the whole group is stopped (an install step's or a hashing command's children too),
    never only the direct child as `subprocess.run` does."""
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except (FileNotFoundError, PermissionError) as exc:
        raise NotFound(argv[0]) from exc
    try:
        out, err = proc.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(proc, grace=1.0)
        proc.communicate()
        raise Timeout(argv[0]) from None
    finally:
        if proc.poll() is None:
            stop_group(proc, grace=1.0)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # what the command left running in the background
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")
