"""DynamoDB Local: the real AWS jar, started in memory on a free port and always stopped.

No `-sharedDb`: DynamoDB Local then keeps one database per access key id and region, and the seeded
tables live in the one of the gate's own random key (gate/dynamo/credentials.py), which the service
never sees: the recorder rewrites the credential scope of the calls it forwards. How the JVM is
spawned (its argument file, its minimal environment): gate/dynamo/jvm.py.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from gate.dynamo import jvm
from gate.dynamo.credentials import GATE
from gate.errors import ScanError
from gate.netutil import verify_for
from gate.proc import stop_group

_LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": f"AWS4-HMAC-SHA256 Credential={GATE.access_key_id}/20200101/{GATE.region}/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0",
}


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
        logfile = self.workdir / jvm.LOG
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
    """Start the JVM (or take the one the `authgate` command prestarted) and return at once; `wait_ready`
    blocks until it answers."""
    try:
        started = jvm.take() or jvm.spawn()
    except jvm.NotInstalled as exc:
        raise ScanError(str(exc), [exc.hint] if exc.hint else []) from None
    return DynamoLocal(endpoint=f"http://127.0.0.1:{started.port}", proc=started.proc, workdir=started.workdir)


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
