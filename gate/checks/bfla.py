"""bfla: a regular identity calls an operation only a privileged identity should (OWASP API5, CWE-285).

What it proves
  `bfla.privileged-operation`: an operation is privileged when its path or tags say so (`admin`,
  `internal`, `staff`, ...) or `checks.admin_paths` lists it; privileged identities are the ones
  with a `role` in the config. First the privileged identity uses the operation (on a regular
  identity's data): a route the admin itself cannot use successfully proves nothing and is
  skipped. Then each regular identity sends the same request. The finding needs a 2xx answer with
  data (or an item change) AND the DynamoDB reads/writes the recorder attributed to that very
  request; writes run inside a snapshot, so the item diff is part of the proof and the seed is
  restored afterwards.

Example finding
  HIGH bfla.privileged-operation GET /admin/stats alice: Scan profiles -> 3 items during alice's
  request, answered 200 (the admin got 200 too).

Remediation
  Check the caller's role (from the verified token, never from the request) before the handler
  touches DynamoDB: one dependency on the admin router (FastAPI `Depends(require_admin)`, a Flask
  decorator), so a new admin route cannot forget it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from gate.auth.identities import Identity
from gate.checks.context import ScanContext
from gate.checks.engine import PerOperation, Probe, Routes
from gate.checks.util import own_request, privileged_target, touched_db
from gate.findings import FamilyMeta, Finding, Severity
from gate.target.openapi import Operation
from gate.target.probe import Exchange

BFLA = FamilyMeta(name="bfla", cwe=("CWE-285",), owasp=("API5:2023",))
PRIVILEGED_OP = BFLA.check(
    "bfla.privileged-operation",
    title="Regular identity calls a privileged operation",
    description="A non-privileged identity called an admin-only operation and it read or wrote DynamoDB.",
    severity=Severity.HIGH,
    remediation="Check the caller's role from the verified token before any data access, with one dependency "
    "or decorator on every admin route.",
)


async def _attack(
    ctx: ScanContext, op: Operation, attacker: Identity, path: str
) -> tuple[Exchange, list[dict[str, object]]]:
    label = f"{attacker.name} (no role) calls a privileged operation"
    if op.method == "GET":
        return await ctx.prober.send("GET", path, attacker, label=label), []
    async with ctx.mutation() as (lane, changes):
        ex = await ctx.send_op(op, path, attacker, lane=lane, label=label)
    return ex, changes


async def probe(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
    target = privileged_target(ctx, op)
    if target is None:
        return
    victim, path = target
    baseline: Exchange | None = None
    if ctx.privileged:
        own = await own_request(ctx, op, ctx.privileged[0], path)
        if own is None or not own.exchange.ok:  # the admin cannot use it: nothing to compare with
            got = "no path" if own is None else (own.exchange.error or str(own.exchange.status))
            ctx.notes.append(
                f"bfla: {op.id}: the privileged identity {ctx.privileged[0].name} got {got}, so a regular "
                "identity's answer proves nothing; not probed (is it really privileged, are the fixtures right?)"
            )
            return
        baseline = own.exchange
    for attacker in ctx.regular:
        if victim is not None and attacker.name == victim.name and len(ctx.regular) > 1:
            continue  # act on someone else's data when there is someone else
        ex, changes = await _attack(ctx, op, attacker, path)
        calls = touched_db(ex.calls)
        if not ex.ok or not (ex.has_data() or changes):
            continue
        if ctx.recorder is not None and not calls:
            continue  # no DynamoDB work: the operation answered but did nothing privileged
        notes = [f"{c.summary()} during {attacker.name}'s request, answered {ex.status}" for c in calls]
        notes += [f"item diff: {c['change']} {c['table']} {c['key']}" for c in changes]
        if baseline is not None:
            role = ctx.privileged[0].role
            notes.append(f"{baseline.identity} (role {role}) got {baseline.status} for the same request")
        else:
            notes.append("no identity with a role is configured, so there is no privileged baseline")
        yield ctx.finding(
            PRIVILEGED_OP,
            op,
            message=f"{attacker.name} has no role but {op.id} answered {ex.status}"
            + (f" and {calls[0].operation} {calls[0].table} ran" if calls else ""),
            evidence=ctx.evidence(ex, calls=calls, changes=changes, notes=notes),
            identity=attacker.name,
            victim=victim.name if victim else None,
            roles="regular->privileged-operation",
        )
        return  # one finding per operation: the first regular identity it lets through


def _unable(ctx: ScanContext) -> str | None:
    return None if ctx.regular else "no regular identity (one without a role) to attack privileged operations with"


FAMILY = PerOperation(
    meta=BFLA, routes=Routes.ADMIN, probes=(Probe(checks=(PRIVILEGED_OP,), run=probe),), unable=_unable
)
