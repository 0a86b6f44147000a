"""enumeration: the login (and password-reset) route tells an existing account from an unknown one.

What it proves
  The gate sends the same wrong password for an existing account (a throwaway account it
  seeded, see `gate/auth/users.py`) and for an address no account has, in interleaved pairs whose
  order alternates, one request at a time with every other probe held back.

  `enumeration.response`  the answers differ in status or body (after taking the submitted
                          address out of the body), consistently in every pair that was not
                          throttled, at least 3 pairs.
  `enumeration.timing`    same status and body, but the response times differ beyond noise:
                          a two-sided Mann-Whitney U test on at least 8 + 8 samples (exact
                          p-value without ties, normal approximation with tie correction
                          otherwise) with p < 0.001, a median difference of at least 5 ms and
                          one group slower in at least 85 % of the cross pairs. A rank test
                          on interleaved pairs is robust to the stray slow request of a loaded
                          machine: one outlier moves a rank, not a mean. A round of 8 pairs is
                          followed by a second one only when the first is inconclusive.

  Any other operation that takes an account identifier (a query parameter or body field named
  `username`, `email`, `login`, ...: `GET /check?username=`, a sign-up's "already in use") is asked
  the same way, by its legitimate caller: another identity's identifier against the value its
  validated request carries (an account nobody has), in MIN_PAIRS interleaved pairs, a write in its
  own `ctx.mutation()` each. `enumeration.response` when the answers differ as above.

  Pairs where either answer is throttled (429, Retry-After, a lockout message) are left out;
  the samples run in `ctx.mutation()`, so failed-attempt counters written to DynamoDB are
  restored.

Example finding
  MEDIUM enumeration.response POST /login: existing account -> 401 {"detail": "wrong password"},
  unknown address -> 404 {"detail": "user not found"}, in 3 of 3 pairs.

Remediation
  Answer the same status and body for a wrong password and an unknown account ("invalid
  credentials"), and spend the same time: verify against a dummy hash when the account does not
  exist. Password reset: always "if the account exists, we sent a link".
"""

from __future__ import annotations

import hashlib
import hmac
import re
import statistics
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from gate.auth.identities import Identity
from gate.auth.login import fill, login_body
from gate.auth.users import unknown_email
from gate.checks._auth import op_at, remember, scan_accounts, throttled
from gate.checks.context import ScanContext
from gate.checks.engine import ScanWide
from gate.checks.requests import configured
from gate.checks.stats import MannWhitney, mann_whitney_u
from gate.checks.util import is_admin_route, is_public, legit_owner
from gate.findings import Confidence, FamilyMeta, Finding, Severity
from gate.target.openapi import Operation
from gate.target.probe import Exchange

ROUND = 8  # pairs per round
ROUNDS = 2
ALPHA = 0.001
MIN_DELTA_MS = 5.0
MIN_EFFECT = 0.85  # share of cross pairs in which one group is slower
MIN_PAIRS = 3  # consistent pairs for a response difference

ENUMERATION = FamilyMeta(name="enumeration", owasp=("API2:2023",))
RESPONSE = ENUMERATION.check(
    "enumeration.response",
    title="Answers tell existing accounts from unknown ones",
    description="Login, password reset or another operation taking an account identifier (a sign-up, a user "
    "name check) answer an existing account and an unknown one with a different status or body.",
    severity=Severity.MEDIUM,
    cwe=("CWE-204",),
    remediation="Answer 'invalid credentials' (same status, same body) for a wrong password and an unknown "
    "account; password reset always answers 'if the account exists, we sent a link'.",
)
TIMING = ENUMERATION.check(
    "enumeration.timing",
    title="Response time tells existing accounts from unknown ones",
    description="Login or password reset take measurably longer (or shorter) for an existing account.",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=("CWE-208",),
    remediation="Do the same work for an unknown account: verify the password against a dummy hash made with "
    "the same algorithm and cost, then answer the same way.",
)


# -- sampling --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Endpoint:
    op: Operation
    body: Any  # template with {email}, {password}
    form: bool


@dataclass(slots=True)
class Pair:
    existing: Exchange
    unknown: Exchange

    @property
    def throttled(self) -> bool:
        return bool(throttled(self.existing) or throttled(self.unknown))


_NOISE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|\d{6,}", re.I)


