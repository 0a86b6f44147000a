"""errors: internal errors leak to the client (OWASP API8, CWE-209).

What it proves
  The legitimate user of each operation (so authorization lets the request through) sends
  provocations: each path parameter oversize (more than DynamoDB's 2,048-byte key limit) and
  malformed (quotes, braces, a NUL), query parameters oversize and empty (DynamoDB refuses an
  empty key value), body string fields oversize, and body fields of the wrong type (a float,
  which boto3 refuses). `errors.leak` is reported when the answer (whatever its status) carries
  internal error text: botocore `ClientError` text ("An error occurred (ValidationException)
  when calling the GetItem operation"), DynamoDB exception names, ARNs, Python stack traces, or
  a table name (labelled as one, or next to the other internals). The recorder's failed DynamoDB
  call, when there is one, is part of the proof: it shows which call the provocation broke.

  `errors.crash`: the service process exited while it was answering a probe (the gate watches it,
  gate/target/liveness.py): whoever can send that request can take the service down. The request
  is the proof, with the exit status and the service's last log lines; the gate restarts the
  service once and the scan goes on.

Example finding
  MEDIUM errors.leak GET /users/{user_id}/notes/{note_id} alice: body leaks ValidationException,
  table posts; GetItem posts -> ValidationException.

Remediation
  Validate ids and bodies before they reach DynamoDB (lengths, types), catch `ClientError` and
  answer a generic message with a correlation id; log the details on the server only.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from gate.auth.identities import Identity
from gate.checks.context import ScanContext
from gate.checks.engine import PerOperation, Probe, Routes
from gate.checks.util import legit_owner, sample_body
from gate.findings import FamilyMeta, Finding, Severity
from gate.target.liveness import Crash
from gate.target.openapi import Operation
from gate.target.probe import Exchange

ERRORS = FamilyMeta(name="errors", cwe=("CWE-209",), owasp=("API8:2023",))
LEAK = ERRORS.check(
    "errors.leak",
    title="Internal error details in the response",
    description="A malformed request made the service answer with DynamoDB/botocore error text, an ARN, a "
    "stack trace or a table name.",
    severity=Severity.MEDIUM,
    remediation="Validate input before it reaches DynamoDB, catch ClientError and answer a generic message; "
    "log the details server-side only.",
)

CRASH = ERRORS.check(
    "errors.crash",
    title="A request takes the service down",
    description="The service process exited while answering one request: anyone who can send it can stop "
    "the service (denial of service).",
    severity=Severity.HIGH,
    cwe=("CWE-248",),
    remediation="Never exit the process from a request handler (os._exit, sys.exit, an unhandled signal); "
    "validate the input and answer 4xx, and let the server isolate a failing request.",
)

OVERSIZE = "x" * 2100  # DynamoDB keys: at most 2,048 bytes (partition) and 1,024 bytes (sort)
MALFORMED = "%27%22%7B%7D%00"  # '"{} and a NUL, URL-encoded: breaks int(), json.loads() and naive parsing
WRONG_TYPE = 1.5  # boto3 refuses floats ("Float types are not supported. Use Decimal types instead.")
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("botocore ClientError text", re.compile(r"An error occurred \(\w+\) when calling the \w+ operation")),
    ("botocore", re.compile(r"\bbotocore\b|\bClientError\b")),
    (
        "DynamoDB exception",
        re.compile(
            r"\b(ValidationException|ResourceNotFoundException|ConditionalCheckFailedException|"
            r"ProvisionedThroughputExceededException|TransactionCanceledException|AccessDeniedException|"
            r"UnrecognizedClientException|SerializationException|ItemCollectionSizeLimitExceededException)\b"
        ),
    ),
    ("boto3 type error", re.compile(r"Float types are not supported|Unsupported type \"<class")),
    ("ARN", re.compile(r"\barn:aws[\w-]*:[\w-]+:")),
    ("stack trace", re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")),
)


def leaks(ctx: ScanContext, ex: Exchange) -> list[str]:
    """What internal detail the response carries: marker names with the matched text."""
    out = [f"{name}: {m.group(0)[:80]!r}" for name, rx in MARKERS if (m := rx.search(ex.text))]
    request = ex.path + (ex.request_body or "")
    for t in ctx.tables:
        if t.name in request:
            continue  # an echo of the request proves nothing
        name = re.escape(t.name)
        # next to other internals a mention is enough; alone it must be labelled as a table ("table": "posts",
        # TableName=posts, table/posts in an ARN): a table called `posts` is also an ordinary word
        labelled = rf"table(_?name)?[\"']?\s*[:=]?\s*[\"']?{name}(?![\w-])|:table/{name}(?![\w-])"
        mention = rf"(?<![\w/-]){name}(?![\w/-])"
        if re.search(labelled, ex.text, re.I) or (out and re.search(mention, ex.text)):
            out.append(f"table name {t.name!r}")
    return out


def _provocations(op: Operation, path: str, ctx: ScanContext) -> list[tuple[str, str, dict[str, str], Any]]:
    """(label, path, query, body) of each provocation: bounded by the operation's parameters."""
    body = sample_body(op, ctx)
    out: list[tuple[str, str, dict[str, str], Any]] = []
    segments = path.strip("/").split("/")
    template = op.path.strip("/").split("/")
    for name in op.path_params:
        idx = template.index("{" + name + "}")
        for kind, value in (("oversize", OVERSIZE), ("malformed", MALFORMED)):
            bad = [*segments[:idx], value, *segments[idx + 1 :]]
            out.append((f"{kind} path parameter {name}", "/" + "/".join(bad), {}, body))
    if op.query_params:
        out.append(("oversize query parameters", path, dict.fromkeys(op.query_params, OVERSIZE), body))
        out.append(("empty query parameters", path, dict.fromkeys(op.query_params, ""), body))
    if isinstance(body, dict) and body:
        big = {k: OVERSIZE if isinstance(v, str) else v for k, v in body.items()}
        out.append(("oversize body fields", path, {}, big))
        out.append(("body fields of the wrong type", path, {}, dict.fromkeys(body, WRONG_TYPE)))
    return out


