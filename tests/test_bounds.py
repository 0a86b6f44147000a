"""Every request loop is bounded: response bytes kept, the checks' time budget, the recorder's message size."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gate.dynamo import local
from gate.dynamo.recorder import MAX_MESSAGE, Recorder
from gate.errors import ScanError
from gate.target.probe import MAX_BODY, Prober

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
