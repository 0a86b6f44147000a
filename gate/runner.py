"""One scan from a config file to a result, the same for the CLI and the Action.

It never raises for a problem the user can fix: a config error, a service that does not start, a
check that broke or a bug of the gate all come back as an error result (verdict `error`, exit 2)
whose reasons say why, so every caller still writes its reports and fails closed.

Every result it returns, an error result too, carries the config file's name and the rules (the
metadata of every registered check), which SARIF lists whatever the scan found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gate.config import ConfigError, load_config
from gate.errors import ScanError, internal_error
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


def error_result(target: str, message: str) -> ScanResult:
    verdict = Verdict(score=0, gate_score=0, grade="F", verdict="error", reasons=[message])
    return ScanResult(
        service=target,
        findings=[],
        fixed=[],
        verdict=verdict,
        threshold=0,
        fail_on="high",
        duration_s=0.0,
        complete=False,
    )


def run_scan(root: Path, cfg_path: Path, opts: Options, target: str, console: Console) -> ScanResult:
    result = _scan(root, cfg_path, opts, target, console)
    result.config = config_name(root, cfg_path)
    result.rules = registered_rules()
    return result


def _scan(root: Path, cfg_path: Path, opts: Options, target: str, console: Console) -> ScanResult:
    from gate.scan import scan  # boto3 and friends: loaded only when a scan runs

    try:
        cfg = load_config(cfg_path)
    except ConfigError as exc:
        console.config_problems(exc.problems)
        return error_result(target, "config: " + "; ".join(exc.problems))
    console.header(target)
    try:
        return scan(root, cfg, console, opts, target=target)
    except ScanError as exc:
        console.error(exc.message, exc.details)
        return error_result(target, exc.message)
    except Exception as exc:  # a bug of the gate: still an error result, never a missing report
        message = internal_error(exc)
        console.error(message, [])
        return error_result(target, message)
