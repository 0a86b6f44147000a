"""API Gateway's authorizers, played by the gate: JWT / Cognito tokens verified, Lambda authorizers invoked.

JWT (HTTP API) and Cognito user-pool (REST API) authorizers: the gate mints each identity's token
(gate/serverless/tokens.py) and verifies a request's token as API Gateway would: signature with
the scan's key, `exp`, `iss` equal to the authorizer's issuer and, for a JWT authorizer with an
audience, `aud` or `client_id` in it; the HTTP API strips a `Bearer ` prefix, REST takes the header
as the token. A missing or bad token is API Gateway's 401. The claims go where API Gateway puts
them: `requestContext.authorizer.jwt.claims` (payload 2.0), `requestContext.authorizer.claims`
(payload 1.0 and REST), every value a string.

Lambda authorizers are the service's code: invoked with the TOKEN/REQUEST event (REST) or the
payload 1.0/2.0 request event (HTTP API); an IAM policy is evaluated (an explicit Deny wins, an
Allow whose Resource matches the method ARN lets the request through), a simple response's
`isAuthorized` decides, an `Unauthorized` error is a 401, and the `context` reaches the function.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from gate.dynamo.template import PSEUDO
from gate.serverless import events
from gate.serverless.events import Request
from gate.serverless.model import Authorizer, Route
from gate.serverless.worker import Outcome

Invoke = Callable[[str, dict[str, Any]], Outcome]


@dataclass(frozen=True, slots=True)
class Verdict:
    """`context` for the event when allowed, else the API Gateway error (`unauthorized`, `forbidden`, ...)."""

    context: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Keys:
    """What the gate verifies its minted tokens with."""

    key: Any
    algorithm: str


def _claim_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_claim_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def method_arn(req: Request, route: Route) -> str:
    """The method ARN (REST) or route ARN (HTTP API) of the request, as Lambda authorizers get it."""
    base = f"arn:aws:execute-api:{PSEUDO['AWS::Region']}:{PSEUDO['AWS::AccountId']}:{events.API_ID}"
    return f"{base}/{route.stage}/{req.method}{req.raw_path}"


def _token(req: Request, auth: Authorizer, route: Route) -> str | None:
    value = req.header(auth.header)
    if not value:
        return None
    if route.api == "http" and value[:7].lower() == "bearer ":
        value = value[7:]
    return value.strip() or None


def _played(req: Request, route: Route, auth: Authorizer, keys: Keys) -> Verdict:
    token = _token(req, auth, route)
    if token is None:
        return Verdict(error="unauthorized")
    try:
        claims = jwt.decode(
            token,
            keys.key,
            algorithms=[keys.algorithm],
            issuer=auth.issuer or None,
            options={"require": ["exp", "iss"] if auth.issuer else ["exp"], "verify_aud": False},
        )
    except jwt.PyJWTError:
        return Verdict(error="unauthorized")
    if auth.kind == "jwt" and auth.audience:
        aud = claims.get("aud", claims.get("client_id"))
        auds = aud if isinstance(aud, list) else [aud]
        if not any(a in auth.audience for a in auds):
            return Verdict(error="unauthorized")
    scopes = str(claims.get("scope") or "").split()
    if route.scopes and not set(route.scopes) & set(scopes):
        return Verdict(error="forbidden")
    text = {k: _claim_text(v) for k, v in claims.items()}
    if auth.kind == "jwt":
        inner = {"claims": text, "scopes": scopes or None}
        return Verdict(context={"jwt": inner} if route.payload == "2.0" else inner)
    return Verdict(context={"claims": text})


def _policy_allows(policy: Any, arn: str) -> bool | None:
    """True (allowed), False (explicitly denied), None (no statement matches)."""
    statements = (policy or {}).get("Statement") if isinstance(policy, dict) else None
    statements = statements if isinstance(statements, list) else [statements] if statements else []
    allowed = None
    for st in statements:
        if not isinstance(st, dict):
            continue
        actions = st.get("Action") or []
        resources = st.get("Resource") or []
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", str(a)) for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(arn, str(r)) for r in resources):
            continue
        if str(st.get("Effect")).lower() == "deny":
            return False
        if str(st.get("Effect")).lower() == "allow":
            allowed = True
    return allowed


def _lambda_event(req: Request, route: Route, auth: Authorizer) -> dict[str, Any] | None:
    value = req.header(auth.header)
    arn = method_arn(req, route)
    if route.api == "rest" and auth.payload == "TOKEN":
        return None if not value else {"type": "TOKEN", "authorizationToken": value, "methodArn": arn}
    if not value:
        return None
    if route.api == "rest" or auth.payload == "1.0":
        ev = events.v1(req, route, route.match(req.method, req.path) or {}, None)
        ev.pop("body", None), ev.pop("isBase64Encoded", None)
        return {"type": "REQUEST", "methodArn": arn, **ev}
    ev = events.v2(req, route, route.match(req.method, req.path) or {}, None)
    ev.pop("body", None), ev.pop("isBase64Encoded", None)
    return {**ev, "type": "REQUEST", "routeArn": arn, "identitySource": [value]}


def _lambda(req: Request, route: Route, auth: Authorizer, invoke: Invoke) -> Verdict:
    event = _lambda_event(req, route, auth)
    if event is None or auth.function is None:
        return Verdict(error="unauthorized")
    out = invoke(auth.function, event)
    if out.error is not None:
        return Verdict(error="unauthorized" if out.error.get("errorMessage") == "Unauthorized" else "failed")
    got = out.result if isinstance(out.result, dict) else {}
    context = {k: v for k, v in (got.get("context") or {}).items() if isinstance(v, str | int | float | bool)}
    if route.api == "http" and auth.simple and "isAuthorized" in got:
        return Verdict(context={"lambda": context}) if got.get("isAuthorized") is True else Verdict(error="forbidden")
    allowed = _policy_allows(got.get("policyDocument"), method_arn(req, route))
    if allowed is False:
        return Verdict(error="denied")
    if allowed is None:
        return Verdict(error="forbidden")
    if route.api == "http" and route.payload == "2.0":
        return Verdict(context={"lambda": context, "principalId": got.get("principalId")})
    return Verdict(context={"principalId": got.get("principalId"), **context})  # REST keeps the values' types


def authorize(req: Request, route: Route, keys: Keys | None, invoke: Invoke) -> Verdict:
    """What the route's authorizer says about `req`; routes without one pass with no context."""
    auth = route.authorizer
    if auth is None:
        return Verdict()
    if auth.played:
        return _played(req, route, auth, keys) if keys is not None else Verdict(error="unauthorized")
    return _lambda(req, route, auth, invoke)
