"""authn: operations that let a request without valid credentials reach the data.

What it proves
  `authn.missing`: a request with no credentials answered 2xx with data, and the recorder shows
  the DynamoDB calls it caused (or the body carries seeded values). `authn.garbage-token`: the
  same with a bearer token that is not a token at all. `authn.db-before-auth`: a request without
  valid credentials made the service call DynamoDB, even though it then answered 401/403: the
  service touched the data before it decided who was asking.

Example finding
  HIGH authn.missing GET /admin/stats anonymous: Scan profiles (6 items), answered 200.

Remediation
  Authenticate every operation before any data access (a FastAPI dependency on the router, a
  Flask `before_request`), and declare intentionally public operations in `checks.public`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from gate.checks import register
from gate.checks.context import ScanContext
from gate.checks.util import is_public, sample_body, touched_db, values_in
from gate.findings import CheckMeta, Confidence, Finding, Severity
from gate.openapi import Operation
from gate.probe import Exchange

_COMMON = {"family": "authn", "cwe": ("CWE-306",), "owasp": ("API2:2023",), "confidence": Confidence.HIGH}
MISSING = CheckMeta(
    id="authn.missing",
    title="Operation reachable without credentials",
    description="A request with no credentials answered 2xx with data from DynamoDB.",
    severity=Severity.HIGH,
    remediation="Require authentication on every operation before any data access; list deliberately "
    "public operations in checks.public.",
    **_COMMON,
)
GARBAGE = CheckMeta(
    id="authn.garbage-token",
    title="Operation accepts a garbage bearer token",
    description="A request whose token is not a token answered 2xx with data.",
    severity=Severity.HIGH,
    remediation="Verify the token (signature, algorithm, expiry) instead of only checking the header is present.",
    **{**_COMMON, "cwe": ("CWE-287",)},
)
DB_BEFORE_AUTH = CheckMeta(
    id="authn.db-before-auth",
    title="DynamoDB read before authentication",
    description="A request without valid credentials made the service call DynamoDB before it refused.",
    severity=Severity.MEDIUM,
    remediation="Decide who is asking before touching the data: authenticate in a dependency or middleware "
    "that runs before the handler reads DynamoDB.",
    **{**_COMMON, "cwe": ("CWE-287",)},
)

GARBAGE_TOKEN = "authgate.garbage.token"


def _proof(ctx: ScanContext, ex: Exchange) -> list[str] | None:
    """Why this exchange proves data was served: DynamoDB calls, or seeded values in the body."""
    calls = touched_db(ex.calls)
    if calls:
        return [f"{c.summary()} for a request without valid credentials, answered {ex.status}" for c in calls]
    leaked = sorted({v for item in ctx.owned for v in values_in(ex.text, item, set())})
    if leaked:
        return [f"response carries seeded values {leaked[:5]} without valid credentials"]
    return None


async def _probe(ctx: ScanContext, op: Operation, headers: dict[str, str], label: str) -> Exchange:
    path = ctx.sample_path(op)
    body = sample_body(op, ctx)
    if op.method == "GET":
        return await ctx.prober.send(op.method, path, None, headers=headers, label=label)
    async with ctx.mutation() as (lane, _changes):
        return await ctx.prober.send(op.method, path, None, headers=headers, json_body=body, label=label, lane=lane)


@register(MISSING, GARBAGE, DB_BEFORE_AUTH, order=10)
async def run(ctx: ScanContext) -> AsyncIterator[Finding]:
    bad_auth = {ctx.cfg.auth.header: f"{ctx.cfg.auth.scheme} {GARBAGE_TOKEN}".strip()}
    for op in ctx.operations:
        if is_public(ctx, op):
            continue
        reported = False
        for meta, headers, label in ((MISSING, {}, "no credentials"), (GARBAGE, bad_auth, "garbage bearer token")):
            if reported or not ctx.enabled(meta.id):
                continue
            ex = await _probe(ctx, op, headers, label)
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
