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
import contextlib
import gzip
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gate.dynamo.types import from_typed, plain

_MAX_ITEMS = 50  # items kept per call: enough to prove whose data came back
# DynamoDB's own limits are 16 MB per request and per BatchGetItem answer: anything longer is not
# DynamoDB traffic, and the proxy refuses it (closes the connection) instead of buffering it
MAX_MESSAGE = 32 << 20


@dataclass(slots=True, kw_only=True)
class DynamoCall:
    seq: int
    lane: int
    probe: int | None
    operation: str
    table: str | None = None
    index: str | None = None
    key: dict[str, Any] | None = None
    key_condition: str | None = None
    filter: str | None = None
    condition: str | None = None
    update: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)  # items returned (plain), at most _MAX_ITEMS
    writes: list[dict[str, Any]] = field(default_factory=list)  # keys/items written by batch/transact calls
    count: int = 0
    scanned: int | None = None  # ScannedCount: items DynamoDB read before the filter
    status: int = 0
    error: str | None = None
    ms: float = 0.0

    def summary(self) -> str:
        """One line a reviewer reads: `GetItem profiles {user_id: "bob"} -> 1 item` (long values clipped)."""
        parts = [self.operation, self.table or "?"]
        if self.index:
            parts.append(f"index {self.index}")
        if self.key:
            parts.append(json.dumps(_clipped(self.key), sort_keys=True, default=str, ensure_ascii=False))
        if self.key_condition:
            parts.append(f"key: {self.key_condition}")
        if self.filter:
            parts.append(f"filter: {self.filter}")
        if self.values:
            parts.append(json.dumps(_clipped(self.values), sort_keys=True, default=str, ensure_ascii=False))
        if self.error:
            tail = f"-> {self.error}"
        elif self.operation in WRITES:
            tail = "-> written" if self.operation != "DeleteItem" else "-> deleted"
        else:
            tail = f"-> {self.count} item{'s' if self.count != 1 else ''}"
        if self.scanned is not None and self.scanned != self.count and not self.error:
            tail += f" (read {self.scanned})"
        return " ".join(parts) + " " + tail

    def to_dict(self) -> dict[str, Any]:
        d = {
            "operation": self.operation,
            "table": self.table,
            "index": self.index,
            "key": self.key,
            "key_condition": self.key_condition,
            "filter": self.filter,
            "condition": self.condition,
            "update": self.update,
            "values": self.values,
            "count": self.count,
            "scanned": self.scanned,
            "status": self.status,
            "error": self.error,
            "summary": self.summary(),
        }
        return {k: v for k, v in d.items() if v not in (None, {}, [])}


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
# PartiQL: the statement is not parsed, so any of these may write
MAY_WRITE = WRITES | {"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"}
_CLIP = 48


def _clipped(values: dict[str, Any]) -> dict[str, Any]:
    """Long strings shortened for the one-line summary (a 2 KB provocation key stays readable)."""
    return {
        k: f"{v[:_CLIP]}…({len(v)} chars)" if isinstance(v, str) and len(v) > _CLIP else v for k, v in values.items()
    }


def _plain_values(values: dict[str, Any] | None) -> dict[str, Any]:
    return from_typed(values) if values else {}


def parse_call(
    seq: int, lane: int, probe: int | None, target: str, body: bytes, status: int, rbody: bytes, ms: float
) -> DynamoCall:
    op = target.rsplit(".", 1)[-1] if target else "?"
    call = DynamoCall(seq=seq, lane=lane, probe=probe, operation=op, status=status, ms=ms)
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        req = {}
    try:
        resp = json.loads(rbody or b"{}")
    except ValueError:
        resp = {}
    call.table = req.get("TableName")
    call.index = req.get("IndexName")
    if isinstance(req.get("Key"), dict):
        call.key = from_typed(req["Key"])
    call.key_condition = req.get("KeyConditionExpression")
    call.filter = req.get("FilterExpression")
    call.condition = req.get("ConditionExpression")
    call.update = req.get("UpdateExpression")
    call.values = _plain_values(req.get("ExpressionAttributeValues"))
    call.names = dict(req.get("ExpressionAttributeNames") or {})
    if op == "PutItem" and isinstance(req.get("Item"), dict):
        call.writes = [from_typed(req["Item"])]
    items: list[dict[str, Any]] = []
    if isinstance(resp.get("Item"), dict):
        items.append(resp["Item"])
    if isinstance(resp.get("Items"), list):
        items.extend(resp["Items"])
    if isinstance(resp.get("Responses"), dict):  # BatchGetItem
        for rows in resp["Responses"].values():
            items.extend(rows)
        call.table = call.table or ",".join(sorted(resp["Responses"]))
    if isinstance(resp.get("Responses"), list):  # TransactGetItems
        items.extend(r["Item"] for r in resp["Responses"] if isinstance(r, dict) and "Item" in r)
    if isinstance(req.get("RequestItems"), dict):  # BatchGetItem / BatchWriteItem
        call.table = call.table or ",".join(sorted(req["RequestItems"]))
        for rows in req["RequestItems"].values():
            if isinstance(rows, dict):
                call.writes.extend(from_typed(k) for k in rows.get("Keys", []))
            else:
                for r in rows:
                    w = r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key")
                    if w:
                        call.writes.append(from_typed(w))
    if isinstance(req.get("TransactItems"), list):
        tables = set()
        for t in req["TransactItems"]:
            for inner in t.values():
                if isinstance(inner, dict):
                    tables.add(inner.get("TableName", "?"))
                    w = inner.get("Key") or inner.get("Item")
                    if w:
                        call.writes.append(from_typed(w))
        call.table = ",".join(sorted(tables))
    call.count = int(resp["Count"]) if isinstance(resp.get("Count"), int) else len(items)
    if isinstance(resp.get("ScannedCount"), int):
        call.scanned = int(resp["ScannedCount"])
    call.items = [from_typed(i) for i in items[:_MAX_ITEMS]]
    if status >= 400:
        call.error = str(resp.get("__type", f"HTTP {status}")).rsplit("#", 1)[-1]
    return call


class _Lane:
    __slots__ = ("index", "probe")

    def __init__(self, index: int) -> None:
        self.index = index
        self.probe: int | None = None


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
        self._last_write = 0  # sequence number of the latest recorded call that may have written
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
            return [c for c in self.calls if c.probe == probe]

    def settled(self) -> int:
        """A sequence number every call up to which has been answered by DynamoDB (and recorded, or
        lost with its connection): what a snapshot taken now already contains."""
        with self._lock:
            pending = self._inflight | self._lost  # a lost call may still be applied upstream
            return min(pending) - 1 if pending else self._seq

    def wrote_since(self, seq: int) -> bool:
        """Whether a write that arrived after `seq` was recorded, or a call after it is still in flight."""
        with self._lock:
            if any(s > seq for s in self._inflight | self._lost):
                return True  # not answered (yet): it may write
            return self._last_write > seq

    def calls_of(self, probe: int) -> list[DynamoCall]:
        with self._lock:
            return [c for c in self.calls if c.probe == probe]

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
                up_writer.write(head + body)
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
                    self._inflight.discard(seq)
                    if call.operation in MAY_WRITE:
                        self._last_write = max(self._last_write, seq)
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


def owner_scoped_values(call: DynamoCall) -> list[Any]:
    """Values a call used to select data (key and expression values), for 'whose data' questions."""
    vals: list[Any] = list((call.key or {}).values())
    vals.extend(plain(v) for v in call.values.values())
    return vals
