"""The probes' HTTP/1.1 transport for httpx: h11 over asyncio streams, a kept-alive connection per lane.

httpx's own transport (httpcore over anyio) spent about 0.7 ms of the gate's CPU on every request, on
the critical path of a prober that has one request in flight (issue 17: 2,000 requests in a
100-operation scan). This one does what the prober needs and nothing else: plain http to the service
(`Prober` keeps httpx's transport for an https `service.url`), the protocol left to h11 (framing,
chunked bodies, keep-alive rules), a connection reused only when both sides finished their message.

Bounds stay where they were: the prober's `asyncio.timeout` around the whole exchange (a dripping
answer is cut there, and its connection closed here), `read_capped` for the body, and h11's limit on
an incomplete head. Errors are httpx's (`ConnectError`, `WriteError`, `ReadError`,
`RemoteProtocolError`), so the prober reads them as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import h11
import httpx

READ = 64 * 1024
MAX_HEAD = 64 * 1024  # an answer's status line and headers


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def event(self, request: httpx.Request) -> h11.Event:
        """The next event of the answer, reading as much as it takes."""
        while True:
            try:
                ev = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from None
            if ev is not h11.NEED_DATA:
                return ev
            try:
                data = await self.reader.read(READ)
            except OSError as exc:
                raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None
            try:
                self.h11.receive_data(data)  # b"": the peer closed; h11 says whether that was allowed
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from None


class _Body(httpx.AsyncByteStream):
    def __init__(self, pool: H11Transport, key: tuple[str, int], conn: _Conn, request: httpx.Request) -> None:
        self.pool, self.key, self.conn, self.request = pool, key, conn, request
        self.done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while not self.done:
            ev = await self.conn.event(self.request)
            if isinstance(ev, h11.Data):
                yield bytes(ev.data)
            elif isinstance(ev, h11.EndOfMessage):
                self.done = True
            else:  # ConnectionClosed before the end
                raise httpx.RemoteProtocolError("the server closed the connection mid-answer", request=self.request)

    async def aclose(self) -> None:
        c = self.conn.h11
        if self.done and c.our_state is h11.DONE and c.their_state is h11.DONE:
            c.start_next_cycle()
            self.pool.idle.setdefault(self.key, []).append(self.conn)
        else:  # cut short (a capped body, a timeout) or not to be kept alive
            self.conn.close()


class H11Transport(httpx.AsyncBaseTransport):
    """Plain HTTP/1.1 to 127.0.0.1 (or any http:// base URL)."""

    def __init__(self) -> None:
        self.idle: dict[tuple[str, int], list[_Conn]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"{request.url.scheme}: not served by this transport", request=request)
        key = (request.url.host, request.url.port or 80)
        conn = self._kept(key)
        try:
            if conn is None:
                try:
                    conn = _Conn(*await asyncio.open_connection(*key, limit=READ))
                except OSError as exc:
                    raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from None
            body = await request.aread()
            head = h11.Request(method=request.method, target=request.url.raw_path, headers=request.headers.raw)
            try:
                out = conn.h11.send(head) or b""
                out += (conn.h11.send(h11.Data(data=body)) or b"") if body else b""
                out += conn.h11.send(h11.EndOfMessage()) or b""
            except h11.LocalProtocolError as exc:
                raise httpx.LocalProtocolError(str(exc), request=request) from None
            try:
                conn.writer.write(out)
                await conn.writer.drain()
            except OSError as exc:
                raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from None
            while True:
                ev = await conn.event(request)
                if isinstance(ev, h11.Response):
                    break
                if not isinstance(ev, h11.InformationalResponse):  # 1xx: the answer is still to come
                    closed = "the server closed the connection without answering"
                    raise httpx.RemoteProtocolError(closed, request=request)
        except BaseException:  # an error, or the prober's deadline: this connection is never reused
            if conn is not None:
                conn.close()
            raise
        return httpx.Response(
            ev.status_code,
            headers=ev.headers,
            stream=_Body(self, key, conn, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": ev.reason},
        )

    def _kept(self, key: tuple[str, int]) -> _Conn | None:
        """An idle connection the server has not closed meanwhile (it may, after a 500: uvicorn does)."""
        idle = self.idle.get(key) or []
        while idle:
            conn = idle.pop()
            if not (conn.reader.at_eof() or conn.writer.is_closing()):
                return conn
            conn.close()
        return None

    async def aclose(self) -> None:
        for conns in self.idle.values():
            for conn in conns:
                conn.close()
        self.idle.clear()
