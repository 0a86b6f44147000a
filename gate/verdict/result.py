"""The outcome of a scan: what every reporter renders (reporters never decide anything).

Everything a reporter shows is decided here or before: which findings are new or accepted (the
baseline), the score and verdict and the findings that block the gate (`scoring.decide`), and the
rules, the metadata of every registered check (SARIF lists them). The JSON report
(gate/report/json_report.py) writes a ScanResult and reads one back, so a report written by one
job (a shard, a `workflow_run` with a read-only token) renders again as Markdown, SARIF or
annotations without this build's check registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate.findings import CheckMeta, Finding
from gate.verdict.baseline import Entry
from gate.verdict.scoring import Verdict


@dataclass(slots=True)
class Phase:
    name: str
    seconds: float
    detail: str = ""
    ok: bool = True


@dataclass(slots=True)
class ScanResult:
    service: str  # the scanned directory, as given
    findings: list[Finding]
    fixed: list[Entry]
    verdict: Verdict
    threshold: int
    fail_on: str
    duration_s: float
    complete: bool
    operations: int = 0
    identities: list[str] = field(default_factory=list)
    requests: int = 0
    dynamodb_calls: int = 0
    phases: list[Phase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    access_profile: list[dict[str, Any]] = field(default_factory=list)
    # one entry per operation: did a legitimate request reach it (gate/checks/reach.py)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    source_files: list[str] = field(default_factory=list)  # the service's files the scan read (its scope)
    shard: str | None = None
    baseline: str | None = None
    config: str = ".authgate.yml"  # the config file, relative to `service`: where unlocated findings point
    rules: list[CheckMeta] = field(default_factory=list)  # every registered check, by id (gate.runner)

    @property
    def operations_reached(self) -> int:
        return sum(1 for e in self.coverage if e.get("reached") is True)

    @property
    def new(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "new"]

    @property
    def accepted(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "accepted"]

    @property
    def blocking(self) -> list[Finding]:
        """The findings the verdict names as failing the gate by their severity, most severe first."""
        by_fingerprint = {f.fingerprint: f for f in self.findings}
        return [by_fingerprint[fp] for fp in self.verdict.blocking]
