"""bola: identity A reads, changes or deletes identity B's items (OWASP API1, CWE-639).

What it proves
  `bola.read`: A asked for B's key (B's fixture values in the path) and got 2xx, and either the
  body carries B's values or the recorder saw the read of B's key during A's request (proof even
  when the response hides the data). `bola.write`: A sent a write to B's path and the snapshot
  diff shows B's item created, changed or deleted (the probe starts from the seeded data with every
  lane held, so the diff is what it did); the probe's own write calls on that key are cited.
  `bola.list`: a list/query route returned items owned by other identities (a Scan with no owner
  filter, a Query on a GSI without owner scoping).
  `bola.filter-scoped`: the owner was applied only in a FilterExpression or after a Scan: the
  service read everyone's items and filtered them in Python.

Example finding
  HIGH bola.read GET /users/{user_id}/profile alice -> bob: GetItem profiles {"user_id": "bob"}.

Remediation
  Take the owner from the verified token, never from the path or body; put it in the key (or the
  key condition of the Query), and use a ConditionExpression on the owner for writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from gate.auth.identities import Identity
from gate.checks.context import ScanContext
from gate.checks.engine import Dedup, PerOperation, Probe, Routes
from gate.checks.util import foreign_items, own_request, touched_db, values_in
from gate.dynamo.calls import WRITES, DynamoCall, owner_scoped_values
from gate.findings import Confidence, FamilyMeta, Finding, Severity
from gate.target.openapi import Operation

BOLA = FamilyMeta(
    name="bola",
    cwe=("CWE-639",),
    owasp=("API1:2023",),
    remediation="Take the owner from the verified token, not from the request; put it in the key or key "
    "condition, and guard writes with a ConditionExpression on the owner.",
)
READ = BOLA.check(
    "bola.read",
    title="Reads another identity's item",
    severity=Severity.HIGH,
    description="Identity A read identity B's item by putting B's key in the request.",
)
WRITE = BOLA.check(
    "bola.write",
    title="Changes another identity's item",
    severity=Severity.CRITICAL,
    description="Identity A changed or deleted identity B's item (proof: the item diff).",
)
LIST = BOLA.check(
    "bola.list",
    title="Listing returns other identities' items",
    severity=Severity.HIGH,
    description="A list, search or query route returned items owned by other identities.",
    remediation="Query by the caller's owner key (table key or a GSI keyed on the owner); never "
    "Scan and never trust an owner id from the request.",
)
FILTERED = BOLA.check(
    "bola.filter-scoped",
    title="Reads every owner's items, filters afterwards",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description="The owner appears only in a FilterExpression (or nowhere) of a Scan/Query: "
    "DynamoDB read all owners' items for one caller.",
    remediation="Make the owner part of the key condition (table key or a GSI on the owner) "
    "so DynamoDB never reads other owners' items.",
)


def _reads_key(calls: list, victim: Identity, ctx: ScanContext) -> list:
    """Reads during the probe whose key/key-condition values address the victim's items."""
    out = []
    for c in touched_db(calls):
        if c.operation in ("GetItem", "Query", "BatchGetItem", "TransactGetItems") and c.count > 0:
            vals = owner_scoped_values(c) + [v for w in c.writes for v in w.values()]
            if victim.name in ctx.owned_by_values(vals) or victim.sub in map(str, vals):
                out.append(c)
    return out


async def _read(ctx: ScanContext, op: Operation, attacker: Identity, victim: Identity) -> Finding | None:
    own, theirs = ctx.path_for(op, attacker), ctx.path_for(op, victim)
    if theirs is None or theirs == own:
        return None
    ex = await ctx.prober.send("GET", theirs, attacker, label=f"{attacker.name} asks for {victim.name}'s key")
    if not ex.ok:
        return None
    # the attacker's own values, and the victim's values the request itself carried (an echoed path
    # parameter proves nothing)
    asked = {v for it in ctx.items_of(victim) for v in it.values() if v in theirs}
    mine = {v for it in ctx.items_of(attacker) for v in it.values()} | {attacker.sub} | asked
    shown = sorted({v for it in ctx.items_of(victim) for v in values_in(ex.text, it, mine)})
    reads = _reads_key(ex.calls, victim, ctx)
    if not shown and not reads:
        return None
    notes = [f"{c.summary()} during {attacker.name}'s request, answered {ex.status}" for c in reads]
    if shown:
        notes.append(f"response carries {victim.name}'s values {shown[:5]}")
    return ctx.finding(
        READ,
        op,
        message=f"{attacker.name} read {victim.name}'s item through {op.path}",
        evidence=ctx.evidence(ex, calls=reads or ex.calls, notes=notes),
        identity=attacker.name,
        victim=victim.name,
        roles=ctx.roles(attacker, victim),
    )


