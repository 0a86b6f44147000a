"""static: source checks over the service's Python files (AST only; no code of the service runs).

What it proves
  Each check module in this package (`tls_verify`, `plain_http`, `aws_keys`, `jwt_secret`,
  `jwt_unverified`, `jwt_algorithms`, `password_hash`, `password_compare`, `unscoped_scan`,
  `update_expression`, `error_leak`, `secret_logging`, `lambda_event_logging`, and the serverless
  template's `template_secret_parameter`, `template_wildcard_policy`, `template_open_write`)
  matches one flaw pattern; its docstring
  says what and why. Every finding names the file (relative to the scanned target) and line and
  carries the code excerpt as evidence (`evidence.code = {file, line, excerpt}`), with hard-coded
  secrets masked. Findings inside a routed handler also name its operation.

  The rules run in the order of `RULES` (each declares its check through `STATIC.check(...)`);
  the service's files are parsed once per scan (`sources(ctx)`), and secrets-in-logs reads the
  same parse to place its findings on the logging statement.

  Read: the service's code only (`gate.target.scope`): its entry module (`source.entry`, else the
  one `service.command` names), every module reachable from it by imports, plus `source.include`,
  minus `source.exclude`; other apps, dead copies, scripts and tests beside it are not read. With no
  entry module found, every file under `service.workdir`, skipping tests (`tests/`, `test_*.py`,
  `*_test.py`, `conftest.py`), virtualenvs, `node_modules` and hidden folders (a note says so). At
  most gate.target.pysource.MAX_FILES files of at most MAX_BYTES each. A file that does not parse is
  named in the report's notes, never silently skipped.

Example finding
  HIGH static.tls-verify-off app.py:17 `ddb = boto3.resource("dynamodb", verify=False)`.

Remediation
  See each check's docstring; the remediation line is in the finding.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from gate.checks.engine import ScanWide
from gate.checks.static import (
    aws_keys,
    error_leak,
    jwt_algorithms,
    jwt_secret,
    jwt_unverified,
    lambda_event_logging,
    password_compare,
    password_hash,
    plain_http,
    secret_logging,
    template_open_write,
    template_secret_parameter,
    template_wildcard_policy,
    templates,
    tls_verify,
    unscoped_scan,
    update_expression,
)
from gate.checks.static.source import STATIC, Hit, SourceFile, mask
from gate.checks.util import is_public
from gate.findings import CheckMeta, Evidence, Finding
from gate.target.openapi import Operation
from gate.target.routes import routes_of
from gate.target.scope import Scope, resolve, walk

if TYPE_CHECKING:
    from gate.checks.context import ScanContext

# The family's rules: a module with `META` and `check(src)` each.
RULES: tuple[ModuleType, ...] = (
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
    lambda_event_logging,
    # the serverless template's checks (service.template): `check_template`, gate/checks/static/templates.py
    template_secret_parameter,
    template_wildcard_policy,
    template_open_write,
)
# findings of these checks on a route the config declares public are intended
_PUBLIC_OK = (unscoped_scan.META.id, template_open_write.META.id)


@dataclass(frozen=True, slots=True)
class Sources:
    """The service's Python files, parsed once per scan (the static family and secrets-in-logs read them)."""

    files: list[SourceFile]
    notes: list[str]  # files that were not read, for the report


def parse(sc: Scope) -> Sources:
    """The scope's Python files (paths relative to the scan root), each with the routes its handlers serve."""
    rmap = routes_of(sc)
    handlers = rmap.by_file()
    files = [SourceFile.of(mod.text, mod.tree, mod.rel, handlers.get(mod.rel, {})) for mod in rmap.modules]
    return Sources(files, [f"static: {p}" for p in rmap.problems])


async def sources(ctx: ScanContext) -> Sources:
    """The scan's parsed service source: parsed on first use (in a thread), then shared."""
    if ctx.sources is None:
        ctx.sources = await asyncio.to_thread(lambda: parse(resolve(ctx.cfg, ctx.root)))
    return ctx.sources


def check_source(
    src: SourceFile, rules: tuple[ModuleType, ...] = RULES, excluded: set[str] | frozenset[str] = frozenset()
) -> list[Finding]:
    """Run `rules` over one parsed file; findings sorted by line, then check id."""
    hits: list[tuple[CheckMeta, Hit]] = []
    for rule in rules:
        if rule.META.id not in excluded:
            hits += [(rule.META, h) for h in rule.check(src)]
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


def check_sources(
    parsed: Sources, rules: tuple[ModuleType, ...] = RULES, excluded: set[str] | frozenset[str] = frozenset()
) -> list[Finding]:
    return [f for src in parsed.files for f in check_source(src, rules, excluded)]


def scan_dir(
    workdir: Path, root: Path, excluded: set[str] | frozenset[str] = frozenset()
) -> tuple[list[Finding], list[str]]:
    """Static findings for every file under `workdir` (paths relative to `root`) and notes."""
    parsed = parse(walk(workdir, root))
    return check_sources(parsed, RULES, excluded), parsed.notes


async def run(ctx: ScanContext) -> AsyncIterator[Finding]:
    parsed = await sources(ctx)
    ctx.notes.extend(parsed.notes)
    found = await asyncio.to_thread(check_sources, parsed, RULES, ctx.excluded)
    found += await asyncio.to_thread(templates.findings, ctx, RULES)
    authorized = await asyncio.to_thread(templates.authorized_files, ctx)
    for f in found:
        # a Scan in a handler the config declares public (a catalogue everyone may read) is intended
        if f.check in _PUBLIC_OK and f.route and is_public(ctx, Operation(method=f.method, path=f.route)):
            continue
        if f.check == jwt_unverified.META.id and f.file in authorized:  # API Gateway verified the token first
            ctx.notes.append(f"static: {f.file}:{f.line}: {f.message} (a note: every route of it has an authorizer)")
            continue
        yield f


FAMILY = ScanWide(meta=STATIC, checks=tuple(rule.META for rule in RULES), run=run)
