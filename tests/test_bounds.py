"""Every request loop is bounded: response bytes kept, the checks' time budget, the recorder's message size;
a hostile service (tests/apps/hostile.py) meets those bounds in real scans."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gate.dynamo import local
from gate.dynamo.recorder import MAX_MESSAGE, Recorder
from gate.errors import ScanError
from gate.target.probe import MAX_BODY, Prober
from tests.conftest import APPS, ROOT

HUGE = 8 * MAX_BODY


class _Flood(BaseHTTPRequestHandler):
    """Answers with an endless-looking body: far more than the gate keeps."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(HUGE))
        self.end_headers()
        try:
            for _ in range(HUGE // 65536):
                self.wfile.write(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gate stopped reading: what this test wants

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flood() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Flood)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_a_huge_response_is_cut_at_the_bound(flood: str) -> None:
    async def go() -> str:
        prober = Prober([flood], None)
        try:
            return (await prober.send("GET", "/")).text
        finally:
            await prober.aclose()

    text = asyncio.run(go())
    assert text.endswith("…[cut]") and len(text) == MAX_BODY + len("…[cut]")


def test_the_checks_stop_at_their_time_budget(flood: str) -> None:
    async def go() -> None:
        prober = Prober([flood], None, budget=0.05)
        try:
            await asyncio.sleep(0.1)
            await prober.send("GET", "/")
        finally:
            await prober.aclose()

    with pytest.raises(ScanError, match=r"time budget of 0.05 s \(gate.timeout\) after 0 requests"):
        asyncio.run(go())


def test_the_recorder_refuses_a_message_larger_than_dynamodb_allows(dynamo: local.DynamoLocal) -> None:
    rec = Recorder(dynamo.endpoint)
    (endpoint,) = rec.start()
    try:
        port = int(endpoint.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            head = (
                "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
                f"Content-Length: {MAX_MESSAGE + 1}\r\n\r\n"
            )
            s.sendall(head.encode())
            assert s.recv(1024) == b""  # closed at once: nothing buffered, nothing forwarded
        assert rec.calls == []
    finally:
        rec.stop()


class _Bogus(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = "héllo".encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf8mb4")  # not a codec Python knows
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_made_up_charset_is_read_as_utf8_not_a_broken_check() -> None:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Bogus)
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    async def go() -> str:
        prober = Prober([f"http://127.0.0.1:{srv.server_address[1]}"], None)
        try:
            ex = await prober.send("GET", "/")
            assert ex.error is None and ex.status == 200
            return ex.text
        finally:
            await prober.aclose()

    try:
        assert asyncio.run(go()) == "héllo"
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_long_secret_leaves_no_prefix_in_a_call_summary() -> None:
    from gate.checks.context import _redacted_call
    from gate.dynamo.calls import DynamoCall

    secret = "$2b$12$" + "abcdefghij" * 6  # longer than the summary's clip
    call = DynamoCall(seq=1, lane=0, probe=1, operation="UpdateItem", table="users", key={"user_id": "alice"})
    call.values = {":h": secret}
    shown = _redacted_call(call, [secret])
    assert secret[:12] not in str(shown) and "[redacted]" in shown["summary"]


# -- a hostile service, one bounded scan each (issue 12) -------------------------------------------------

HOSTILE_CONFIG = """version: 1
service:
  command: "uvicorn hostile:app --host 127.0.0.1 --port {port} --log-level warning"
  workdir: %(apps)s
  env: {MODE: "%(mode)s"}
  ready: /health
  startup_timeout: 30
openapi: "%(openapi)s"
dynamodb:
  tables:
    - {name: items, key: {owner_id: S}}
auth:
  jwt: {secret_env: JWT_SECRET, algorithm: HS256}
identities:
  alice: {sub: alice}
  bob: {sub: bob}
checks:
  public: ["GET /health"]
gate:
  threshold: 70
  timeout: %(timeout)s
"""


def _hostile(tmp_path: Path, mode: str, openapi: str = "/openapi.json", timeout: int = 10) -> Path:
    svc = tmp_path / mode
    svc.mkdir()
    cfg = HOSTILE_CONFIG % {"apps": APPS, "mode": mode, "openapi": openapi, "timeout": timeout}
    (svc / ".authgate.yml").write_text(cfg)
    return svc


def _gate(svc: Path, report: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "gate.cli", "scan", str(svc), "--output", str(report)],
        cwd=ROOT,
        env={**env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(ln.split()[1]) / 1024 for ln in status.splitlines() if ln.startswith("VmRSS:")), 0.0)


def test_a_dripping_route_ends_the_scan_at_gate_timeout_with_an_error_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    t0 = time.monotonic()
    p = _gate(_hostile(tmp_path, "drip"), report)
    out, _ = p.communicate(timeout=120)
    wall = time.monotonic() - t0
    rep = json.loads(report.read_text())
    assert p.returncode == 2, out[-2000:]
    assert rep["verdict"] == "error" and rep["complete"] is False
    assert any("time budget of 10 s (gate.timeout)" in r for r in rep["reasons"]), rep["reasons"]
    checks = re.search(r"FAIL +checks +([\d.]+) s", out)
    assert checks and float(checks.group(1)) < 10 + 2, out  # the probe in flight is cut at the budget
    assert rep["threshold"] == 70 and 10 < rep["duration_s"] <= wall  # the real duration and threshold
    assert wall < 60, f"{wall:.0f} s"  # start-up (DynamoDB Local, the service) plus the 10 s budget


def test_an_endless_openapi_document_is_cut_at_its_bound_in_bounded_memory(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    p = _gate(_hostile(tmp_path, "spec_stream", openapi="/spec"), report)
    peak = 0.0
    while p.poll() is None:
        peak = max(peak, _rss_mb(p.pid))  # the gate's own process: not the service's, not the JVM's
        time.sleep(0.05)
    out = p.stdout.read() if p.stdout else ""
    rep = json.loads(report.read_text())
    assert p.returncode == 2, out[-2000:]
    assert rep["reasons"] == ["openapi: GET /spec answered more than 8 MiB: not read further"]
    assert 0 < peak < 300, f"peak RSS {peak:.0f} MB"


def test_a_route_that_is_no_url_path_is_skipped_with_a_note_and_the_rest_scanned(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    p = _gate(_hostile(tmp_path, "newline_route"), report)
    out, _ = p.communicate(timeout=180)
    rep = json.loads(report.read_text())
    assert "openapi: route '/mine/{owner_id}\\nX-Injected: 1' skipped: not a URL path" in " ".join(rep["notes"])
    assert not [r for r in rep["reasons"] if "check family" in r or "InvalidURL" in r], rep["reasons"]
    assert rep["target"]["operations"] == 2 and rep["stats"]["requests"] > 0, out[-2000:]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_scan_within_2_s_and_no_stale_pass_survives(tmp_path: Path, sig: signal.Signals) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"verdict": "pass", "score": 100, "complete": True}))
    p = _gate(_hostile(tmp_path, "drip", timeout=60), report)
    time.sleep(4)
    assert p.poll() is None, "the scan ended before the signal: nothing was tested"
    assert json.loads(report.read_text())["verdict"] == "error"  # "under way" replaced the old pass at once
    p.send_signal(sig)
    t0 = time.monotonic()
    out, _ = p.communicate(timeout=30)
    took = time.monotonic() - t0
    rep = json.loads(report.read_text())
    assert p.returncode == 128 + sig, out[-2000:]
    assert took < 2, f"{took:.1f} s after {sig.name}"
    assert rep["verdict"] == "error" and rep["complete"] is False
    assert rep["reasons"][0].startswith(f"the scan was interrupted by {sig.name} after "), rep["reasons"]
    assert rep["threshold"] == 70 and rep["duration_s"] > 3  # from the config, and the time it really ran