def _shape(ex: Exchange, email: str) -> str:
    """The body with the submitted address and ids/timestamps taken out."""
    text = ex.text[:4000]
    for s in (email, email.split("@")[0]):
        if len(s) >= 4:  # a short one ("a" of a@b) would be replaced inside every word of the body
            text = text.replace(s, "{email}")
    return " ".join(_NOISE.sub("#", text).split())


def _mode(values: list[Any]) -> tuple[Any, float]:
    value, count = Counter(values).most_common(1)[0]
    return value, count / len(values)


def _excerpt(ctx: ScanContext, ex: Exchange) -> str:
    text = " ".join(ctx.redact(ex.text).split())
    return text[:120] + ("…" if len(text) > 120 else "")


def response_difference(pairs: list[Pair], existing: str, unknown: str) -> str | None:
    """How the answers differ, when each side answers one way (>= 80 %) and the two ways differ."""
    if len(pairs) < MIN_PAIRS:
        return None
    e = [(p.existing.status, _shape(p.existing, existing)) for p in pairs]
    u = [(p.unknown.status, _shape(p.unknown, unknown)) for p in pairs]
    (me, se), (mu, su) = _mode(e), _mode(u)
    if se >= 0.8 and su >= 0.8 and me != mu:
        return "status" if me[0] != mu[0] else "body"
    (ms, ss), (mt, st) = _mode([s for s, _ in e]), _mode([s for s, _ in u])
    if ss >= 0.8 and st >= 0.8 and ms != mt:  # bodies vary by themselves; the status still tells
        return "status"
    return None


def differing_pairs(pairs: list[Pair], how: str, existing: str, unknown: str) -> int:
    """In how many pairs the two answers differ in `how` (status, or status and body)."""

    def seen(ex: Exchange, address: str) -> tuple[Any, ...]:
        return (ex.status,) if how == "status" else (ex.status, _shape(ex, address))

    return sum(seen(p.existing, existing) != seen(p.unknown, unknown) for p in pairs)


async def _pair(ctx: ScanContext, ep: Endpoint, existing: str, unknown: str, password: str, lane: int, i: int) -> Pair:
    """One existing/unknown pair; the order alternates so drift and warm caches hit both sides alike."""

    async def one(email: str, who: str) -> Exchange:
        body = fill(ep.body, {"email": email, "password": password})
        kwargs: dict[str, Any] = {"data": {k: str(v) for k, v in body.items()}} if ep.form else {"json_body": body}
        label = f"{who} with a wrong password" if "{password}" in str(ep.body) else who
        return await ctx.prober.send(ep.op.method, ep.op.path, None, label=label, lane=lane, **kwargs)

    if i % 2 == 0:
        e = await one(existing, "existing account")
        u = await one(unknown, "unknown address")
    else:
        u = await one(unknown, "unknown address")
        e = await one(existing, "existing account")
    return Pair(e, u)


def _timing(pairs: list[Pair]) -> MannWhitney | None:
    if len(pairs) < ROUND:
        return None
    return mann_whitney_u([p.existing.elapsed_ms for p in pairs], [p.unknown.elapsed_ms for p in pairs])


def _timing_leaks(t: MannWhitney, pairs: list[Pair]) -> bool:
    e = statistics.median(p.existing.elapsed_ms for p in pairs)
    u = statistics.median(p.unknown.elapsed_ms for p in pairs)
    return t.p < ALPHA and abs(e - u) >= MIN_DELTA_MS and (t.effect >= MIN_EFFECT or t.effect <= 1 - MIN_EFFECT)


