"""A Lambda function's answer turned into the HTTP response API Gateway sends, and API Gateway's own errors.

Payload 2.0 (HTTP API): a dict with `statusCode` gives the status, `headers`, `cookies` (one
Set-Cookie each), `body` and `isBase64Encoded`; any other JSON value is taken as the body of a 200
`application/json` answer (AWS: "Lambda function response format", format 2.0). Payload 1.0 (REST
API, HTTP API 1.0): `statusCode`, `headers` and `multiValueHeaders` (merged), `body`,
`isBase64Encoded`; an answer without a numeric `statusCode` is a malformed Lambda proxy response:
REST API answers 502 `{"message": "Internal server error"}`, HTTP API 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Answer:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def gateway_error(api: str, what: str) -> Answer:
    """API Gateway's own answers: `unauthorized` (401), `forbidden`, `denied` (403), `no-route`, `failed`
    (the function failed or answered malformed), `timeout`."""
    rest = api == "rest"
    status, message = {
        "unauthorized": (401, "Unauthorized"),
        "forbidden": (403, "Forbidden" if not rest else "User is not authorized to access this resource"),
        "denied": (403, "User is not authorized to access this resource with an explicit deny"),
        "no-route": (403, "Missing Authentication Token") if rest else (404, "Not Found"),
        "failed": (502, "Internal server error") if rest else (500, "Internal Server Error"),
        "timeout": (504, "Endpoint request timed out") if rest else (503, "Service Unavailable"),
    }[what]
    key = "Message" if what == "denied" else "message"
    headers = [("content-type", "application/json"), ("x-amzn-ErrorType", what)]
    return Answer(status, headers, json.dumps({key: message}).encode())


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _body(result: dict[str, Any]) -> bytes | None:
    body = result.get("body")
    if body is None:
        return b""
    text = body if isinstance(body, str) else json.dumps(body)
    if result.get("isBase64Encoded"):
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
    return text.encode("utf-8", errors="replace")


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        code = int(value)
    except (TypeError, ValueError):
        return None
    return code if 100 <= code <= 599 else None


def to_http(result: Any, payload: str, api: str) -> Answer:
    if payload == "2.0" and not (isinstance(result, dict) and "statusCode" in result):
        body = _text(result).encode() if result is not None else b""
        return Answer(200, [("content-type", "application/json")], body)
    if not isinstance(result, dict) or _status(result.get("statusCode")) is None:
        return gateway_error(api, "failed")
    body = _body(result)
    if body is None:
        return gateway_error(api, "failed")
    headers = [(str(k), _text(v) if not isinstance(v, str) else v) for k, v in (result.get("headers") or {}).items()]
    if payload == "1.0":
        single = {k.lower() for k, _ in headers}
        for k, vals in (result.get("multiValueHeaders") or {}).items():
            if str(k).lower() in single:
                headers = [h for h in headers if h[0].lower() != str(k).lower()]
            headers += [(str(k), str(v)) for v in (vals if isinstance(vals, list) else [vals])]
    else:
        headers += [("set-cookie", str(c)) for c in result.get("cookies") or []]
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("content-type", "application/json"))
    return Answer(_status(result["statusCode"]) or 502, headers, body)
