"""Small network helpers shared by the lifecycle code, and the one bounded HTTP read.

The service under test is untrusted: every answer the gate reads from it is bounded in bytes and in
total time. httpx's timeouts bound each network operation, not the exchange, so a service that drips
one byte a second (or its headers one at a time) never trips them (issue 12); `fetch` puts one
deadline over connect, headers and body together.
"""

from __future__ import annotations

import asyncio
import codecs
import functools
import ssl
from dataclasses import dataclass

import httpx


@functools.cache
def _no_certificates() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def verify_for(*urls: str) -> ssl.SSLContext | bool:
    """httpx's `verify=` for clients that talk to `urls`: plain http needs no CA bundle, and loading one
    costs up to a second of CPU per client while the JVM boots on the same cores (issue 17); https keeps
    the default verification (a `service.url` elsewhere)."""
    return _no_certificates() if all(u.startswith("http://") for u in urls) else True


class Overdue(httpx.TimeoutException):
    """No complete answer within the exchange's total deadline (an httpx timeout, so callers that
    handle `httpx.HTTPError` handle it too)."""


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    headers: httpx.Headers
    body: bytes
    cut: bool  # more than the byte cap came; the rest was never read
    charset: str | None = None

    @property
    def text(self) -> str:
        return decode(self.body, self.charset)


def decode(body: bytes, charset: str | None) -> str:
    """The body in the response's charset when that is a text encoding Python knows; else UTF-8 (none,
    a made-up `utf8mb4`, or a codec that is not a text encoding at all, such as `base64`)."""
    try:
        info = codecs.lookup(charset or "utf-8")
        if getattr(info, "_is_text_encoding", True):
            return body.decode(info.name, "replace")
    except (LookupError, UnicodeError):
        pass
    return body.decode("utf-8", "replace")


async def read_capped(resp: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    """At most `max_bytes` of the body, and whether there was more (never read: memory stays bounded)."""
    got = bytearray()
    async for chunk in resp.aiter_bytes():
        got += chunk
        if len(got) > max_bytes:
            return bytes(got[:max_bytes]), True
    return bytes(got), False


async def fetch(client: httpx.AsyncClient, request: httpx.Request, *, seconds: float, max_bytes: int) -> Answer:
    """Send `request` and read at most `max_bytes` of its answer, all within `seconds`; Overdue after."""
    try:
        async with asyncio.timeout(seconds):
            resp = await client.send(request, stream=True)
            try:
                body, cut = await read_capped(resp, max_bytes)
            finally:
                await resp.aclose()
    except TimeoutError:
        raise Overdue(f"no complete answer within {seconds:g} s", request=request) from None
    return Answer(resp.status_code, resp.headers, body, cut, resp.charset_encoding)
