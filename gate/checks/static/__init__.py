"""static: source checks over the service's Python files (AST only; no code of the service runs).

What it proves
  Each check module in this package (`tls_verify`, `plain_http`, `aws_keys`, `jwt_secret`,
  `jwt_unverified`, `jwt_algorithms`, `password_hash`, `password_compare`, `unscoped_scan`,
  `update_expression`, `error_leak`, `secret_logging`) matches one flaw pattern; its docstring
  says what and why. Every finding names the file (relative to the scanned target) and line and
  carries the code excerpt as evidence (`evidence.code = {file, line, excerpt}`), with hard-coded
  secrets masked. Findings inside a routed handler also name its operation.

  Read: the service's files under `service.workdir`, skipping tests (`tests/`, `test_*.py`,
  `*_test.py`, `conftest.py`), virtualenvs, `node_modules` and hidden folders; at most
  gate.target.pysource.MAX_FILES files of at most MAX_BYTES each. A file that does not parse is named in
  the report's notes, never silently skipped.

Example finding
  HIGH static.tls-verify-off app.py:17 `ddb = boto3.resource("dynamodb", verify=False)`.

Remediation
  See each check's docstring; the remediation line is in the finding.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from gate.checks import register
from gate.checks.static import (
    aws_keys,
    error_leak,
    jwt_algorithms,
    jwt_secret,
    jwt_unverified,
    password_compare,
    password_hash,
    plain_http,
    secret_logging,
    tls_verify,
    unscoped_scan,
    update_expression,
)
from gate.checks.static.source import Hit, SourceFile, mask
from gate.findings import CheckMeta, Evidence, Finding
from gate.target.routes import route_map

if TYPE_CHECKING:
    from gate.checks.context import ScanContext

CHECKS: tuple[ModuleType, ...] = (
    tls_verify,
    plain_http,
    aws_keys,
    jwt_secret,
    jwt_unverified,
    jwt_algorithms,
    password_hash,
    password_compare,
    unscoped_scan,
    update_expression,
    error_leak,
    secret_logging,
)
METAS: tuple[CheckMeta, ...] = tuple(m.META for m in CHECKS)


def check_source(src: SourceFile, excluded: set[str] | frozenset[str] = frozenset()) -> list[Finding]:
    """Run every static check over one parsed file; findings sorted by line, then check id."""
    hits: list[tuple[CheckMeta, Hit]] = []
    for mod in CHECKS:
        if mod.META.id not in excluded:
            hits += [(mod.META, h) for h in mod.check(src)]
    secrets = [h.secret for _, h in hits if h.secret]
    out: list[Finding] = []
    used: dict[tuple[str, str], int] = {}
    for meta, h in sorted(hits, key=lambda mh: (mh[1].line, mh[0].id, mh[1].key)):
        param = mask(f"{src.rel}:{h.scope}:{h.key}", secrets)
        n = used[(meta.id, param)] = used.get((meta.id, param), 0) + 1
        if n > 1:  # the same code twice in one function: keep both, apart in the fingerprint
            param += f"#{n}"
        excerpt = src.excerpt(h.line, secrets)
        message = mask(h.message, secrets)  # a hit of one check may quote another check's secret
        out.append(
            meta.finding(
                message=message,
                evidence=Evidence(code={"file": src.rel, "line": h.line, "excerpt": excerpt}, notes=[message]),
                method=h.method,
                route=h.route,
                parameter=param,
                file=src.rel,
                line=h.line,
            )
        )
    return out


def scan_dir(
    workdir: Path, root: Path, excluded: set[str] | frozenset[str] = frozenset()
) -> tuple[list[Finding], list[str]]:
    """Static findings for the service under `workdir` (paths relative to `root`) and notes."""
    workdir, root = workdir.resolve(), root.resolve()
    rmap = route_map(workdir, root)
    handlers = rmap.by_file()
    findings: list[Finding] = []
    for mod in rmap.modules:
        findings += check_source(SourceFile.of(mod.text, mod.tree, mod.rel, handlers.get(mod.rel, {})), excluded)
    notes = [f"static: {p}" for p in rmap.problems]
    return findings, notes


@register(*METAS, order=5)
async def run(ctx: ScanContext) -> AsyncIterator[Finding]:
    import asyncio

    from gate.checks.util import is_public
    from gate.target.openapi import Operation

    workdir = ctx.root / ctx.cfg.service.workdir
    findings, notes = await asyncio.to_thread(scan_dir, workdir, ctx.root, ctx.excluded)
    ctx.notes.extend(notes)
    for f in findings:
        # a Scan in a handler the config declares public (a catalogue everyone may read) is intended
        if f.check == unscoped_scan.META.id and f.route and is_public(ctx, Operation(method=f.method, path=f.route)):
            continue
        yield f
