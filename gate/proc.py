"""Child processes in their own process group, stopped with everything they spawned."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
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

    The output goes to files, not pipes, so a background child that keeps them open (`sleep 600 &`)
    cannot hold the gate past `timeout`. The command's own exit is what is waited for; then its
    whole group is stopped (what it left running in the background too), on timeout as well."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as given:
        given.write((stdin or "").encode())
        given.seek(0)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=given if stdin is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError) as exc:
            raise NotFound(argv[0]) from exc
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Timeout(argv[0]) from None
        finally:
            stop_group(proc, grace=1.0)  # the command, or what it left behind
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace")
