"""HTTP requests to the events API Gateway sends a Lambda function (AWS's "Lambda proxy integration").

Payload format 2.0 (HTTP API; AWS: "Working with AWS Lambda proxy integrations for HTTP APIs"):
`version`, `routeKey`, `rawPath`, `rawQueryString`, `cookies` (taken out of the headers), `headers`
(names in lower case, repeated values joined with commas), `queryStringParameters` (repeated
values joined with commas), `pathParameters`, `requestContext` (`accountId`, `apiId`, `domainName`,
`domainPrefix`, `http` {method, path, protocol, sourceIp, userAgent}, `requestId`, `routeKey`,
`stage`, `time`, `timeEpoch`, `authorizer` once one ran), `body` and `isBase64Encoded`; absent
fields are left out.

Payload format 1.0 (REST API, and HTTP API with PayloadFormatVersion 1.0; AWS: "Input format of a
Lambda function for proxy integration"): `resource`, `path`, `httpMethod`, `headers` (the last
value of each) and `multiValueHeaders`, `queryStringParameters` and
`multiValueQueryStringParameters`, `pathParameters`, `stageVariables` (null when there are none),
`requestContext` (`resourcePath`, `httpMethod`, `path` with the stage, `identity` {sourceIp,
userAgent, ...}, `requestTime`, `requestTimeEpoch`, ...), `body` (null when empty) and
`isBase64Encoded`. HTTP API's 1.0 events also carry `"version": "1.0"`.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from gate.dynamo.template import PSEUDO
from gate.serverless.model import Route

API_ID = "authgate0"
DOMAIN = f"{API_ID}.execute-api.{PSEUDO['AWS::Region']}.amazonaws.com"
_TEXT = ("text/", "application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded")


@dataclass(slots=True)
class Request:
    method: str
    path: str  # decoded path, no query
    raw_path: str
    query: str  # the raw query string
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    epoch_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def header(self, name: str) -> str | None:
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(vals) if vals else None

    @property
    def user_agent(self) -> str:
        return self.header("user-agent") or ""

    @property
    def clf_time(self) -> str:
        return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(self.epoch_ms / 1000))


def _body(req: Request, binary_types: tuple[str, ...] = ()) -> tuple[str | None, bool]:
    """(body, isBase64Encoded): text bodies as text, others base64 (as API Gateway passes binary)."""
    if not req.body:
        return None, False
    ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
    textual = (ctype.startswith(_TEXT) or ctype.endswith(("+json", "+xml"))) and ctype not in binary_types
    if textual:
        try:
            return req.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(req.body).decode("ascii"), True


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def v2(req: Request, route: Route, params: dict[str, str], authorizer: dict[str, Any] | None) -> dict[str, Any]:
    headers: dict[str, list[str]] = _multi([(k.lower(), v) for k, v in req.headers if k.lower() != "cookie"])
    cookies = [c.strip() for k, v in req.headers if k.lower() == "cookie" for c in v.split(";") if c.strip()]
    query = _multi(parse_qsl(req.query, keep_blank_values=True))
    body, b64 = _body(req)
    ctx: dict[str, Any] = {
        "accountId": PSEUDO["AWS::AccountId"],
        "apiId": API_ID,
        "domainName": DOMAIN,
        "domainPrefix": API_ID,
        "http": {
            "method": req.method,
            "path": req.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": req.source_ip,
            "userAgent": req.user_agent,
        },
        "requestId": req.request_id,
        "routeKey": route.key,
        "stage": route.stage,
        "time": req.clf_time,
        "timeEpoch": req.epoch_ms,
    }
    if authorizer is not None:
        ctx["authorizer"] = authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": req.raw_path,
        "rawQueryString": req.query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = {k: ",".join(v) for k, v in headers.items()}
    if query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    event["requestContext"] = ctx
    if body is not None:
        event["body"] = body
    if params:
        event["pathParameters"] = params
    event["isBase64Encoded"] = b64
    return event


def v1(req: Request, route: Route, params: dict[str, str], authorizer: dict[str, Any] | None) -> dict[str, Any]:
    headers = _multi(req.headers)
    query = _multi(parse_qsl(req.query, keep_blank_values=True))
    body, b64 = _body(req)
    stage_path = req.raw_path if route.api == "http" else f"/{route.stage}{req.raw_path}"
    ctx: dict[str, Any] = {
        "accountId": PSEUDO["AWS::AccountId"],
        "apiId": API_ID,
        "domainName": DOMAIN,
        "domainPrefix": API_ID,
        "extendedRequestId": req.request_id,
        "httpMethod": req.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "apiKey": None,
            "apiKeyId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": req.source_ip,
            "user": None,
            "userAgent": req.user_agent,
            "userArn": None,
        },
        "path": stage_path,
        "protocol": "HTTP/1.1",
        "requestId": req.request_id,
        "requestTime": req.clf_time,
        "requestTimeEpoch": req.epoch_ms,
        "resourceId": "authgate",
        "resourcePath": route.path,
        "stage": route.stage,
    }
    if authorizer is not None:
        ctx["authorizer"] = authorizer
    event: dict[str, Any] = {"version": "1.0"} if route.api == "http" else {}
    event.update(
        {
            "resource": route.path,
            "path": req.raw_path,
            "httpMethod": req.method,
            "headers": {k: v[-1] for k, v in headers.items()},
            "multiValueHeaders": headers,
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "requestContext": ctx,
            "pathParameters": params or None,
            "stageVariables": None,
            "body": body,
            "isBase64Encoded": b64,
        }
    )
    return event


def event_for(req: Request, route: Route, params: dict[str, str], authorizer: dict[str, Any] | None) -> dict[str, Any]:
    return (v2 if route.payload == "2.0" else v1)(req, route, params, authorizer)