async def _probe(ctx: ScanContext, ep: Endpoint, existing: str, unknown: str, password: str) -> Finding | None:
    pairs: list[Pair] = []
    async with ctx.mutation() as (lane, _changes):
        await _pair(ctx, ep, existing, unknown, password, lane, 1)  # warm-up, not counted
        for i in range(ROUND * ROUNDS):
            pairs.append(await _pair(ctx, ep, existing, unknown, password, lane, i))
            valid = [p for p in pairs if not p.throttled]
            if response_difference(valid, existing, unknown):
                break
            if (i + 1) % ROUND == 0:  # end of a round: a second one only when the first is inconclusive
                t = _timing(valid)
                if t is None or t.p < ALPHA or t.p > 0.05:
                    break
    valid = [p for p in pairs if not p.throttled]
    how = response_difference(valid, existing, unknown)
    if how:
        first = valid[0]
        notes = [
            f"existing account: {first.existing.status} {_excerpt(ctx, first.existing)}; unknown address: "
            f"{first.unknown.status} {_excerpt(ctx, first.unknown)}",
            f"the {how} differs in {differing_pairs(valid, how, existing, unknown)} of {len(valid)} interleaved "
            f"pairs ({existing} vs {unknown})",
        ]
        return ctx.finding(
            RESPONSE,
            ep.op,
            message=f"{ep.op.id} answers an existing account and an unknown address differently ({how})",
            evidence=ctx.evidence(first.existing, notes=notes),
            roles="anonymous",
        )
    t = _timing(valid)
    if t is None or not _timing_leaks(t, valid):
        return None
    e = sorted(valid, key=lambda p: p.existing.elapsed_ms)
    mid = e[len(e) // 2]
    me = statistics.median(p.existing.elapsed_ms for p in valid)
    mu = statistics.median(p.unknown.elapsed_ms for p in valid)
    notes = [
        f"Mann-Whitney U test, two-sided, {t.method}: U = {t.u:g}, n = {t.n1} + {t.n2}, p = {t.p:.2g} (< {ALPHA})",
        f"median {me:.1f} ms for the existing account vs {mu:.1f} ms for the unknown address "
        f"(difference {me - mu:+.1f} ms; slower in {max(t.effect, 1 - t.effect):.0%} of cross pairs)",
        f"same status ({mid.existing.status}) and body for both; {len(valid)} interleaved pairs, order alternating",
    ]
    return ctx.finding(
        TIMING,
        ep.op,
        message=f"{ep.op.id} takes {abs(me - mu):.0f} ms {'longer' if me > mu else 'less'} for an existing account",
        evidence=ctx.evidence(mid.existing, notes=notes),
        roles="anonymous",
    )


async def run(ctx: ScanContext) -> AsyncIterator[Finding]:
    if ctx.enabled(RESPONSE.id):
        async for f in lookups(ctx):
            yield f
    lc = ctx.cfg.auth.login
    if lc is None:
        return
    accts = scan_accounts(ctx)
    if "enum" in accts:
        existing = accts["enum"].email
    else:
        regular = [i for i in ctx.identities.values() if i.email and not i.privileged]
        if not regular:
            ctx.notes.append("enumeration: no account with an e-mail address to compare with; not run")
            return
        existing = regular[-1].email or ""
        ctx.notes.append(f"enumeration: without auth.users the gate used {regular[-1].name}'s address")
    unknown = unknown_email(ctx.cfg)
    digest = hmac.new((ctx.secret or "").encode(), b"enumeration", hashlib.sha256).hexdigest()
    password = f"Wrong-{digest[:16]}"
    remember(ctx, "password", "the enumeration probe (a wrong password)", password)
    endpoints = [
        Endpoint(op_at(ctx, lc.method, lc.path), login_body(lc, email="{email}", password="{password}"), lc.form)
    ]
    if lc.reset_path:
        endpoints.append(Endpoint(op_at(ctx, "POST", lc.reset_path), lc.reset_body, lc.form))
    for ep in endpoints:
        if not (ctx.enabled(RESPONSE.id) or ctx.enabled(TIMING.id)):
            return
        f = await _probe(ctx, ep, existing, unknown, password)
        if f is not None:
            yield f


# -- other operations that take an account identifier ------------------------------------------
ACCOUNT_FIELD = re.compile(r"(?i)pass(word|wd)?$|^pwd$|e_?mail|user_?name|^login$|handle|account")
_IDENTIFIER = re.compile(r"(?i)(user_?name|login|e_?mail(_address)?|handle|account_?name)")


def _identifier(op: Operation) -> tuple[str, str] | None:
    """(location, name) of the account identifier `op` takes in its query or body, if any."""
    for p in op.shape.params:
        if p.location == "query" and _IDENTIFIER.fullmatch(p.name):
            return "query", p.name
    props = (op.shape.body or {}).get("properties") or {}
    name = next((n for n in [*props, *op.body_fields] if _IDENTIFIER.fullmatch(n)), None)
    return ("body", name) if name else None


def _account_value(ctx: ScanContext, ident: Identity, name: str) -> str:
    """`ident`'s value of the identifier `name`: its e-mail, its user record's attribute, its subject."""
    if "mail" in name.lower() and ident.email:
        return ident.email
    for item in ctx.items_of(ident):
        if isinstance(item.item.get(name), str):
            return str(item.item[name])
    return ident.sub


async def _lookup_pair(
    ctx: ScanContext, op: Operation, caller: Identity | None, spot: tuple[str, str], values: tuple[str, str], i: int
) -> Pair:
    where, name = spot

    async def one(value: str, who: str) -> Exchange:
        label = f"{who}: {name}={value}"
        if where == "query":
            path = (ctx.path_for(op, caller) if caller else ctx.sample_path(op)) or op.path
            path = re.sub(rf"([?&]){re.escape(name)}=[^&]*", "\\1", path).replace("?&", "?").rstrip("?&")
            if op.method == "GET":
                return await ctx.send_op(op, path, caller, params={name: value}, label=label)
            async with ctx.mutation() as (lane, _changes):
                return await ctx.send_op(op, path, caller, params={name: value}, label=label, lane=lane)
        body = _fields_of(_nobody(ctx, op), value, name)
        path = (ctx.path_for(op, caller) if caller else ctx.sample_path(op)) or op.path
        async with ctx.mutation() as (lane, _changes):
            return await ctx.send_op(op, path, caller, body=body, label=label, lane=lane)

    existing, unknown = values
    first, second = ((existing, "existing account"), (unknown, "unknown account"))[:: 1 if i % 2 == 0 else -1]
    a = await one(*first)
    b = await one(*second)
    return Pair(a, b) if i % 2 == 0 else Pair(b, a)


def _fields_of(body: Any, value: str, name: str) -> Any:
    """The validated body with the identifier set to `value`."""
    return {**body, name: value} if isinstance(body, dict) else body


def _nobody(ctx: ScanContext, op: Operation) -> Any:
    """The validated body with its account fields (identifiers, password) as the schema made them: values
    no account has (the validated request may carry an identity's own, gate.checks.reach._as_account)."""
    body, fresh = ctx.built(op).body, configured(ctx.cfg, op).body
    if not isinstance(body, dict):
        return body
    fresh = fresh if isinstance(fresh, dict) else {}
    return {k: fresh.get(k, f"authgate-nobody-{k}") if ACCOUNT_FIELD.search(k) else v for k, v in body.items()}


async def lookups(ctx: ScanContext) -> AsyncIterator[Finding]:
    """Each operation taking an account identifier, asked about an existing and an unknown account."""
    lc = ctx.cfg.auth.login
    skip = {(lc.method, lc.path), ("POST", lc.reset_path or "")} if lc else set()
    for op in ctx.operations:
        spot = _identifier(op)
        reach = ctx.reach.get(op.id)
        if spot is None or (op.method, op.path) in skip or is_admin_route(ctx, op) or not (reach and reach.reached):
            continue
        caller = None if is_public(ctx, op) else (legit_owner(ctx, op) or (None, ""))[0]
        if caller is None and not is_public(ctx, op):
            continue
        other = next((i for i in reversed(ctx.regular) if caller is None or i.name != caller.name), None)
        fresh = configured(ctx.cfg, op)
        unknown = fresh.query.get(spot[1]) if spot[0] == "query" else (_nobody(ctx, op) or {}).get(spot[1])
        if other is None or not isinstance(unknown, str):
            continue
        existing = _account_value(ctx, other, spot[1])
        if existing == unknown:
            continue
        pairs = [await _lookup_pair(ctx, op, caller, spot, (existing, unknown), i) for i in range(MIN_PAIRS)]
        # a 400/422 says the value did not validate (another identity's address may not pass an e-mail check
        # the generated one passes), not whether the account exists
        valid = [p for p in pairs if not p.throttled and not {p.existing.status, p.unknown.status} & {400, 422}]
        how = response_difference(valid, existing, unknown)
        if not how:
            continue
        first = valid[0]
        notes = [
            f"{other.name}'s {spot[1]}: {first.existing.status} {_excerpt(ctx, first.existing)}; an account nobody "
            f"has: {first.unknown.status} {_excerpt(ctx, first.unknown)}",
            f"the {how} differs in {differing_pairs(valid, how, existing, unknown)} of {len(valid)} interleaved pairs",
        ]
        yield ctx.finding(
            RESPONSE,
            op,
            message=f"{op.id} tells an existing account from an unknown one by its {spot[1]} ({how})",
            evidence=ctx.evidence(first.existing, notes=notes),
            parameter=spot[1],
            identity=caller.name if caller else None,
            roles=ctx.roles(caller),
        )


FAMILY = ScanWide(meta=ENUMERATION, checks=(RESPONSE, TIMING), run=run)
