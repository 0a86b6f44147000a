"""One scan, start to finish: database, service, operations, identities, checks, verdict.

Everything started here is stopped in `finally` (exception, Ctrl-C, SIGTERM turned into
SystemExit by the CLI). Any failure to set up is a ScanError: the CLI reports "could not scan"
and exits 2, never a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import pkgutil
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import gate
from gate import checks as checks_mod
from gate.auth import users
from gate.auth.identities import minted_identities, new_secret, service_env
from gate.auth.login import login_all
from gate.auth.register import register_all
from gate.checks import access_profile, coverage, reach
from gate.checks.context import ScanContext
from gate.checks.errors import crash_findings
from gate.config import Config, TableConfig
from gate.dynamo import fixtures, jvm, local, snapshot, tables
from gate.dynamo.client import dynamodb_client
from gate.dynamo.recorder import Recorder
from gate.entry import NOT_IN_A_SCAN
from gate.errors import ScanError
from gate.findings import Finding, Severity
from gate.report.console import Console
from gate.serverless import gateway, project, tokens
from gate.serverless.model import App
from gate.target import openapi, routes, scope
from gate.target import service as service_mod
from gate.target.liveness import Liveness
from gate.target.probe import Prober
from gate.target.sandbox import Sandbox
from gate.verdict import baseline as baseline_mod
from gate.verdict import scoring
from gate.verdict.result import Phase, ScanResult


@dataclass
class Options:
    shard: tuple[int, int] | None = None  # (i, n), 1-based
    threshold: int | None = None
    fail_on: str | None = None
    baseline: Path | None = None
    use_baseline: bool = True


@dataclass
class _Run:
    """Resources of one scan, stopped in reverse order."""

    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    phases: list[Phase] = field(default_factory=list)


def _in_shard(op_id: str, shard: tuple[int, int] | None) -> bool:
    if shard is None:
        return True
    i, n = shard
    return zlib.crc32(op_id.encode()) % n == i - 1


@contextlib.contextmanager
def _phase(run: _Run, console: Console, name: str) -> Iterator[dict[str, Any]]:
    info: dict[str, Any] = {"detail": "", "name": name}
    t0 = time.monotonic()
    console.phase_start(name)
    try:
        yield info
    except BaseException:
        run.phases.append(Phase(info["name"], time.monotonic() - t0, info["detail"], ok=False))
        console.phase_done(info["name"], time.monotonic() - t0, "failed", ok=False)
        raise
    run.phases.append(Phase(info["name"], time.monotonic() - t0, info["detail"]))
    console.phase_done(info["name"], time.monotonic() - t0, info["detail"])


def _tables(cfg: Config, root: Path, app: App | None = None) -> list[TableConfig]:
    out = list(cfg.dynamodb.tables)
    if app is not None:  # a serverless service: the template's tables, with service.parameters
        known = {t.name for t in out}
        out += [t for t in project.tables(app, cfg) if t.name not in known]
    if cfg.dynamodb.template:
        known = {t.name for t in out}
        out += [t for t in tables.tables_from_template(root / cfg.dynamodb.template) if t.name not in known]
    return out


def _secret_env(cfg: Config, secret: str) -> dict[str, str]:
    return service_env(cfg, secret)  # the HMAC secret, or the RS*/ES* key pair's PEMs


async def _run_checks(ctx: ScanContext, console: Console) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    errors: list[str] = []
    seen: set[str] = set()
    for fam in checks_mod.FAMILIES:
        if all(m.id in ctx.excluded for m in fam.checks):
            continue
        try:
            async for f in fam.run(ctx):
                if f.check in ctx.excluded or f.fingerprint in seen:
                    continue
                seen.add(f.fingerprint)
                findings.append(f)
        except ScanError:
            raise
        except Exception as exc:  # a broken check makes the scan incomplete, never silently green
            errors.append(f"check family {fam.name} failed: {type(exc).__name__}: {exc}")
            console.warn(errors[-1])
    return findings, errors


def scan(
    root: Path, cfg: Config, console: Console, opts: Options | None = None, target: str | None = None
) -> ScanResult:
    opts = opts or Options()
    try:
        excluded = checks_mod.resolve_excludes(cfg.checks.exclude)
    except ValueError as exc:
        raise ScanError(f"checks.exclude: unknown check id or family: {exc}") from None
    run = _Run()
    t_start = time.monotonic()
    secret = new_secret()
    errors: list[str] = []
    findings: list[Finding] = []
    notes: list[str] = []
    ctx: ScanContext | None = None
    entries: list[reach.Reach] = []
    source_files: list[str] = []
    app = project.load(cfg, root) if cfg.service.template else None  # Lambda functions behind API Gateway
    cfg = tokens.with_tokens(cfg, app) if app is not None else cfg  # the played authorizer's tokens
    with run.stack:
        # DynamoDB Local boots while the service starts: the recorder holds the service's calls
        # until the tables are seeded, so the overlap is invisible to the service.
        if cfg.dynamodb.endpoint:
            jvm.discard()  # the one `authgate scan` may have prestarted: this scan uses another database
            ddb = local.connect(cfg.dynamodb.endpoint)
        else:
            ddb = local.launch()
        run.stack.callback(ddb.stop)
        _preload()
        box = Sandbox.create(
            root, root / cfg.service.workdir
        )  # after the JVM: it is the gate's, never killed as the service's
        run.stack.callback(box.close)
        notes += box.notes
        recorder: Recorder | None = None
        if cfg.service.command or app is not None:
            recorder = Recorder(ddb.endpoint, lanes=cfg.service.instances, held=True)
            endpoints = recorder.start()
            run.stack.callback(recorder.stop)
        else:
            endpoints = [ddb.endpoint]
            notes.append("service.url: the service was started elsewhere, so its DynamoDB calls are not recorded")
        starting, abort = ThreadPoolExecutor(max_workers=1), threading.Event()
        svc_future = starting.submit(_start_service, cfg, root, endpoints, secret, box, abort, app)
        run.stack.callback(_stop_service_future, svc_future, starting, abort)
        with _phase(run, console, "DynamoDB Local") as ph:
            ddb.wait_ready()
            client = dynamodb_client(ddb.endpoint)
            tabs = _tables(cfg, root, app)
            tables.create_tables(client, tabs)
            owned = fixtures.write_fixtures(client, tabs, cfg.fixtures)
            seeded = snapshot.take(client, tabs)
            if recorder is not None:
                recorder.open()
            ph["name"] = f"DynamoDB Local {ddb.version} ready"
            ph["detail"] = f"{len(tabs)} tables, {len(cfg.fixtures)} items"
        with _phase(run, console, "service started") as ph:
            svc = svc_future.result()
            spec = project.operations(app, root) if app else _operations(cfg, root, svc.instances[0].base_url)
            notes += spec.notes
            source_files = list(spec.files)
            _check_operation_keys(cfg, spec.operations)
            ops = [op for op in spec.operations if _in_shard(op.id, opts.shard) and op.id not in cfg.checks.skip]
            located = [op for op in spec.operations if _in_shard(op.id, opts.shard)]
            ops, enders = _without_session_enders(cfg, ops)
            notes += [
                f"{op.id}: not probed with the scan's identities (it ends their session); "
                "jwt.after-logout tests it with a throwaway account"
                for op in enders
            ]
            label = " ".join(cfg.service.command.split()[:2]) if cfg.service.command else cfg.service.url
            label = f"{len(app.functions)} functions of {app.path.name}" if app else label
            ph["name"] = f"service started ({(label or '')[:40]})"
            ph["detail"] = f"{len(ops)} operations from {spec.source}"
        with _phase(run, console, "identities") as ph:
            owned, seeded = users.seed(
                cfg, box, root, client, tabs, owned, seeded, secret
            )  # hashes, throwaway accounts
            identities = minted_identities(cfg, secret)
            owned, signed_up = register_all(cfg, identities, svc.instances[0].base_url, client, tabs, owned)
            seeded = signed_up if signed_up is not None else seeded  # the sign-ups' records are part of the seed
            if cfg.auth.login is not None:
                try:
                    login_all(cfg, identities, svc.instances[0].base_url)
                except ScanError as exc:  # what the service said about it (a 500's traceback) helps more than "500"
                    raise ScanError(exc.message, exc.details or svc.log_lines()[-service_mod.LOG_TAIL :]) from None
                # what the logins wrote (a session token, a last-login stamp) is part of the seed: restoring the
                # tables before it would log every identity out (issue 14)
                seeded = snapshot.take(client, tabs)
            ph["name"] = f"identities {', '.join(identities)}"
            ph["detail"] = _identity_kind(cfg)
        with _phase(run, console, "checks") as ph:
            ctx = ScanContext(
                cfg=cfg,
                root=root,
                operations=ops,
                located=located,
                identities=identities,
                prober=Prober([i.base_url for i in svc.instances], recorder, budget=cfg.gate.timeout),
                recorder=recorder,
                ddb=client,
                tables=tabs,
                owned=owned,
                seeded=seeded,
                secret=secret,
                excluded=excluded,
                service_logs=svc.log_lines,
                sandbox=box,
            )
            live = Liveness(svc, same_operation=_same_operation(ctx))
            live.attach(ctx.prober)
            findings, errors, entries = asyncio.run(_checks(ctx, console, enders, opts.shard))
            findings += crash_findings(ctx, live.crashes)
            errors += live.problems()
            calls = len(recorder.calls) if recorder else 0
            ph["detail"] = f"{ctx.prober.sent} requests, {calls} DynamoDB calls"
    errors += [
        f"the service changed the runner's {name} file (a workflow command injection); the gate restored it"
        for name in box.tampered
    ]
    sev = Severity.parse(opts.fail_on or cfg.gate.fail_on)
    threshold = opts.threshold if opts.threshold is not None else cfg.gate.threshold
    base_path = opts.baseline or (root / cfg.gate.baseline)
    base = baseline_mod.load(base_path) if opts.use_baseline else baseline_mod.Baseline()
    if opts.shard is not None:
        base = replace(
            base, entries={k: e for k, e in base.entries.items() if _in_shard(f"{e.method} {e.route}", opts.shard)}
        )
    findings, fixed = baseline_mod.apply(findings, base)
    findings.sort(key=Finding.sort_key)
    verdict = scoring.decide(findings, threshold, sev, complete=not errors, errors=errors)
    return ScanResult(
        service=target or str(root),
        findings=findings,
        fixed=fixed,
        verdict=verdict,
        threshold=threshold,
        fail_on=sev.label,
        duration_s=time.monotonic() - t_start,
        complete=not errors,
        operations=len(ops),
        identities=list(identities),
        requests=ctx.prober.sent if ctx else 0,
        dynamodb_calls=len(recorder.calls) if recorder else 0,
        phases=run.phases,
        notes=notes + (ctx.notes if ctx else []),
        access_profile=ctx.access_profile if ctx else [],
        coverage=[e.to_dict() for e in entries] if ctx else [],
        source_files=source_files,
        shard=f"{opts.shard[0]}/{opts.shard[1]}" if opts.shard else None,
        baseline=str(base.path) if base.path else None,
    )


_LOGOUT_WORDS = {"logout", "log-out", "signout", "sign-out", "logoff"}


def _without_session_enders(cfg: Config, ops: list[openapi.Operation]) -> tuple[list[Any], list[Any]]:
    """Split off logout routes: a probe with alice's token would revoke it, and every later probe
    as alice would see 401 (fewer findings, never more: the scan would quietly lose coverage)."""
    lo = cfg.auth.logout

    def ends(op: openapi.Operation) -> bool:
        if lo is not None and (op.method, op.path) == (lo.method, lo.path):
            return True
        return op.path.rstrip("/").rsplit("/", 1)[-1].lower() in _LOGOUT_WORDS

    return [op for op in ops if not ends(op)], [op for op in ops if ends(op)]


def _preload() -> None:
    """Import every module of the gate a scan can use before any code of the service runs: a module imported
    later could be one the service rewrote on disk (where it runs as the gate's own user). The modules of the
    other commands (gate.entry.NOT_IN_A_SCAN) are left out, and `authgate scan` makes them unimportable."""
    _import_all(gate.__path__, "gate.")


def _import_all(path: Any, prefix: str) -> None:
    for info in pkgutil.iter_modules(path, prefix):
        if info.name in NOT_IN_A_SCAN:
            continue
        mod = importlib.import_module(info.name)
        if info.ispkg:
            _import_all(mod.__path__, info.name + ".")


def _same_operation(ctx: ScanContext) -> Any:
    def same(method: str, path: str, other: str) -> bool:
        a, b = path.split("?", 1)[0], other.split("?", 1)[0]
        op = ctx.operation_for(method, a)
        return a == b or (op is not None and op.matches(b))

    return same


def _start_service(
    cfg: Config, root: Path, endpoints: list[str], secret: str, box: Sandbox, abort: threading.Event, app: App | None
) -> Any:
    if app is not None:  # the gate's API Gateway in front of the functions, instead of service.command
        keys = tokens.verifying_keys(cfg, secret)
        return gateway.start(cfg, root, app, endpoints, _secret_env(cfg, secret), keys, box, abort)
    return service_mod.start(cfg, root, endpoints, _secret_env(cfg, secret), box, abort)


def _stop_service_future(fut: Future[Any], pool: ThreadPoolExecutor, abort: threading.Event) -> None:
    """Stop the service whether its start succeeded, failed or is still under way."""
    abort.set()  # a start still under way gives up at its next readiness poll
    try:
        svc = fut.result()
    except BaseException:  # its failure was reported where it was raised
        svc = None
    if svc is not None:
        svc.stop()
    pool.shutdown(wait=True)


def _operations(cfg: Config, root: Path, base_url: str) -> openapi.Spec:
    return routes.attach(openapi.discover(cfg, root, base_url), scope.resolve(cfg, root))


def _identity_kind(cfg: Config) -> str:
    if cfg.auth.api_key:
        return "API keys"
    if cfg.auth.login:
        return f"login flow {cfg.auth.login.path}"
    if cfg.auth.jwt:
        return f"minted {cfg.auth.jwt.algorithm} JWT"
    return "no credentials configured"


async def _checks(
    ctx: ScanContext, console: Console, enders: list[openapi.Operation], shard: tuple[int, int] | None
) -> tuple[list[Finding], list[str], list[reach.Reach]]:
    try:
        await reach.learn(ctx)  # a legitimate request per operation first: the families start from what validated
        findings, errors = await _run_checks(ctx, console)
        errors += await access_profile.record(ctx)
        errors += coverage.problems(ctx)  # fail closed: a scan that never reached the data passes nothing
        entries = [e for e in reach.coverage(ctx, enders) if _in_shard(e.operation, shard)]
        errors += reach.problems(entries, ctx.cfg.gate.min_coverage)
    finally:
        await ctx.prober.aclose()
    return findings, errors, entries


def _check_operation_keys(cfg: Config, ops: list[openapi.Operation]) -> None:
    """`operations:` and `checks.skip` must name operations the service has: a typo would test nothing."""
    known = {op.id for op in ops}
    for where, keys in (("operations", cfg.operations), ("checks.skip", cfg.checks.skip)):
        unknown = [k for k in keys if k not in known]
        if unknown:
            listed = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
            raise ScanError(f"{where}: {unknown[0]!r} names no operation of the service (it has: {listed})")
