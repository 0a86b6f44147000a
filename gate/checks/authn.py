"""authn: operations that let a request without valid credentials reach the data.

What it proves
  `authn.missing`: a request with no credentials answered 2xx with data, and the recorder shows
  the DynamoDB calls it caused (or the body carries seeded values). `authn.garbage-token`: the
  same with a bearer token that is not a token at all. `authn.db-before-auth`: a request without
  valid credentials made the service call DynamoDB, even though it then answered 401/403: the
  service touched the data before it decided who was asking.

  On an operation that refuses both, malformed `Authorization` headers (bearer tokens only):
  `authn.empty-bearer` the scheme with no token (`Bearer`), `authn.wrong-scheme` made-up
  `Basic` credentials, `authn.lowercase-scheme` a garbage token under `bearer` (scheme names are
  case-insensitive, RFC 7235, so a valid token under `bearer` is fine: a garbage one getting in
  means verification is skipped for that spelling). `authn.token-in-query`: a real token in the
  query string (`?access_token=`, or `?api_key=` with API keys) and no header is accepted, so
  credentials end up in access logs, proxies and browser history (RFC 6750 section 2.3).

Example finding
  HIGH authn.missing GET /admin/stats anonymous: Scan profiles (6 items), answered 200.

Remediation
  Authenticate every operation before any data access (a FastAPI dependency on the router, a
  Flask `before_request`), and declare intentionally public operations in `checks.public`.
  Reject every header that is not exactly `<scheme> <token>` with a valid token, and read
  credentials only from the header.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

from gate.auth.identities import Identity
from gate.checks._auth import GARBAGE_TOKEN
from gate.checks.context import ScanContext
from gate.checks.engine import PerOperation, Probe, Routes
from gate.checks.util import touched_db, values_in
from gate.findings import CheckMeta, FamilyMeta, Finding, Severity
from gate.target.openapi import Operation
from gate.target.probe import Exchange

AUTHN = FamilyMeta(name="authn", cwe=("CWE-287",), owasp=("API2:2023",))
MISSING = AUTHN.check(
    "authn.missing",
    title="Operation reachable without credentials",
    description="A request with no credentials answered 2xx with data from DynamoDB.",
    severity=Severity.HIGH,
    cwe=("CWE-306",),
    remediation="Require authentication on every operation before any data access; list deliberately "
    "public operations in checks.public.",
)
GARBAGE = AUTHN.check(
    "authn.garbage-token",
    title="Operation accepts a garbage bearer token",
    description="A request whose token is not a token answered 2xx with data.",
    severity=Severity.HIGH,
    remediation="Verify the token (signature, algorithm, expiry) instead of only checking the header is present.",
)
DB_BEFORE_AUTH = AUTHN.check(
    "authn.db-before-auth",
    title="DynamoDB read before authentication",
    description="A request without valid credentials made the service call DynamoDB before it refused.",
    severity=Severity.MEDIUM,
    remediation="Decide who is asking before touching the data: authenticate in a dependency or middleware "
    "that runs before the handler reads DynamoDB.",
)

_STRICT = "Accept only `<scheme> <token>` with a verified token; refuse every other header shape."
EMPTY_BEARER = AUTHN.check(
    "authn.empty-bearer",
    title="Auth scheme with no token accepted",
    description="A request whose Authorization header holds only the scheme (`Bearer`) answered 2xx with data.",
    severity=Severity.HIGH,
    remediation=_STRICT,
)
WRONG_SCHEME = AUTHN.check(
    "authn.wrong-scheme",
    title="Made-up credentials under another auth scheme accepted",
    description="A request with `Authorization: Basic <made-up credentials>` answered 2xx with data.",
    severity=Severity.HIGH,
    remediation=_STRICT,
)
LOWER_SCHEME = AUTHN.check(
    "authn.lowercase-scheme",
    title="Garbage token accepted under a differently spelled scheme",
    description="A garbage token under `bearer` (instead of `Bearer`) answered 2xx with data: verification "
    "is skipped for that spelling.",
    severity=Severity.HIGH,
    remediation="Compare the scheme case-insensitively and verify the token whatever its spelling (RFC 7235).",
)
QUERY_TOKEN = AUTHN.check(
    "authn.token-in-query",
    title="Credentials accepted in the query string",
    description="A real token in the URL query string (and no header) was accepted; URLs end up in logs, "
    "proxies and browser history.",
    severity=Severity.MEDIUM,
    cwe=("CWE-598",),
    remediation="Read credentials only from the Authorization header (or a Secure, HttpOnly cookie), never the URL.",
)

BASIC_MADE_UP = "Basic " + base64.b64encode(b"authgate:not-a-password").decode()
QUERY_PARAMS = ("access_token", "token")


def _proof(ctx: ScanContext, ex: Exchange) -> list[str] | None:
    """Why this exchange proves data was served: the DynamoDB calls it caused. Without the recorder
    (an external endpoint), seeded values in the body that the request did not carry itself; with it,
    a body that merely matches a seeded string (a constant, an echo) proves nothing."""
    calls = touched_db(ex.calls)
    if calls:
        return [f"{c.summary()} for a request without valid credentials, answered {ex.status}" for c in calls]
    if ctx.recorder is not None:
        return None
    asked = {v for item in ctx.owned for v in item.values() if v in ex.path}
    leaked = sorted({v for item in ctx.owned for v in values_in(ex.text, item, asked)})
    if leaked:
        return [f"response carries seeded values {leaked[:5]} without valid credentials"]
    return None


async def _send(ctx: ScanContext, op: Operation, headers: dict[str, str], label: str) -> Exchange:
    path = ctx.sample_path(op)
    if op.method == "GET":
        return await ctx.send_op(op, path, None, headers=headers, label=label)
    async with ctx.mutation() as (lane, _changes):
        return await ctx.send_op(op, path, None, headers=headers, label=label, lane=lane)


def _variants(ctx: ScanContext) -> list[tuple[CheckMeta, dict[str, str], str]]:
    """Malformed Authorization headers: (check, headers, label); bearer tokens in a header only."""
    auth = ctx.cfg.auth
    if auth.api_key or not auth.scheme or (auth.login and auth.login.cookie):
        return []
    scheme = auth.scheme
    other = scheme.lower() if scheme != scheme.lower() else scheme.upper()
    return [
        (EMPTY_BEARER, {auth.header: scheme}, f"`{scheme}` with no token"),
        (WRONG_SCHEME, {auth.header: BASIC_MADE_UP}, "made-up Basic credentials"),
        (LOWER_SCHEME, {auth.header: f"{other} {GARBAGE_TOKEN}"}, f"a garbage token under `{other}`"),
    ]


def _query_credential(ctx: ScanContext) -> tuple[Identity, list[dict[str, str]]] | None:
    """A regular identity and the query parameters that carry its real credential."""
    for ident in sorted(ctx.identities.values(), key=lambda i: i.privileged):
        if ctx.cfg.auth.api_key and ident.api_key:
            return ident, [{"api_key": ident.api_key}]
        if ident.token and not ctx.cfg.auth.api_key:
            return ident, [{p: ident.token} for p in QUERY_PARAMS]
    return None


async def _query_token(ctx: ScanContext, op: Operation) -> Finding | None:
    """A real credential in the query string, no header, on a GET that refused no credentials."""
    got = _query_credential(ctx)
    if got is None or op.method != "GET":
        return None
    ident, variants = got
    path = ctx.path_for(op, ident) or ctx.sample_path(op)
    for params in variants:
        name = next(iter(params))
        label = f"{ident.name}'s real credential in ?{name}= and no header"
        ex = await ctx.prober.send("GET", path, ident, params=params, label=label, use_identity_auth=False)
        if ex.ok and (touched_db(ex.calls) or ex.has_data()):
            notes = [f"{c.summary()} for a request whose only credential was ?{name}=" for c in touched_db(ex.calls)]
            notes = notes or [f"answered {ex.status} with data to a request whose only credential was ?{name}="]
            return ctx.finding(
                QUERY_TOKEN,
                op,
                message=f"{op.id} accepts {ident.name}'s credential in the query parameter {name}",
                evidence=ctx.evidence(ex, notes=[*notes, "the same request without credentials was refused"]),
                parameter=name,
                identity=ident.name,
                roles=ctx.roles(ident),
            )
    return None


async def probe(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
    """No credentials, then a garbage token; on an operation that refused both, malformed headers and a
    real credential in the query string."""
    bad_auth = {ctx.cfg.auth.header: f"{ctx.cfg.auth.scheme} {GARBAGE_TOKEN}".strip()}
    reported = False
    refused = True  # every unauthenticated probe so far was answered with a non-2xx
    for meta, headers, label in ((MISSING, {}, "no credentials"), (GARBAGE, bad_auth, "garbage bearer token")):
        if reported or not ctx.enabled(meta.id):
            continue
        ex = await _send(ctx, op, headers, label)
        refused = refused and not ex.ok
        proof = _proof(ctx, ex) if ex.has_data() or (ex.ok and ex.method != "GET") else None
        if proof:
            reported = True
            yield ctx.finding(
                meta,
                op,
                message=f"{op.id} answered {ex.status} to a request with {label}",
                evidence=ctx.evidence(ex, notes=proof),
                parameter=label,
                roles="anonymous",
            )
        elif not ex.ok and touched_db(ex.calls) and ctx.enabled(DB_BEFORE_AUTH.id):
            reported = True
            calls = touched_db(ex.calls)
            yield ctx.finding(
                DB_BEFORE_AUTH,
                op,
                message=f"{op.id} called DynamoDB ({calls[0].operation} {calls[0].table}) for a request "
                f"with {label}, then answered {ex.status}",
                evidence=ctx.evidence(ex, notes=[c.summary() for c in calls]),
                roles="anonymous",
            )
    if reported or not refused:
        return
    for meta, headers, label in _variants(ctx):
        if not ctx.enabled(meta.id):
            continue
        ex = await _send(ctx, op, headers, label)
        proof = _proof(ctx, ex) if ex.has_data() or (ex.ok and ex.method != "GET") else None
        if proof:
            yield ctx.finding(
                meta,
                op,
                message=f"{op.id} answered {ex.status} to a request with {label}",
                evidence=ctx.evidence(ex, notes=[*proof, "no credentials and a garbage bearer token were refused"]),
                parameter=label,
                roles="anonymous",
            )
    if ctx.enabled(QUERY_TOKEN.id):
        found = await _query_token(ctx, op)
        if found is not None:
            yield found


FAMILY = PerOperation(
    meta=AUTHN,
    routes=Routes.PROTECTED,
    probes=(
        Probe(
            checks=(MISSING, GARBAGE, DB_BEFORE_AUTH, EMPTY_BEARER, WRONG_SCHEME, LOWER_SCHEME, QUERY_TOKEN),
            run=probe,
        ),
    ),
)
