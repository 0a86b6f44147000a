"""The engine: how a family of checks runs.

A per-operation family (`PerOperation`: bola, exposure, mass-assignment, bfla, errors, authn)
declares its probes, `probe(ctx, op) -> AsyncIterator[Finding]`, and what they apply to; the
engine owns the loop: it walks the scan's operations, keeps those the family's `routes` admit and
each probe's method / path-parameter / body requirements fit, runs a probe only when one of its
checks is enabled, drops the findings of excluded checks, and applies the family's dedup policy.
A scan-wide family (`ScanWide`: static, jwt, account-state, enumeration, rate-limit,
secrets-in-logs) attacks the service as a whole (its source, tokens, login route, logs) with its
own `run(ctx)`.

Both offer `family.run(ctx)`; gate.scan drops excluded check ids and dedups by fingerprint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from gate.checks.util import is_admin_route, is_public
from gate.findings import CheckMeta, FamilyMeta, Finding
from gate.target.openapi import Operation

if TYPE_CHECKING:
    from gate.checks.context import ScanContext

ProbeFn = Callable[["ScanContext", Operation], AsyncIterator[Finding]]
Runner = Callable[["ScanContext"], AsyncIterator[Finding]]


class Routes(Enum):
    """Which operations a per-operation family probes."""

    ALL = "all"
    PROTECTED = "protected"  # not declared public (credential endpoints, `checks.public`)
    USER = "user"  # protected and not an admin route: admin routes are bfla's domain
    ADMIN = "admin"  # protected admin routes only

    def admit(self, ctx: ScanContext, op: Operation) -> bool:
        if self is Routes.ALL:
            return True
        if is_public(ctx, op):
            return False
        return self is Routes.PROTECTED or is_admin_route(ctx, op) == (self is Routes.ADMIN)


class Dedup(Enum):
    """Which of a family's findings on one operation are kept."""

    EVERY = "every"  # each one: the probe stops at its first proof itself (it saves the requests)
    # the first of each check id: every pair or identity is probed (their requests are evidence for later
    # families), but a second pair proving the same check on the same operation is the same flaw
    FIRST_PER_CHECK = "first-per-check"


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """One probe of a per-operation family: the checks it can prove and the operations it fits."""

    checks: tuple[CheckMeta, ...]
    run: ProbeFn
    methods: tuple[str, ...] = ()  # HTTP methods it applies to; empty for every method
    path_params: bool = False  # only operations with path parameters (it needs someone's key in the path)
    body: bool = False  # only operations that take a body

    def fits(self, op: Operation) -> bool:
        return (
            (not self.methods or op.method in self.methods)
            and (bool(op.path_params) or not self.path_params)
            and (op.has_body or not self.body)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PerOperation:
    meta: FamilyMeta
    probes: tuple[Probe, ...]
    routes: Routes
    dedup: Dedup = Dedup.EVERY
    # why the family cannot run in this scan (a note for the report), or None
    unable: Callable[[ScanContext], str | None] | None = None
    # checks of the family that no probe yields: the scan reports them from what it watched (errors.crash)
    watched: tuple[CheckMeta, ...] = ()

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def checks(self) -> tuple[CheckMeta, ...]:
        return tuple(dict.fromkeys([*(m for p in self.probes for m in p.checks), *self.watched]))

    async def run(self, ctx: ScanContext) -> AsyncIterator[Finding]:
        why = self.unable(ctx) if self.unable is not None else None
        if why:
            ctx.notes.append(f"{self.name}: {why}")
            return
        for op in ctx.operations:
            if not self.routes.admit(ctx, op):
                continue
            seen: set[str] = set()
            for probe in self.probes:
                if not probe.fits(op) or not any(ctx.enabled(m.id) for m in probe.checks):
                    continue
                async for f in probe.run(ctx, op):
                    if not ctx.enabled(f.check):
                        continue
                    if self.dedup is Dedup.FIRST_PER_CHECK:
                        if f.check in seen:
                            continue
                        seen.add(f.check)
                    yield f


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanWide:
    meta: FamilyMeta
    checks: tuple[CheckMeta, ...]
    run: Runner

    @property
    def name(self) -> str:
        return self.meta.name


Family = PerOperation | ScanWide