async def _provoke(
    ctx: ScanContext, op: Operation, me: Identity, label: str, path: str, query: dict[str, str], body: Any
) -> Exchange:
    if op.method == "GET":
        return await ctx.prober.send("GET", path, me, params=query or None, label=label)
    async with ctx.mutation() as (lane, _changes):
        return await ctx.send_op(op, path, me, params=query or None, body=body, lane=lane, label=label)


async def probe(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
    owner = legit_owner(ctx, op)
    if owner is None:
        return
    me, path = owner
    for label, bad_path, query, body in _provocations(op, path, ctx):
        ex = await _provoke(ctx, op, me, label, bad_path, query, body)
        found = leaks(ctx, ex)
        if not found:
            continue
        failed = [c for c in ex.calls if c.error]
        notes = [f"{label}: answered {ex.status}, body leaks " + "; ".join(found)]
        notes += [f"{c.summary()} (the call the provocation broke)" for c in failed]
        yield ctx.finding(
            LEAK,
            op,
            message=f"{op.id} answered {ex.status} with internal error details ({found[0]})",
            evidence=ctx.evidence(ex, calls=failed or ex.calls, notes=notes),
            identity=me.name,
            roles=ctx.roles(me),
        )
        return  # one finding per operation: the first provocation that leaks


FAMILY = PerOperation(meta=ERRORS, routes=Routes.ALL, probes=(Probe(checks=(LEAK,), run=probe),), watched=(CRASH,))


def crash_findings(ctx: ScanContext, crashes: list[Crash]) -> list[Finding]:
    """errors.crash: one finding per operation whose probe took the service down (the first such probe)."""
    out: list[Finding] = []
    seen: set[str] = set()
    for crash in crashes if ctx.enabled(CRASH.id) else []:
        ex = crash.exchange
        path = ex.path.split("?", 1)[0]
        op = ctx.operation_for(ex.method, path)
        key = op.id if op is not None else f"{ex.method} {path}"
        if key in seen:
            continue
        seen.add(key)
        who = ctx.identities.get(ex.identity or "")
        then = "restarted by the gate" if crash.restarted else "it could not be restarted"
        out.append(
            ctx.finding(
                CRASH,
                op,
                message=f"the service exited with code {crash.exit_code} while answering {ex.method} {path}",
                evidence=ctx.evidence(
                    ex,
                    notes=[f"the service process exited (code {crash.exit_code}) during this request; {then}"],
                    log=crash.log,
                ),
                method=ex.method,
                route=op.path if op is not None else path,
                identity=ex.identity,
                roles=ctx.roles(who),
            )
        )
    return out
