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

import contextlib
import re
from collections import Counter
from importlib import metadata
from pathlib import Path

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
                f"gate's database. {_why_no_calls(ctx)}"
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


_OLD_SDK = {"boto3": (1, 28), "botocore": (1, 31)}  # before these, AWS_ENDPOINT_URL_DYNAMODB is ignored


def _why_no_calls(ctx: ScanContext) -> str:
    """What may keep the service's calls away from the gate: an SDK too old for AWS_ENDPOINT_URL_*, or an
    endpoint of its own; and the one config line that fixes either."""
    fix = (
        'If it reads its own variable (`endpoint_url=os.environ["DYNAMO_URL"]`, pynamodb `Meta.host`), set it in '
        'service.env to "{dynamodb_url}"; if the endpoint is hard-coded, read it from the environment.'
    )
    found = sdk_versions(ctx.sandbox.service_venv() if ctx.sandbox else None)
    old = [f"{name} {v}" for name, v in found.items() if _version(v) < _OLD_SDK[name]]
    if old:
        return (
            f"Its environment has {', '.join(old)}: versions before boto3 1.28 ignore AWS_ENDPOINT_URL_DYNAMODB "
            f"and call real AWS. Upgrade them, or: {fix}"
        )
    return fix


def sdk_versions(venv: Path | None) -> dict[str, str]:
    """boto3/botocore versions the service runs with: its virtualenv's, else the gate's own."""
    out: dict[str, str] = {}
    for name in _OLD_SDK:
        if venv is not None:
            dists = sorted(venv.glob(f"lib/python*/site-packages/{name}-*.dist-info"))
            if dists:
                out[name] = dists[-1].name.removeprefix(f"{name}-").removesuffix(".dist-info")
            continue
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def _version(text: str) -> tuple[int, int]:
    nums = [int(p) for p in re.findall(r"\d+", text)[:2]] + [0, 0]
    return nums[0], nums[1]


def _own_requests(ctx: ScanContext) -> list[OwnRequest]:
    done = [f for f in ctx.own_cache.values() if f.done() and not f.cancelled() and f.exception() is None]
    return [r for f in done if (r := f.result()) is not None]


def _status(r: OwnRequest) -> str:
    return r.exchange.error or str(r.exchange.status)
