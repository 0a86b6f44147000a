"""Child processes in their own process group, stopped with everything they spawned."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def stop_group(proc: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after `grace` seconds (at once when
    `grace` is 0), and reap the child."""
    if proc.poll() is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # reap grandchildren the child left behind
        return
    if grace > 0:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=max(grace, 2.0))


class Timeout(Exception):
    """The command ran past its time bound; it and everything it spawned were killed."""


class NotFound(Exception):
    """The command's program does not exist."""


def run_bounded(
    argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float, stdin: str | None = None, **popen: Any
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
                **{"start_new_session": True, **popen},  # `popen`: the sandbox's user and session
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


# -- Linux process controls (prctl(2)); elsewhere each is a no-op --------------------------------------
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent() -> None:
    """`preexec_fn` of a child that must not outlive the gate, even a gate killed by SIGKILL."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def harden_gate() -> list[str]:
    """Called before the service starts. Not dumpable: a process of the same user can no longer ptrace
    the gate or read its /proc/<pid>/{environ,mem,fd} (they become root's). A child subreaper: what the
    service double-forks away (a setsid daemon) is re-parented to the gate, not to init, so the gate
    finds and stops it at the end. Returns what could not be arranged."""
    missing = []
    if not _prctl(_PR_SET_DUMPABLE, 0):
        missing.append("the gate could not make itself non-dumpable (prctl PR_SET_DUMPABLE)")
    if not _prctl(_PR_SET_CHILD_SUBREAPER, 1):
        missing.append("the gate could not become a child subreaper (prctl PR_SET_CHILD_SUBREAPER)")
    return missing


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, real uid) of a live process; None when it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        if fields[0] == b"Z":
            return None
        return int(fields[1]), os.stat(f"/proc/{pid}").st_uid
    except (OSError, IndexError, ValueError):
        return None


def processes() -> dict[int, tuple[int, int]]:
    """Every live process: pid -> (parent pid, uid)."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (st := _proc_stat(int(name))) is not None:
            out[int(name)] = st
    return out


def descendants(root: int, table: dict[int, tuple[int, int]] | None = None) -> set[int]:
    table = processes() if table is None else table
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out: set[int] = set()
    todo = [root]
    while todo:
        for kid in kids.get(todo.pop(), []):
            if kid not in out:
                out.add(kid)
                todo.append(kid)
    return out


def kill_all(select: Callable[[dict[int, tuple[int, int]]], set[int]], bound: float = 2.0) -> int:
    """SIGKILL every process `select` picks from the process table, again until none is left or
    `bound` seconds passed (a process may fork while it is being killed). Returns how many."""
    killed: set[int] = set()
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        victims = select(processes()) - {os.getpid()}
        if not victims:
            break
        for pid in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed |= victims
        time.sleep(0.02)
        for pid in victims:  # reap those that were re-parented to the gate (the subreaper)
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
    return len(killed)
