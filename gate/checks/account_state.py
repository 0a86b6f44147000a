"""account-state: disabled, unconfirmed or half-written accounts get in; tokens outlive a disable.

DynamoDB is schemaless, so an item without `enabled` is a classic bypass: `item.get("enabled",
True)` lets it in. The gate seeds throwaway accounts next to the identities' records (see
`gate/auth/users.py`; needs `auth.users`, and `auth.password_hash` for a login flow) and proves:

What it proves
  `account-state.disabled`           an account whose item says `enabled: false` got a token
                                     (login flow) or had its token accepted, and a protected
                                     GET operation answered 2xx with it.
  `account-state.unconfirmed`        the same with `email_confirmed: false`.
  `account-state.missing-attribute`  the same for an item that lacks `enabled` or
                                     `email_confirmed` altogether (the parameter names it).
  `account-state.token-after-disable`
                                     an active account's token, issued before the gate set
                                     `enabled: false` on its item, still opens the operation.
  `account-state.token-after-password-change`
                                     the same after the gate replaced the item's password hash
                                     with the hash of a new password (the service's own hashing).
  Proof: the item as DynamoDB holds it (or the item diff of the gate's edit) and the accepted
  request; a control account with a complete, active item must pass first. Edits are made in
  `ctx.mutation()`, so the seeded data is restored afterwards.

Example finding
  HIGH account-state.missing-attribute POST /login authgate-no-enabled: the item has no
  attribute enabled; login answered 200; GET /users/authgate-no-enabled/profile answered 200.

Remediation
  Validate the user item against a model where a missing flag means "no" (`enabled: bool =
  False`), check `enabled` and `email_confirmed` at login and on every request (or keep tokens
  short-lived), and reject tokens issued before the last disable or password change (a token
  version or a stamp of the password hash in the token).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from gate.auth.users import Account, changed_password, hash_passwords
from gate.checks._auth import (
    Target,
    account_identity,
    account_token,
    item_state,
    op_at,
    proof_line,
    scan_accounts,
    send_token,
    targets,
    token_of,
)
from gate.checks.context import ScanContext
from gate.checks.engine import ScanWide
from gate.checks.util import touched_db
from gate.dynamo.fixtures import key_of
from gate.dynamo.types import from_typed, to_typed
from gate.findings import CheckMeta, FamilyMeta, Finding, Severity
from gate.target.openapi import Operation

ACCOUNT_STATE = FamilyMeta(
    name="account-state",
    cwe=("CWE-287",),
    owasp=("API2:2023",),
    remediation="Read the account at login and on every request; treat a missing flag as false "
    "(a model with enabled: bool = False), never item.get('enabled', True).",
)
DISABLED = ACCOUNT_STATE.check(
    "account-state.disabled",
    title="Disabled account gets in",
    description="An account whose item says enabled: false got a working token.",
    severity=Severity.HIGH,
)
UNCONFIRMED = ACCOUNT_STATE.check(
    "account-state.unconfirmed",
    title="Unconfirmed account gets in",
    description="An account whose item says email_confirmed: false got a working token.",
    severity=Severity.MEDIUM,
)
MISSING_ATTR = ACCOUNT_STATE.check(
    "account-state.missing-attribute",
    title="Half-written account (missing attribute) gets in",
    description="An account whose item lacks enabled or email_confirmed got a working token.",
    severity=Severity.HIGH,
)
AFTER_DISABLE = ACCOUNT_STATE.check(
    "account-state.token-after-disable",
    title="Token outlives the account's disable",
    description="A token issued before the account was disabled is still accepted.",
    severity=Severity.HIGH,
    cwe=("CWE-613",),
    remediation="Check the account on every request (or keep tokens minutes short) and refuse disabled accounts.",
)
AFTER_PASSWORD = ACCOUNT_STATE.check(
    "account-state.token-after-password-change",
    title="Token outlives a password change",
    description="A token issued before the password changed is still accepted.",
    severity=Severity.HIGH,
    cwe=("CWE-613",),
    remediation="Put a stamp of the password hash (or a token version) in the token and compare it on every "
    "request, as Django does with its session auth hash.",
)
_STATE_META = {
    "disabled": DISABLED,
    "unconfirmed": UNCONFIRMED,
    "no-enabled": MISSING_ATTR,
    "no-confirmed": MISSING_ATTR,
}


def _record(ctx: ScanContext, acct: Account) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(key, item) of the account's record as seeded."""
    uc = ctx.cfg.auth.users
    assert uc is not None
    table = next((t for t in ctx.tables if t.name == uc.table), None)
    if table is None:
        return None
    for item in ctx.seeded.get(uc.table, {}).values():
        if item.get(uc.email) == acct.email:
            return key_of(item, table), item
    return None


