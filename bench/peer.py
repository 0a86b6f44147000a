"""Schemathesis, the property-based API tester, against the same running example (bench/run.py --peer).

The example is started the way a scan starts it (DynamoDB Local with its tables and fixtures, the
service on 127.0.0.1 pointed at it), then `schemathesis run` (pinned below, in a virtualenv of its
own under ~/.cache/authgate-bench: its pins must not move the gate's) tests it twice: with its
defaults and with `--max-examples 10`, all checks on, as alice (a token the example
accepts: it verifies no signature). Its wall time, the requests the service logged, and the
failures it reports are compared with authgate's findings on the same example.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt

from gate.config import load_config
from gate.dynamo import fixtures, local, tables
from gate.dynamo.client import dynamodb_client
from gate.ports import free_port

SCHEMATHESIS = "schemathesis==4.32.5"  # with hypothesis 6.170.17 (what it resolves to today)
VENV = Path.home() / ".cache" / "authgate-bench" / "schemathesis-venv"


def schemathesis() -> Path:
    """The pinned Schemathesis, installed once into its own virtualenv."""
    exe = VENV / "bin" / "schemathesis"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pins = [SCHEMATHESIS, "hypothesis==6.170.17"]
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", *pins], check=True, timeout=600)
    return exe


@contextlib.contextmanager
def running(example: Path) -> Iterator[tuple[str, Path]]:
    """`example` served on 127.0.0.1 against a DynamoDB Local holding its tables and fixtures: (base URL, log)."""
    cfg = load_config(example / ".authgate.yml")
    with local.start() as ddb:
        client = dynamodb_client(ddb.endpoint)
        tables.create_tables(client, list(cfg.dynamodb.tables))
        fixtures.write_fixtures(client, list(cfg.dynamodb.tables), cfg.fixtures)
        port = free_port()
        log = Path(tempfile.mkdtemp(prefix="authgate-peer-")) / "service.log"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "AUTHGATE_"))},
            **cfg.service.env,
            "JWT_SECRET": "bench-secret",
            "AWS_ENDPOINT_URL_DYNAMODB": ddb.endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        uvicorn = str(Path(sys.executable).parent / "uvicorn")  # its access log on: it counts the requests
        with log.open("wb") as out:
            argv = [uvicorn, "app:app", "--host", "127.0.0.1", "--port", str(port)]
            svc = subprocess.Popen(argv, cwd=example, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            yield base, log
        finally:
            svc.kill()
            svc.wait()


def token(sub: str = "alice") -> str:
    """A token the example accepts (it verifies no signature)."""
    return jwt.encode({"sub": sub, "exp": int(time.time()) + 3600}, "bench-key-" + "k" * 32, algorithm="HS256")


def own_rate(base: str, path: str, seconds: float = 2.0) -> float:
    """Requests/s the service sustains on `path` (a GetItem route), one in flight, a bounded loop."""
    headers = {"Authorization": f"Bearer {token()}"}
    n, t0 = 0, time.monotonic()
    with httpx.Client(base_url=base, headers=headers, timeout=5) as http:
        while time.monotonic() - t0 < seconds and n < 5000:
            with contextlib.suppress(httpx.HTTPError):  # a reset under load is not an answer: not counted
                http.get(path)
                n += 1
    return n / (time.monotonic() - t0)


def run(example: Path) -> list[dict[str, object]]:
    """Schemathesis twice against `example` running as a scan runs it: one row per run."""
    exe = schemathesis()
    rows = []
    runs = (("defaults", []), ("--max-examples 10", ["--max-examples", "10"]))
    with running(example) as (base, log):
        for label, extra in runs:
            before = _requests(log)
            t0 = time.monotonic()
            p = subprocess.run(
                [str(exe), "run", f"{base}/openapi.json", "--checks", "all", "-H", f"Authorization: Bearer {token()}",
                 "--seed", "1", *extra],
                capture_output=True, text=True, timeout=900, env={**os.environ, "NO_COLOR": "1"},
            )  # fmt: skip
            rows.append(
                {
                    "run": label,
                    "wall_s": time.monotonic() - t0,
                    "requests": _requests(log) - before,
                    "failures": _failures(p.stdout),
                    "exit": p.returncode,
                }
            )
    return rows


def _requests(log: Path) -> int:
    return sum(1 for line in log.read_text(errors="replace").splitlines() if '" ' in line and "HTTP/1.1" in line)


def _failures(output: str) -> list[str]:
    """The failures Schemathesis's summary lists (`❌ ST101 Server error: 13` -> `ST101 Server error (13)`)."""
    return [f"{m[0]} ({m[1]})" for m in re.findall(r"^\s*\S+\s+(ST\d+ [^:\n]+):\s*(\d+)\s*$", output, re.M)]
