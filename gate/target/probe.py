"""The HTTP engine: httpx async, one probe at a time per lane, bounded in count and time.

Every exchange is kept as evidence: request (method, path, identity, redacted headers, body
excerpt), response (status, headers, body excerpt) and the DynamoDB calls the recorder attributed
to it. Retries are off: a probe is sent exactly once, so what the recorder saw is what it caused.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from gate.auth.identities import Identity
from gate.dynamo.calls import DynamoCall
from gate.dynamo.recorder import Recorder
from gate.errors import ScanError
from gate.netutil import decode, read_capped, verify_for
from gate.target.transport import H11Transport

EXCERPT = 600
MAX_REQUESTS = 20_000  # hard bound on one scan's probes
MAX_BODY = 1 << 20  # bytes of a response kept; the rest is never read (a hostile service cannot fill memory)
# One probe's whole exchange (connect, headers, body, the retry): httpx's timeout bounds each read only,
# and a service dripping a byte every 2 s kept a scan running for minutes (issue 12).
REQUEST_SECONDS = 20.0


@dataclass(slots=True)
class Exchange:
    id: int
    lane: int
    method: str
    path: str
    identity: str | None
    request_headers: dict[str, str]
    request_body: str | None
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    elapsed_ms: float = 0.0
    calls: list[DynamoCall] = field(default_factory=list)
    error: str | None = None
    label: str = ""  # what the probe tried ("garbage bearer token")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def has_data(self) -> bool:
        """A 2xx with a non-empty body (not `{}`, `[]`, `null` or whitespace)."""
        body = self.text.strip()
        return self.ok and body not in ("", "{}", "[]", "null", '""')

    def request_evidence(self, redact: list[str]) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": redact_text(self.path, redact, keep=12),
            "identity": self.identity or "anonymous",
            "label": self.label,
            "headers": {k: redact_text(v, redact, keep=12) for k, v in sorted(self.request_headers.items())},
            "body": redact_text(self.request_body, redact) if self.request_body else None,
        }

    def response_evidence(self, redact: list[str]) -> dict[str, Any]:
        keep = {"content-type", "www-authenticate", "retry-after", "set-cookie", "location"}
        return {
            "status": self.status,
            "headers": {
                k: redact_text(v, redact, keep=12)
                for k, v in sorted(self.response_headers.items())
                if k.lower() in keep
            },
            "body": redact_text(self.text[:EXCERPT], redact) + ("…" if len(self.text) > EXCERPT else ""),
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def redact_text(text: str | None, secrets: list[str], keep: int = 0) -> str:
    """Replace each secret (tokens, passwords, keys) with a marker; `keep` leading chars stay visible."""
    out = text or ""
    for s in sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True):
        out = out.replace(s, (s[:keep] if keep and len(s) > keep * 2 else "") + "…[redacted]")
    return out


@dataclass(frozen=True, slots=True)
class _Multipart:
    """A multipart/form-data body: field -> (filename, value); a filename of None makes a plain field."""

    fields: dict[str, tuple[str | None, str]]


class Prober:
    """Sends probes down lanes; lane i is service instance i behind recorder port i."""

    def __init__(
        self, base_urls: list[str], recorder: Recorder | None, timeout: float = 10.0, budget: float | None = None
    ) -> None:
        self.base_urls = base_urls
        self.recorder = recorder
        self.budget = budget  # seconds for every probe of the scan together (gate.timeout)
        self._deadline = time.monotonic() + budget if budget else None
        self._ids = itertools.count(1)
        self._lanes: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(base_urls)):
            self._lanes.put_nowait(i)
        self._exclusive = asyncio.Lock()
        plain = all(u.startswith("http://") for u in base_urls)  # a service.url over https keeps httpx's own
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=len(base_urls) * 2),
            verify=verify_for(*base_urls),
            transport=H11Transport() if plain else None,
        )
        self.sent = 0
        self.exchanges: list[Exchange] = []
        # gate/target/liveness.py: told of every probe that ended in a transport error (did the service die?),
        # asked whether a lane's service still runs, and whether a probe must not be sent (its operation took
        # the service down once already: sending it again would only kill it again)
        self.on_error: Callable[[Exchange, Exchange | None], Awaitable[bool]] | None = None
        self.alive: Callable[[int], bool] | None = None
        self.refuse: Callable[[str, str], str | None] | None = None

    async def aclose(self) -> None:
        await self._client.aclose()

    def _over_budget(self) -> ScanError:
        return ScanError(
            f"the checks ran past their time budget of {self.budget:g} s (gate.timeout) after {self.sent} "
            "requests: is the service this slow?"
        )

    def _seconds_left(self) -> float:
        """The probe's total deadline: its own bound, cut to what is left of the checks' budget."""
        if self._deadline is None:
            return REQUEST_SECONDS
        return max(0.0, min(REQUEST_SECONDS, self._deadline - time.monotonic()))

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[int]:
        """Hold every lane: nothing else reaches the service (destructive probes, snapshots)."""
        async with self._exclusive:
            held = [await self._lanes.get() for _ in self.base_urls]
            try:
                yield held[0]
            finally:
                for lane in held:
                    self._lanes.put_nowait(lane)

    async def send(
        self,
        method: str,
        path: str,
        identity: Identity | None = None,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        label: str = "",
        lane: int | None = None,
        use_identity_auth: bool = True,
        multipart: dict[str, tuple[str | None, str]] | None = None,
    ) -> Exchange:
        """One probe. `lane` is given by a caller that already holds it (inside `exclusive`)."""
        if self.sent >= MAX_REQUESTS:
            raise ScanError(f"the scan reached its bound of {MAX_REQUESTS} requests")
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise self._over_budget()
        self.sent += 1
        body = json_body if multipart is None else _Multipart(multipart)
        args = (method, path, identity, headers, body, data, params, cookies, label, use_identity_auth)
        if lane is not None:
            return await self._watched(lane, *args)
        async with self._exclusive:  # wait while an exclusive section runs
            pass
        got = await self._lanes.get()
        try:
            return await self._watched(got, *args)
        finally:
            self._lanes.put_nowait(got)

    async def _watched(self, lane: int, *args: Any) -> Exchange:
        """A probe on a lane this caller holds; a transport error is reported before the lane is let go, so
        a service that died is restarted before another probe can meet it."""
        why = self.refuse(args[0], args[1]) if self.refuse is not None else None
        if why is not None:
            self.sent -= 1  # never sent
            return Exchange(next(self._ids), lane, args[0].upper(), args[1], None, {}, None, error=why, label=args[8])
        ex = await self._send_on(lane, *args)
        if ex.error is not None and self.on_error is not None and await self.on_error(ex, None):
            self.sent += 1  # the service died with it in flight and was restarted: sent once more (liveness)
            again = await self._send_on(lane, *args)
            if again.error is not None:
                await self.on_error(again, ex)
            return again
        return ex

    async def _send_on(
        self,
        lane: int,
        method: str,
        path: str,
        identity: Identity | None,
        headers: dict[str, str] | None,
        json_body: Any,
        data: dict[str, str] | None,
        params: dict[str, str] | None,
        cookies: dict[str, str] | None,
        label: str,
        use_identity_auth: bool,
    ) -> Exchange:
        hdrs: dict[str, str] = {}
        jar: dict[str, str] = {}
        if identity is not None and use_identity_auth:
            hdrs.update(identity.headers)
            jar.update(identity.cookies)
        hdrs.update(headers or {})
        jar.update(cookies or {})
        if jar:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        body_text: str | None = None
        content: bytes | None = None
        if isinstance(json_body, _Multipart):  # form fields and files: (filename or None, value)
            boundary = {"Content-Type": "multipart/form-data; boundary=authgate-boundary"}  # the same every time
            built = httpx.Request("POST", "http://127.0.0.1/", files=json_body.fields, headers=boundary)
            content = built.read()
            hdrs.setdefault("Content-Type", built.headers["content-type"])
            body_text = content.decode("utf-8", "replace")
        elif json_body is not None:
            body_text = json.dumps(json_body)
            content = body_text.encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif data is not None:
            body_text = httpx.QueryParams(data).__str__()
            content = body_text.encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        pid = next(self._ids)
        shown_path = path + (("?" + str(httpx.QueryParams(params))) if params else "")
        ex = Exchange(
            id=pid,
            lane=lane,
            method=method.upper(),
            path=shown_path,
            identity=identity.name if identity else None,
            request_headers=dict(hdrs),
            request_body=body_text,
            label=label,
        )
        if self.recorder is not None:
            self.recorder.begin(lane, pid)
        t0 = time.perf_counter()
        seconds = self._seconds_left()
        try:
            async with asyncio.timeout(seconds):
                await self._exchange(ex, pid, method, lane, path, hdrs, content, params)
        except httpx.HTTPError as exc:
            ex.error = f"{type(exc).__name__}: {exc}"
        except TimeoutError:
            ex.error = f"no complete answer within {seconds:.1f} s"
        finally:
            ex.elapsed_ms = (time.perf_counter() - t0) * 1000
            if self.recorder is not None:
                ex.calls = self.recorder.end(lane, pid)
        self.exchanges.append(ex)
        if ex.error and self._deadline is not None and time.monotonic() >= self._deadline:
            raise self._over_budget()  # gate.timeout is a hard bound: the probe in flight ends the checks
        return ex

    async def _exchange(
        self,
        ex: Exchange,
        pid: int,
        method: str,
        lane: int,
        path: str,
        hdrs: dict[str, str],
        content: bytes | None,
        params: dict[str, str] | None,
    ) -> None:
        for attempt in (1, 2):
            try:
                request = self._client.build_request(
                    method.upper(), self.base_urls[lane] + path, headers=hdrs, content=content, params=params
                )
                resp = await self._client.send(request, stream=True)
            except (httpx.RemoteProtocolError, httpx.ReadError):
                # uvicorn closes a kept-alive connection after a 500; a probe sent on it in that moment
                # never reached the service (the recorder saw nothing), so it is sent again, once
                alive = self.alive is None or self.alive(lane)
                if attempt == 1 and alive and not (self.recorder and self.recorder.calls_of(pid)):
                    continue
                raise
            try:
                ex.status = resp.status_code
                ex.response_headers = {k.lower(): v for k, v in resp.headers.items()}
                body, cut = await read_capped(resp, MAX_BODY)
                ex.text = decode(body, resp.charset_encoding) + ("…[cut]" if cut else "")
            finally:
                await resp.aclose()
            return
