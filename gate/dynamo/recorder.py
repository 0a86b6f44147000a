"""The recorder: a byte-exact HTTP proxy between the service and DynamoDB Local that records calls.

Attribution is exact by construction, not by timing guesses. Each service instance gets its own
recorder port (a *lane*), and the probe engine sends at most one probe at a time down a lane.
A call that arrives on lane L while probe P is in flight on L can only have been caused by P;
a call that arrives while no probe is in flight (start-up, background work) is kept with
`probe=None` and never attributed to anyone. Parallelism comes from running several lanes.

The proxy forwards the request and the response bytes unchanged (SigV4 signatures stay valid);
it parses a copy of each to record operation, table, key, expressions, values and returned items.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gzip
import re
import threading
import time
from urllib.parse import urlsplit

from gate.dynamo.calls import MAY_WRITE, WRITES, DynamoCall, parse_call
from gate.dynamo.credentials import GATE

# DynamoDB's own limits are 16 MB per request and per BatchGetItem answer: anything longer is not
# DynamoDB traffic, and the proxy refuses it (closes the connection) instead of buffering it
MAX_MESSAGE = 32 << 20


class _Lane:
    __slots__ = ("index", "probe")

    def __init__(self, index: int) -> None:
        self.index = index
        self.probe: int | None = None


_CREDENTIAL = re.compile(rb"(?im)^(authorization:[^\r\n]*?Credential=)[^/\r\n]*/(\d{8})/[^/\r\n]*/")


def as_gate(head: bytes) -> bytes:
    """The request head with its credential scope made the gate's own key and region (see
    gate/dynamo/credentials.py: DynamoDB Local's database is keyed by them; it checks no signature).
    A request without one gets one, so it reaches the seeded tables too, as it would with -sharedDb."""
    scope = rb"\g<1>" + GATE.access_key_id.encode() + rb"/\g<2>/" + GATE.region.encode() + b"/"
    out, n = _CREDENTIAL.subn(scope, head, count=1)
    if n:
        return out
    line = (
        f"Authorization: AWS4-HMAC-SHA256 Credential={GATE.access_key_id}/20200101/{GATE.region}/dynamodb/"
        "aws4_request, SignedHeaders=host, Signature=0\r\n"
    ).encode()
    return head[: len(head) - 2] + line + b"\r\n"  # before the blank line that ends the head


async def _read_message(reader: asyncio.StreamReader) -> tuple[bytes, bytes, dict[str, str]] | None:
    """One HTTP/1.1 message: (head bytes, body bytes, lower-cased headers). None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    if "content-length" in headers:
        length = int(headers["content-length"])
        if length > MAX_MESSAGE:
            raise ValueError(f"message of {length} bytes")  # the connection is closed: the call fails
        body = await reader.readexactly(length)
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            chunks += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            if len(chunks) + size > MAX_MESSAGE:
                raise ValueError("chunked message too long")
            data = await reader.readexactly(size + 2)
            chunks += data
            if size == 0:
                break
        body = bytes(chunks)
    else:
        body = b""
    return head, body, headers