async def _write(ctx: ScanContext, op: Operation, attacker: Identity, victim: Identity) -> Finding | None:
    own, theirs = ctx.path_for(op, attacker), ctx.path_for(op, victim)
    if theirs is None or theirs == own:
        return None
    async with ctx.mutation() as (lane, changes):
        ex = await ctx.send_op(op, theirs, attacker, lane=lane, label=f"{attacker.name} writes to {victim.name}'s key")
    # the block started from the seed with every lane held, so the diff is what this request did
    # (a background task it started included); its own write calls on that key are cited when seen
    hit = [c for c in changes if ctx.owner_of(c["table"], c["key"]) == victim.name]
    if not hit:
        return None
    what = ", ".join(f"{c['change']} {c['table']} {c['key']}" for c in hit)
    writes = [c for c in touched_db(ex.calls) if c.operation in WRITES and not c.error]
    proof = [w for w in writes if any(_wrote(w, c["table"], c["key"]) for c in hit)]
    return ctx.finding(
        WRITE,
        op,
        message=f"{attacker.name} {hit[0]['change']} {victim.name}'s item via {op.id}",
        evidence=ctx.evidence(
            ex,
            calls=proof,
            changes=hit,
            notes=[f"item diff: {what}; answered {ex.status}"]
            + [f"{w.summary()} during {attacker.name}'s request" for w in proof],
        ),
        identity=attacker.name,
        victim=victim.name,
        roles=ctx.roles(attacker, victim),
    )


def _wrote(call: DynamoCall, table: str, key: dict[str, object]) -> bool:
    """Whether a write call addressed `key` of `table` (its Key, or an item/key of a batch)."""
    if table not in (call.table or "").split(","):
        return False
    targets = ([call.key] if call.key else []) + call.writes
    return any(all(t.get(k) == v for k, v in key.items()) for t in targets)


async def _list(ctx: ScanContext, op: Operation, attacker: Identity) -> list[Finding]:
    own = await own_request(ctx, op, attacker)  # the attacker's own, legitimate request: shared with exposure
    if own is None:
        return []
    ex = own.exchange
    out: list[Finding] = []
    if not ex.ok:
        return out
    foreign = foreign_items(ctx, ex.calls, attacker.name)
    shown_owners = sorted(
        {o for _, o in foreign if any(values_in(ex.text, it, {attacker.sub}) for it in ctx.items_of(o))}
    )
    if shown_owners and ctx.enabled(LIST.id):
        calls = sorted({id(c): c for c, _ in foreign}.values(), key=lambda c: c.seq)
        notes = [f"{c.summary()} during {attacker.name}'s request" for c in calls]
        notes.append(f"response carries items of {', '.join(shown_owners)}")
        out.append(
            ctx.finding(
                LIST,
                op,
                message=f"{op.id} returned {', '.join(shown_owners)}'s items to {attacker.name}",
                evidence=ctx.evidence(ex, calls=calls, notes=notes),
                identity=attacker.name,
                victim=shown_owners[0],
                roles=ctx.roles(attacker),
            )
        )
    elif ctx.enabled(FILTERED.id):
        calls = sorted({id(c): c for c, _ in foreign}.values(), key=lambda c: c.seq)
        calls += [c for c in ex.calls if _filter_scoped(ctx, c, attacker) and c not in calls]
        if calls:
            out.append(
                ctx.finding(
                    FILTERED,
                    op,
                    message=f"{op.id} made DynamoDB read other owners' items for {attacker.name} and "
                    "dropped them before answering",
                    identity=attacker.name,
                    roles=ctx.roles(attacker),
                    evidence=ctx.evidence(
                        ex, calls=calls, notes=[f"{c.summary()}: the owner is not in the key condition" for c in calls]
                    ),
                )
            )
    return out


def _filter_scoped(ctx: ScanContext, call: DynamoCall, attacker: Identity) -> bool:
    """A Scan, or a Query whose key condition lacks the caller, that read more than it returned, on a
    table that holds other identities' items (a table of shared, unowned data has no owner to scope)."""
    if call.operation not in ("Scan", "Query") or call.scanned is None or call.scanned <= call.count:
        return False
    if not any(o.table == call.table and o.owner and o.owner != attacker.name for o in ctx.owned):
        return False
    key_vals = {str(v) for k, v in call.values.items() if call.key_condition and k in call.key_condition}
    return call.operation == "Scan" or attacker.sub not in key_vals


async def _reads(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
    for a, v in ctx.pairs():
        if not a.privileged and (f := await _read(ctx, op, a, v)) is not None:
            yield f


async def _writes(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
    for a, v in ctx.pairs():
        if not a.privileged and (f := await _write(ctx, op, a, v)) is not None:
            yield f


async def _lists(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
    for a in ctx.regular:
        for f in await _list(ctx, op, a):
            yield f


FAMILY = PerOperation(
    meta=BOLA,
    routes=Routes.USER,
    probes=(
        Probe(checks=(READ,), run=_reads, methods=("GET",), path_params=True),
        Probe(checks=(WRITE,), run=_writes, methods=("PUT", "PATCH", "DELETE", "POST"), path_params=True),
        Probe(checks=(LIST, FILTERED), run=_lists, methods=("GET",)),
    ),
    dedup=Dedup.FIRST_PER_CHECK,  # the first pair that proves it
)
