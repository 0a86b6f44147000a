"""The probes' HTTP/1.1 transport (gate/target/transport.py) against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable

import httpx
import pytest

from gate.netutil import read_capped
from gate.target.transport import H11Transport

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # the request's head -> keep the connection?


async def _serve(answer: Answer) -> tuple[asyncio.Server, list[int]]:
    conns: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conns.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")), 0
                )
                if length:
                    await reader.readexactly(length)
                if not await answer(head, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, conns


def _run(answer: Answer, body: Callable[[httpx.AsyncClient, str, list[int]], Awaitable[None]]) -> None:
    async def go() -> None:
        server, conns = await _serve(answer)
        port = server.sockets[0].getsockname()[1]
        try:
            async with httpx.AsyncClient(transport=H11Transport()) as client:
                await body(client, f"http://127.0.0.1:{port}", conns)
        finally:
            server.close()

    asyncio.run(go())


async def _plain(head: bytes, w: asyncio.StreamWriter) -> bool:
    path = head.split(b" ")[1]
    if path == b"/chunked":
        w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    elif path == b"/gzip":
        z = gzip.compress(b'{"ok": true}')
        w.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(z) + z)
    elif path == b"/close":
        w.write(b"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        return False
    elif path == b"/big":
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000)
    elif path == b"/drip":
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(100):
            w.write(b"x")
            await w.drain()
            await asyncio.sleep(0.05)
    elif path == b"/hangup":
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        return False  # closes without saying so: the client finds out on its next request
    else:
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n" + b'{"ok": true}')
    await w.drain()
    return True


def test_one_connection_is_kept_alive_for_every_request_and_bodies_come_whole() -> None:
    async def body(client: httpx.AsyncClient, base: str, conns: list[int]) -> None:
        r = await client.post(base + "/x", json={"a": 1})
        assert (r.status_code, r.json(), r.http_version) == (200, {"ok": True}, "HTTP/1.1")
        assert (await client.get(base + "/chunked")).text == "abcde"
        assert (await client.get(base + "/gzip")).json() == {"ok": True}  # httpx decodes what the transport read
        assert len(conns) == 1

    _run(_plain, body)


def test_an_answer_that_closes_or_is_cut_short_is_never_reused() -> None:
    async def body(client: httpx.AsyncClient, base: str, conns: list[int]) -> None:
        r = await client.get(base + "/close")
        assert (r.status_code, r.text) == (201, "ok")
        assert (await client.get(base + "/x")).status_code == 200
        assert len(conns) == 2
        resp = await client.send(client.build_request("GET", base + "/big"), stream=True)
        got, cut = await read_capped(resp, 1000)
        await resp.aclose()
        assert (len(got), cut) == (1000, True)
        assert (await client.get(base + "/x")).status_code == 200 and len(conns) == 3

    _run(_plain, body)


def test_a_deadline_mid_answer_closes_that_connection_and_the_next_request_works() -> None:
    async def body(client: httpx.AsyncClient, base: str, conns: list[int]) -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                resp = await client.send(client.build_request("GET", base + "/drip"), stream=True)
                await read_capped(resp, 10_000)
        assert (await client.get(base + "/x")).json() == {"ok": True} and len(conns) == 2

    _run(_plain, body)


def test_a_kept_connection_the_server_dropped_is_not_used_again() -> None:
    async def body(client: httpx.AsyncClient, base: str, conns: list[int]) -> None:
        assert (await client.get(base + "/hangup")).text == "ok"
        await asyncio.sleep(0.1)  # the close reaches the client
        assert (await client.get(base + "/x")).status_code == 200 and len(conns) == 2

    _run(_plain, body)


def test_nothing_listening_is_a_connect_error() -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=H11Transport()) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("http://127.0.0.1:9/")

    asyncio.run(go())
