"""Did the scan reach the data? The gate fails closed when it could not tell a safe service from one
that never answered: a service pointed at the wrong tables answers 500 (or 404) to every request,
and every check then finds nothing.

Three signals, each enough to make the scan incomplete (verdict `error`):
- the service's DynamoDB calls failed for a reason no request can cause: a table the gate did not
  create (`ResourceNotFoundException`), credentials refused; or every call on a table in the
  identities' own, legitimate requests failed (a `ValidationException` from a key schema that
  does not fit);
- most of the identities' own, legitimate GET requests failed (fewer than half answered 2xx);
- the service never called DynamoDB, although the scan sent it requests.
"""

from __future__ import annotations

from collections import Counter

from gate.checks.context import ScanContext
from gate.checks.util import OwnRequest
from gate.dynamo.calls import DynamoCall

# errors of calls that no probe can provoke: the service and the gate disagree on the database
_BROKEN = {
    "ResourceNotFoundException": "a table the gate did not create",
    "UnrecognizedClientException": "credentials refused",
    "MissingAuthenticationTokenException": "credentials refused",
    "AccessDeniedException": "access denied",
}
MIN_OWN_OK = 0.5
_META = {"DescribeTable", "ListTables", "DescribeEndpoints"}
_EXPECTED = {"ConditionalCheckFailedException"}  # a guarded write refusing is the service working


def problems(ctx: ScanContext) -> list[str]:
    """Reasons the scan could not exercise the service's data (empty when it could)."""
    out: list[str] = []
    if ctx.recorder is not None:
        calls = ctx.recorder.calls
        broken = Counter((c.error, c.table or "?") for c in calls if c.error in _BROKEN)
        for (error, table), n in sorted(broken.items()):
            out.append(
                f"the service's DynamoDB calls failed: {error} on table {table} ({_BROKEN[str(error)]}, {n} "
                "calls): make `dynamodb.tables` (or `dynamodb.template`) name the tables the service uses"
            )
        if not calls and ctx.prober.sent:
            out.append(
                f"the service made no DynamoDB call in {ctx.prober.sent} requests: it does not use the "
                "gate's database (is its endpoint hard-coded instead of read from AWS_ENDPOINT_URL_DYNAMODB?)"
            )
    mine = _own_requests(ctx)
    by_table: dict[str, list[DynamoCall]] = {}
    for r in mine:
        for c in r.exchange.calls:
            if c.operation not in _META:
                by_table.setdefault(c.table or "?", []).append(c)
    for table, calls in sorted(by_table.items()):
        if all(c.error and c.error not in _EXPECTED for c in calls):
            kinds = Counter(str(c.error) for c in calls)
            listed = ", ".join(f"{e} x{n}" for e, n in kinds.most_common(3))
            out.append(
                f"every DynamoDB call on table {table} in the identities' own requests failed ({listed}): "
                "its keys or the fixtures do not fit what the service expects"
            )
    own = [r for r in mine if r.exchange.method == "GET"]
    ok = [r for r in own if r.exchange.ok]
    if own and len(ok) < MIN_OWN_OK * len(own):
        failed = [r for r in own if not r.exchange.ok][:3]
        sample = "; ".join(
            f"{r.exchange.method} {r.exchange.path} as {r.identity.name} -> {_status(r)}" for r in failed
        )
        out.append(
            f"only {len(ok)} of {len(own)} legitimate GET requests of the scan's identities answered 2xx "
            f"({sample}): the checks could not reach the data; check the fixtures, identities and auth settings"
        )
    return out


def _own_requests(ctx: ScanContext) -> list[OwnRequest]:
    done = [f for f in ctx.own_cache.values() if f.done() and not f.cancelled() and f.exception() is None]
    return [r for f in done if (r := f.result()) is not None]


def _status(r: OwnRequest) -> str:
    return r.exchange.error or str(r.exchange.status)
