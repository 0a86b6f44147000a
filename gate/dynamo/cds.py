"""DynamoDB Local's class-data archive (AppCDS): its JVM starts in about half the time.

Most of DynamoDB Local's start is the JVM loading and verifying some 6,000 classes from 60 jars. A
dynamic CDS archive (JDK 13+) holds them ready to map: built once at install time by running the
server through a short workload with `-XX:ArchiveClassesAtExit`, then used by every scan with
`-XX:SharedArchiveFile` (measured here: first ListTables in 1.2 s against 2.3 s, on a loaded 2-core
machine). Two things the shipped jar gets in the way of, and this module fixes:
- its manifest's Class-Path lists `.` and `log4j2.xml`, and a class path entry that is not a jar
  switches app-class archiving off: `DynamoDBLocal-cds.jar` is the same jar with a manifest that
  lists only the jars;
- the archive records the JVM that made it: a different `java` later simply ignores it (the JVM's
  default `-Xshare:auto`), so a stale archive costs nothing but the speed-up.

Run by scripts/install-dynamodb-local as `python3 gate/dynamo/cds.py INSTALL_DIR` (standard library
only: it runs before any virtualenv exists); gate.dynamo.local uses what it made when it is there.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

JAR = "DynamoDBLocal-cds.jar"
ARCHIVE = "dynamodb.jsa"
JVM_FLAGS = ("-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
_WORKLOAD = [  # the calls a scan makes, so that their classes are in the archive too
    ("CreateTable", {"TableName": "authgate_cds", "BillingMode": "PAY_PER_REQUEST",
                     "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                     "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}]}),
    ("PutItem", {"TableName": "authgate_cds", "Item": {"k": {"S": "a"}, "n": {"N": "1"}}}),
    ("GetItem", {"TableName": "authgate_cds", "Key": {"k": {"S": "a"}}}),
    ("Query", {"TableName": "authgate_cds", "KeyConditionExpression": "k = :v",
               "ExpressionAttributeValues": {":v": {"S": "a"}}}),
    ("UpdateItem", {"TableName": "authgate_cds", "Key": {"k": {"S": "a"}}, "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "2"}}}),
    ("Scan", {"TableName": "authgate_cds", "FilterExpression": "n > :z",
              "ExpressionAttributeValues": {":z": {"N": "0"}}}),
    ("BatchWriteItem", {"RequestItems": {"authgate_cds": [{"PutRequest": {"Item": {"k": {"S": "b"}}}}]}}),
    ("DeleteItem", {"TableName": "authgate_cds", "Key": {"k": {"S": "a"}}}),
    ("DescribeTable", {"TableName": "authgate_cds"}),
]  # fmt: skip


def launch_args(home: Path) -> list[str]:
    """The JVM arguments that start DynamoDB Local from `home`: with the archive when it was built."""
    home = home.resolve()  # the class path exactly as the archive recorded it (see `build`)
    lib = f"-Djava.library.path={home / 'DynamoDBLocal_lib'}"
    if (home / JAR).is_file() and (home / ARCHIVE).is_file():
        return [lib, *JVM_FLAGS, f"-XX:SharedArchiveFile={home / ARCHIVE}", "-Xlog:cds=off", "-jar", str(home / JAR)]
    return [lib, *JVM_FLAGS, "-jar", str(home / "DynamoDBLocal.jar")]


def jars_only_manifest(manifest: str) -> str:
    """The manifest with a Class-Path of jars only, folded to 72-byte lines as the JAR specification says."""
    lines: list[str] = []
    for raw in manifest.replace("\r\n", "\n").split("\n"):
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    out: list[str] = []
    for line in lines:
        if line.startswith("Class-Path:"):
            line = "Class-Path: " + " ".join(p for p in line.split(":", 1)[1].split() if p.endswith(".jar"))
        while len(line.encode()) > 72:
            out.append(line[:70])
            line = " " + line[70:]
        out.append(line)
    return "\r\n".join(out) + "\r\n\r\n"


def write_jar(home: Path) -> Path:
    """DynamoDBLocal.jar again, beside it (its Class-Path is relative), with the jars-only manifest."""
    src, dst = home / "DynamoDBLocal.jar", home / (JAR + ".partial")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "META-INF/MANIFEST.MF":
                data = jars_only_manifest(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)
    return dst.replace(home / JAR)


def _call(port: int, target: str, body: dict[str, object]) -> None:
    # here, not at the top: `authgate scan` imports this module before it starts the JVM, and urllib.request
    # is 22 ms of that; only the archive's build calls the server
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": f"DynamoDB_20120810.{target}",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=authgate/20240101/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=00",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:  # an answer all the same: its classes are loaded
        exc.read()


def build(home: Path, java: str = "java", seconds: float = 90.0) -> Path:
    """Run DynamoDB Local once through the workload and let the JVM write the archive as it exits.

    The archive records the class path as this JVM was given it, and a later JVM maps the archive only
    when its class path matches, checked from its own working directory. So `home` is made absolute
    and resolved here and in `launch_args`: an archive built from a relative `home` was silently ignored
    by every scan (their JVMs run in a temporary directory), which lost the whole speed-up."""
    home = home.resolve()
    write_jar(home)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    partial = home / (ARCHIVE + ".partial")
    partial.unlink(missing_ok=True)
    lib = f"-Djava.library.path={home / 'DynamoDBLocal_lib'}"
    server = ["-jar", str(home / JAR), "-inMemory", "-disableTelemetry", "-port", str(port)]
    argv = [java, lib, *JVM_FLAGS, f"-XX:ArchiveClassesAtExit={partial}", *server]
    proc = subprocess.Popen(argv, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                _call(port, "ListTables", {})
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("DynamoDB Local did not answer while building its class-data archive") from None
                time.sleep(0.05)
        for target, body in _WORKLOAD:
            _call(port, target, body)
    finally:
        proc.send_signal(signal.SIGTERM)  # a normal exit: the JVM writes the archive in its shutdown
        proc.wait(timeout=seconds)
    if not partial.is_file() or partial.stat().st_size == 0:
        raise RuntimeError("the JVM wrote no class-data archive (is it JDK 13 or newer?)")
    return partial.replace(home / ARCHIVE)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 gate/dynamo/cds.py INSTALL_DIR")
    try:
        print(build(Path(sys.argv[1])))
    except (OSError, RuntimeError, subprocess.SubprocessError, zipfile.BadZipFile) as exc:
        # the archive only speeds up the start: without it DynamoDB Local starts as before
        print(f"cds: no class-data archive ({exc}); DynamoDB Local starts without it", file=sys.stderr)
