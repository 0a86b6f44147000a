"""The shape of a check: one declaration per check, one ordered registry, the engine's loop.

The engine is driven with a real ScanContext (a config, operations, a prober that never sends) and
probes that record what they were asked, so the loop, the filters and the dedup policy are seen
from the outside: which operations a probe got, which findings came out, in which order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate import checks
from gate.checks.context import ScanContext
from gate.checks.engine import Dedup, PerOperation, Probe, ProbeFn, Routes, ScanWide
from gate.config import parse_config
from gate.findings import Evidence, FamilyMeta, Finding, Severity
from gate.target.openapi import Operation
from gate.target.probe import Prober

DEMO = FamilyMeta(name="demo", cwe=("CWE-639",), owasp=("API1:2023",), remediation="Scope by the owner.")
ONE = DEMO.check("demo.one", title="One", description="The first demo check proves a thing.", severity=Severity.HIGH)
TWO = DEMO.check("demo.two", title="Two", description="The second demo check proves another.", severity=Severity.LOW)

OPS = [
    Operation(method="GET", path="/users/{user_id}", path_params=("user_id",)),
    Operation(method="GET", path="/items"),
    Operation(method="POST", path="/items"),
    Operation(method="GET", path="/admin/stats"),
    Operation(method="GET", path="/public/catalogue"),
]


def _ctx(excluded: set[str] | None = None) -> ScanContext:
    cfg = parse_config(
        {
            "version": 1,
            "service": {"command": "true {port}"},
            "dynamodb": {"tables": [{"name": "items", "key": {"item_id": "S"}}]},
            "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
            "checks": {"public": ["GET /public/*"]},
        }
    )
    return ScanContext(
        cfg=cfg,
        root=Path("."),
        operations=list(OPS),
        identities={},
        prober=Prober(["http://127.0.0.1:9"], None),
        recorder=None,
        ddb=None,
        tables=cfg.dynamodb.tables,
        owned=[],
        seeded={},
        secret=None,
        excluded=excluded or set(),
    )


def _finding(check: str, op: Operation, who: str) -> Finding:
    meta = ONE if check == "one" else TWO
    return meta.finding(
        message=f"{who} on {op.id}",
        evidence=Evidence(request={"method": op.method, "path": op.path}),
        method=op.method,
        route=op.path,
        identity=who,
    )


def _run(family: PerOperation, ctx: ScanContext) -> list[tuple[str, str, str | None]]:
    async def go() -> list[Finding]:
        return [f async for f in family.run(ctx)]

    return [(f.check, f.operation, f.identity) for f in asyncio.run(go())]


def _probe(asked: list[str], yields: list[tuple[str, str]]) -> ProbeFn:
    """A probe that notes each operation it is asked about and yields `yields` (check, identity) there."""

    async def probe(ctx: ScanContext, op: Operation) -> AsyncIterator[Finding]:
        asked.append(op.id)
        for check, who in yields:
            yield _finding(check, op, who)

    return probe


def test_the_engine_walks_the_operations_the_routes_and_the_probe_fit() -> None:
    asked: list[str] = []
    fam = PerOperation(
        meta=DEMO,
        routes=Routes.USER,
        probes=(Probe(checks=(ONE,), run=_probe(asked, [("one", "alice")]), methods=("GET",)),),
    )
    # not POST (the probe's methods), not the admin route (bfla's), not the public one (checks.public)
    assert _run(fam, _ctx()) == [("demo.one", "GET /users/{user_id}", "alice"), ("demo.one", "GET /items", "alice")]
    assert asked == ["GET /users/{user_id}", "GET /items"]

    asked.clear()
    only_keys = PerOperation(
        meta=DEMO,
        routes=Routes.ADMIN,
        probes=(Probe(checks=(ONE,), run=_probe(asked, []), path_params=True),),
    )
    assert _run(only_keys, _ctx()) == [] and asked == []  # the admin route has no path parameter
    body = PerOperation(meta=DEMO, routes=Routes.ALL, probes=(Probe(checks=(ONE,), run=_probe(asked, []), body=True),))
    assert _run(body, _ctx()) == [] and asked == ["POST /items"]


def test_the_dedup_policy_keeps_the_first_finding_of_each_check_on_each_operation() -> None:
    yields = [("one", "alice"), ("two", "alice"), ("one", "bob"), ("two", "bob")]
    probes = (Probe(checks=(ONE, TWO), run=_probe([], yields), methods=("POST",)),)
    first = PerOperation(meta=DEMO, routes=Routes.ALL, probes=probes, dedup=Dedup.FIRST_PER_CHECK)
    assert _run(first, _ctx()) == [("demo.one", "POST /items", "alice"), ("demo.two", "POST /items", "alice")]
    every = PerOperation(meta=DEMO, routes=Routes.ALL, probes=probes)
    assert [who for *_, who in _run(every, _ctx())] == ["alice", "alice", "bob", "bob"]


def test_excluded_checks_are_neither_probed_nor_reported() -> None:
    asked: list[str] = []
    fam = PerOperation(
        meta=DEMO,
        routes=Routes.ALL,
        probes=(
            Probe(checks=(ONE,), run=_probe(asked, [("one", "alice")]), methods=("POST",)),
            Probe(checks=(ONE, TWO), run=_probe(asked, [("one", "bob"), ("two", "bob")]), methods=("POST",)),
        ),
    )
    # the first probe proves only demo.one: not sent; the second still runs for demo.two, its demo.one is dropped
    assert _run(fam, _ctx({"demo.one"})) == [("demo.two", "POST /items", "bob")]
    assert asked == ["POST /items"]


def test_a_family_that_cannot_run_says_why_once() -> None:
    ctx = _ctx()
    probes = (Probe(checks=(ONE,), run=_probe([], [("one", "x")])),)
    fam = PerOperation(meta=DEMO, routes=Routes.ALL, probes=probes, unable=lambda c: "no one to attack with")
    assert _run(fam, ctx) == [] and ctx.notes == ["demo: no one to attack with"]


def test_a_check_is_declared_once_through_its_family() -> None:
    assert (ONE.family, ONE.cwe, ONE.owasp, ONE.remediation, ONE.anchor) == (
        "demo",
        ("CWE-639",),
        ("API1:2023",),
        "Scope by the owner.",
        "demo-one",
    )
    with pytest.raises(ValueError, match="starts with demo"):
        DEMO.check("other.x", title="X", description="What x proves.", severity=Severity.LOW)
    with pytest.raises(ValueError, match="repeats the title"):
        DEMO.check("demo.x", title="Token accepted", description="Token accepted.", severity=Severity.LOW)
    with pytest.raises(ValueError, match="needs a CWE"):
        FamilyMeta(name="bare").check("bare.x", title="X", description="What x proves.", severity=Severity.LOW)


def test_the_registry_lists_every_family_once_in_run_order() -> None:
    assert [f.name for f in checks.FAMILIES] == [
        "static",
        "authn",
        "jwt",
        "bola",
        "bfla",
        "exposure",
        "mass-assignment",
        "errors",
        "account-state",
        "enumeration",
        "rate-limit",
        "secrets-in-logs",
    ]
    per_operation = {f.name for f in checks.FAMILIES if isinstance(f, PerOperation)}
    assert per_operation == {"authn", "bola", "bfla", "exposure", "mass-assignment", "errors"}
    assert checks.resolve_excludes(["bola", "jwt.expired"]) == {
        "bola.read",
        "bola.write",
        "bola.list",
        "bola.filter-scoped",
        "jwt.expired",
    }
    with pytest.raises(ValueError, match=r"bola\.reed"):
        checks.resolve_excludes(["bola.reed"])


def test_a_duplicate_check_id_is_an_error() -> None:
    async def run(ctx: ScanContext) -> AsyncIterator[Finding]:
        return
        yield

    twice = ScanWide(meta=DEMO, checks=(ONE,), run=run)
    other = ScanWide(meta=FamilyMeta(name="demo2"), checks=(ONE,), run=run)
    with pytest.raises(RuntimeError, match="duplicate check family"):
        checks._index((twice, twice))
    with pytest.raises(RuntimeError, match=r"duplicate check id demo\.one"):
        checks._index((twice, other))
