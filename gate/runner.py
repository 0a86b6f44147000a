"""One scan from a config file to a result, the same for the CLI and the Action.

It never raises for a problem the user can fix: a config error, a service that does not start, a
check that broke or a bug of the gate all come back as an error result (verdict `error`, exit 2)
whose reasons say why, so every caller still writes its reports and fails closed.

Every result it returns, an error result too, carries the config file's name and the rules (the
metadata of every registered check), which SARIF lists whatever the scan found.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from gate.config import Config, ConfigError, GateConfig, load_config
from gate.errors import Interrupted, ScanError, internal_error
from gate.findings import CheckMeta
from gate.report.console import Console
from gate.verdict.result import ScanResult
from gate.verdict.scoring import Verdict

if TYPE_CHECKING:
    from gate.scan import Options


def config_name(root: Path, cfg_path: Path) -> str:
    """The config file as reports point at it: relative to the service directory when inside it."""
    try:
        return cfg_path.relative_to(root).as_posix()
    except ValueError:
        return cfg_path.as_posix()


def registered_rules() -> list[CheckMeta]:
    """The metadata of every registered check, by id, whether excluded or not."""
    from gate import checks  # every check module: loaded only when a scan runs

    return [checks.REGISTRY[i] for i in checks.all_ids()]


def error_result(
    target: str,
    message: str,
    config: str = ".authgate.yml",
    *,
    threshold: int = GateConfig.model_fields["threshold"].default,
    fail_on: str = GateConfig.model_fields["fail_on"].default,
    duration_s: float = 0.0,
) -> ScanResult:
    """A scan that could not run (verdict error, exit 2). The threshold is the configured one when the
    config was read, else the default that applies without one: never a made-up 0."""
    verdict = Verdict(score=0, gate_score=0, grade="F", verdict="error", reasons=[message])
    return ScanResult(
        service=target,
        findings=[],
        fixed=[],
        verdict=verdict,
        threshold=threshold,
        fail_on=fail_on,
        duration_s=duration_s,
        complete=False,
        config=config,
    )


def under_way(target: str, config: str = ".authgate.yml") -> ScanResult:
    """What the outputs say while the scan runs: a scan killed outright (SIGKILL, a lost runner) leaves
    this error behind, never the pass of an earlier run at the same path (issue 12)."""
    return error_result(
        target, "the scan is under way, or was killed before it could write its report: nothing was decided", config
    )


def run_scan(root: Path, cfg_path: Path, opts: Options, target: str, console: Console) -> ScanResult:
    """The result of one scan, with the rules of every registered check (SARIF lists them even for a scan
    that could not run). An interruption (SIGTERM, SIGINT) is raised again, carrying the error result, so
    the caller writes it before exiting."""
    try:
        result = _scan(root, cfg_path, opts, target, console)
    except Interrupted as exc:
        if exc.result is not None:
            exc.result.rules = registered_rules()
        raise
    result.rules = registered_rules()
    return result


def _scan(root: Path, cfg_path: Path, opts: Options, target: str, console: Console) -> ScanResult:
    from gate.scan import scan  # boto3 and friends: loaded only when a scan runs

    started = time.monotonic()
    config = config_name(root, cfg_path)
    cfg: Config | None = None

    def failed(message: str) -> ScanResult:
        gate = cfg.gate if cfg is not None else GateConfig()
        return error_result(
            target,
            message,
            config,
            threshold=opts.threshold if opts.threshold is not None else gate.threshold,
            fail_on=opts.fail_on or gate.fail_on,
            duration_s=time.monotonic() - started,
        )

    try:
        try:
            cfg = load_config(cfg_path)
        except ConfigError as exc:
            console.config_problems(exc.problems)
            return failed("config: " + "; ".join(exc.problems))
        console.header(target)
        result = scan(root, cfg, console, opts, target=target)
    except ScanError as exc:
        console.error(exc.message, exc.details)
        return failed(exc.message)
    except Interrupted as exc:
        message = f"the scan was interrupted by {exc.name} after {time.monotonic() - started:.1f} s"
        console.error(message, [])
        exc.result = failed(message)
        raise
    except Exception as exc:  # a bug of the gate: still an error result, never a missing report
        message = internal_error(exc)
        console.error(message, [])
        return failed(message)
    result.config = config
    return result
