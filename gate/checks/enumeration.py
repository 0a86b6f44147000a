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

from gate.auth.login import fill, login_body
from gate.auth.users import unknown_email
from gate.checks._auth import op_at, remember, scan_accounts, throttled
from gate.checks.context import ScanContext
from gate.checks.engine import ScanWide
from gate.checks.stats import MannWhitney, mann_whitney_u
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
    description="Login or password reset answer an existing account and an unknown address with a different "
    "status or body.",
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


FAMILY = ScanWide(meta=ENUMERATION, checks=(RESPONSE, TIMING), run=run)