def _decoded(body: bytes, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        out, rest = bytearray(), body
        while rest:
            line, _, rest = rest.partition(b"\r\n")
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            out += rest[:size]
            rest = rest[size + 2 :]
        body = bytes(out)
    if headers.get("content-encoding", "").lower() == "gzip":
        with contextlib.suppress(OSError):
            body = gzip.decompress(body)
    return body


def _written_tables(call: DynamoCall) -> frozenset[str] | None:
    """The tables a call that may write names; None (any) for PartiQL, whose statement is not parsed,
    and for a request the recorder could not read a table from. A call DynamoDB refused with a 4xx wrote
    nothing (a single-item write, a transaction and a rejected batch are all or nothing; a batch that ran
    answers 200): no table, so the block it ran in needs no snapshot (issue 17: 200 of 466 in a
    100-operation scan were of refused writes). A 5xx is not trusted that far."""
    if 400 <= call.status < 500:
        return frozenset()
    if call.operation not in WRITES or not call.table:
        return None
    return frozenset(call.table.split(","))


class Recorder:
    """Records DynamoDB calls on `lanes` ports and forwards them to `upstream`."""

    def __init__(self, upstream: str, lanes: int = 1, held: bool = False) -> None:
        parts = urlsplit(upstream)
        self._up_host = parts.hostname or "127.0.0.1"
        self._up_port = parts.port or 80
        self._lanes = [_Lane(i) for i in range(lanes)]
        self._lock = threading.Lock()
        self.calls: list[DynamoCall] = []
        self.endpoints: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.base_events.Server] = []
        self._seq = 0
        self._inflight: set[int] = set()  # calls that arrived and have no answer yet
        self._lost: set[int] = set()  # calls whose connection broke before the answer
        # (sequence number, tables) of every recorded call that may have written; None: any table
        # the calls that may write, in sequence order (`_write_seqs` their sequence numbers, for bisect): a
        # destructive block asks which tables were written since a mark, and walking every call was quadratic
        self._writes: list[tuple[int, frozenset[str] | None]] = []
        self._write_seqs: list[int] = []
        self._by_probe: dict[int, list[DynamoCall]] = {}  # Prober asks per probe: no walk of every call
        self._opened = threading.Event()  # with held=True, calls wait until open() (tables seeded)
        if not held:
            self._opened.set()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> list[str]:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def boot() -> None:
            for lane in self._lanes:
                srv = await asyncio.start_server(lambda r, w, lane=lane: self._serve(lane, r, w), "127.0.0.1", 0)
                self._servers.append(srv)
                port = srv.sockets[0].getsockname()[1]
                self.endpoints.append(f"http://127.0.0.1:{port}")

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(boot())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="authgate-recorder", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.endpoints

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            for srv in self._servers:
                srv.close()
            for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                task.cancel()

        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread:
            self._thread.join(5)
        self._loop = None

    def open(self) -> None:
        """Let calls through: until then they wait, so a service that starts while DynamoDB Local is
        still booting (the gate overlaps the two) sees the seeded tables, never an empty database."""
        self._opened.set()

    # -- attribution ----------------------------------------------------------------------
    def begin(self, lane: int, probe: int) -> None:
        with self._lock:
            if self._lanes[lane].probe is not None:
                raise RuntimeError(f"lane {lane} already carries probe {self._lanes[lane].probe}")
            self._lanes[lane].probe = probe

    def end(self, lane: int, probe: int) -> list[DynamoCall]:
        with self._lock:
            self._lanes[lane].probe = None
            return list(self._by_probe.get(probe, ()))

    def settled(self) -> int:
        """A sequence number every call up to which has been answered by DynamoDB (and recorded, or
        lost with its connection): what a snapshot taken now already contains."""
        with self._lock:
            pending = self._inflight | self._lost  # a lost call may still be applied upstream
            return min(pending) - 1 if pending else self._seq

    def written_since(self, seq: int) -> frozenset[str] | None:
        """The tables calls after `seq` may have written (empty: none wrote); None when that may be any
        table: a call still in flight or lost with its connection, or a PartiQL statement (not parsed).
        Take `settled()` before asking: a write it covers is recorded by then, so none falls between."""
        with self._lock:
            if any(s > seq for s in self._inflight | self._lost):
                return None  # not answered (yet): it may write, and its request was not parsed
            out: set[str] = set()
            for _, tables in self._writes[bisect.bisect_right(self._write_seqs, seq) :]:
                if tables is None:
                    return None
                out |= tables
            return frozenset(out)

    def calls_of(self, probe: int) -> list[DynamoCall]:
        with self._lock:
            return list(self._by_probe.get(probe, ()))

    # -- proxy ----------------------------------------------------------------------------
    async def _serve(self, lane: _Lane, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader: asyncio.StreamReader | None = None
        up_writer: asyncio.StreamWriter | None = None
        seq = 0  # the call in flight on this connection (0: none)
        try:
            while True:
                msg = await _read_message(reader)
                if msg is None:
                    break
                head, body, headers = msg
                with self._lock:
                    probe = lane.probe  # attribution is decided when the call arrives
                    self._seq += 1
                    seq = self._seq
                    self._inflight.add(seq)
                if not self._opened.is_set():
                    await asyncio.to_thread(self._opened.wait, 60)
                t0 = time.perf_counter()
                if up_writer is None or up_writer.is_closing():
                    up_reader, up_writer = await asyncio.open_connection(self._up_host, self._up_port)
                assert up_reader is not None
                up_writer.write(as_gate(head) + body)
                await up_writer.drain()
                resp = await _read_message(up_reader)
                if resp is None:
                    break
                rhead, rbody, rheaders = resp
                ms = (time.perf_counter() - t0) * 1000
                status = int(rhead.split(b" ", 2)[1]) if rhead.startswith(b"HTTP/") else 0
                call = parse_call(
                    seq,
                    lane.index,
                    probe,
                    headers.get("x-amz-target", ""),
                    _decoded(body, headers),
                    status,
                    _decoded(rbody, rheaders),
                    ms,
                )
                with self._lock:
                    self.calls.append(call)
                    if probe is not None:
                        self._by_probe.setdefault(probe, []).append(call)
                    self._inflight.discard(seq)
                    if call.operation in MAY_WRITE:
                        at = bisect.bisect_right(self._write_seqs, seq)
                        self._write_seqs.insert(at, seq)
                        self._writes.insert(at, (seq, _written_tables(call)))
                    seq = 0
                writer.write(rhead + rbody)
                await writer.drain()
                if "close" in (headers.get("connection", "").lower(), rheaders.get("connection", "").lower()):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            if seq:  # arrived, never answered: it may have reached DynamoDB, so it counts as a write
                with self._lock:
                    self._inflight.discard(seq)
                    self._lost.add(seq)
            for w in (writer, up_writer):
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()