async def _current(ctx: ScanContext, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    got = await asyncio.to_thread(ctx.ddb.get_item, TableName=table, Key=to_typed(key), ConsistentRead=True)
    return from_typed(got["Item"]) if "Item" in got else None


def _where(ctx: ScanContext, target: Target) -> Operation:
    """Where the account's state should have been checked: the login route, or the operation itself."""
    lc = ctx.cfg.auth.login
    return op_at(ctx, lc.method, lc.path) if lc is not None else target.op


async def _state_variant(ctx: ScanContext, acct: Account, target: Target) -> Finding | None:
    uc = ctx.cfg.auth.users
    assert uc is not None
    meta = _STATE_META[acct.kind]
    if not ctx.enabled(meta.id):
        return None
    got = await account_token(ctx, acct)
    token = token_of(got)
    if token is None:
        return None  # refused at login: as it should be
    ident = account_identity(acct)
    path = ctx.path_for(target.op, ident) or target.path
    ex = await send_token(ctx, "GET", path, ident, token, label=f"{acct.name}'s token")
    if not ex.ok:
        return None
    rec = _record(ctx, acct)
    attr = next(iter(acct.state))
    state = item_state(await _current(ctx, uc.table, rec[0]) if rec else None, [attr])
    notes = [f"item {uc.table} {rec[0] if rec else acct.sub}: {state}"]
    if not isinstance(got, str) and got is not None:
        lc = ctx.cfg.auth.login
        assert lc is not None
        notes.append(f"{lc.method} {lc.path} as {acct.name} answered {got.exchange.status} with a token")
    else:
        notes.append(f"a token minted for {acct.name} (the service is expected to check the account per request)")
    notes.append(f"with it: {proof_line(ex)}")
    return ctx.finding(
        meta,
        _where(ctx, target),
        message=f"an account whose item has {state} got in",
        evidence=ctx.evidence(ex, calls=touched_db(ex.calls), notes=notes),
        parameter=attr if meta is MISSING_ATTR else "",
        identity=acct.name,
        roles="regular",
    )


async def _after_edit(
    ctx: ScanContext, meta: CheckMeta, acct: Account, token: str, target: Target, update: str, values: dict[str, Any]
) -> Finding | None:
    """Edit the control account's item, then send its old token again (restored afterwards)."""
    uc = ctx.cfg.auth.users
    assert uc is not None
    rec = _record(ctx, acct)
    if rec is None:
        return None
    ident = account_identity(acct)
    names = {f"#a{i}": k for i, k in enumerate(values)}
    vals = {f":v{i}": v for i, v in enumerate(values.values())}
    expr = update + " " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values)))
    async with ctx.mutation() as (lane, changes):
        await ctx.gate_write(
            "update_item",
            uc.table,
            Key=to_typed(rec[0]),
            UpdateExpression=expr,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_typed(vals),
        )
        ex = await send_token(
            ctx, "GET", target.path, ident, token, label=f"{acct.name}'s token issued before the edit", lane=lane
        )
    if not ex.ok:
        return None
    edit = ", ".join(f"{c['table']} {c['key']}: {c.get('attributes')}" for c in changes) or "the item"
    return ctx.finding(
        meta,
        target.op,
        message=f"{acct.name}'s token was accepted after the gate edited {edit}",
        evidence=ctx.evidence(
            ex,
            calls=touched_db(ex.calls),
            changes=changes,
            notes=[
                f"the gate changed {edit} in DynamoDB, then the same token: {proof_line(ex)}",
                f"before the edit the token answered {target.accepted.status} on {target.accepted.path}",
            ],
        ),
        identity=acct.name,
        roles="regular",
    )


async def run(ctx: ScanContext) -> AsyncIterator[Finding]:
    uc = ctx.cfg.auth.users
    accts = scan_accounts(ctx)
    if uc is None or not accts:
        if ctx.cfg.auth.login is not None:
            ctx.notes.append("account-state: needs auth.users (where the user records are); not run")
        return
    control = accts["control"]
    token = token_of(await account_token(ctx, control))
    if token is None:
        ctx.notes.append(f"account-state: the control account {control.name} could not get a token; not run")
        return
    found = await targets(ctx, account_identity(control), token, limit=1)
    if not found:
        ctx.notes.append(f"account-state: no protected GET operation accepted {control.name}'s token; not run")
        return
    target = found[0]
    for kind in ("disabled", "unconfirmed", "no-enabled", "no-confirmed"):
        if kind in accts:
            f = await _state_variant(ctx, accts[kind], target)
            if f is not None:
                yield f
    disabled = accts.get("disabled")
    flag = {uc.enabled: False} if uc.enabled and disabled is not None and uc.enabled in disabled.state else None
    flag = flag or ({uc.disabled: True} if uc.disabled else None)
    if flag and "disabled" in accts and ctx.enabled(AFTER_DISABLE.id):
        f = await _after_edit(ctx, AFTER_DISABLE, control, token, target, "SET", flag)
        if f is not None:
            yield f
    ph = ctx.cfg.auth.password_hash
    if ph is not None and ctx.enabled(AFTER_PASSWORD.id) and ctx.secret:
        new_hash = (
            await asyncio.to_thread(
                hash_passwords, ctx.cfg, ctx.sandbox, ctx.root, [changed_password(control)], ctx.secret
            )
        )[0]
        ctx.extra_redactions.append(new_hash)  # the item change shows the attribute changed, never the hash
        f = await _after_edit(ctx, AFTER_PASSWORD, control, token, target, "SET", {ph.attribute: new_hash})
        if f is not None:
            yield f


FAMILY = ScanWide(
    meta=ACCOUNT_STATE, checks=(DISABLED, UNCONFIRMED, MISSING_ATTR, AFTER_DISABLE, AFTER_PASSWORD), run=run
)
