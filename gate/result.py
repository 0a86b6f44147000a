"""The outcome of a scan: what every reporter renders (reporters never decide anything)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate.baseline import Entry
from gate.findings import Finding
from gate.scoring import Verdict


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
    shard: str | None = None
    baseline: str | None = None

    @property
    def new(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "new"]

    @property
    def accepted(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "accepted"]
