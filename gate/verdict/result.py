"""The outcome of a scan: what every reporter renders (reporters never decide anything).

`from_report` reads a JSON report back into a ScanResult, so a report written by one job (a shard,
a `workflow_run` with a read-only token) can be rendered again as Markdown, SARIF or annotations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate.findings import Confidence, Evidence, Finding, Severity
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
    shard: str | None = None
    baseline: str | None = None
    config: str = ".authgate.yml"  # the config file, relative to `service`: where unlocated findings point

    @property
    def new(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "new"]

    @property
    def accepted(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "accepted"]


class ReportError(ValueError):
    """A JSON report that cannot be read back (wrong version, missing field)."""


def _finding(d: dict[str, Any]) -> Finding:
    ev = d.get("evidence") or {}
    f = Finding(
        check=d["check"],
        family=d["family"],
        title=d["title"],
        message=d["message"],
        severity=Severity.parse(d["severity"]),
        confidence=Confidence[d["confidence"].upper()],
        cwe=tuple(d.get("cwe", ())),
        owasp=tuple(d.get("owasp", ())),
        remediation=d.get("remediation", ""),
        method=d.get("method", ""),
        route=d.get("route", ""),
        parameter=d.get("parameter", ""),
        identity=d.get("identity"),
        victim=d.get("victim"),
        roles=d.get("roles", ""),
        file=d.get("file"),
        line=d.get("line"),
        status=d.get("status", "new"),
        evidence=Evidence(
            request=ev.get("request"),
            response=ev.get("response"),
            dynamodb_calls=list(ev.get("dynamodb_calls", [])),
            item_changes=list(ev.get("item_changes", [])),
            code=ev.get("code"),
            log=list(ev.get("log", [])),
            notes=list(ev.get("notes", [])),
        ),
    )
    if d.get("fingerprint") and f.fingerprint != d["fingerprint"]:
        raise ReportError(f"finding {d['check']} {d.get('route', '')}: fingerprint does not match its fields")
    return f


def from_report(doc: dict[str, Any]) -> ScanResult:
    """The ScanResult a JSON report was rendered from (the inverse of `gate.report.json_report.build`)."""
    if doc.get("report_version") != 1:
        raise ReportError(f"unsupported report_version {doc.get('report_version')!r} (expected 1)")
    try:
        target = doc["target"]
        stats = doc.get("stats", {})
        return ScanResult(
            service=target["service"],
            config=target.get("config", ".authgate.yml"),
            findings=[_finding(f) for f in doc["findings"]],
            fixed=[Entry(**e) for e in doc.get("fixed", [])],
            verdict=Verdict(
                score=doc["score"],
                gate_score=doc["gate_score"],
                grade=doc["grade"],
                verdict=doc["verdict"],
                reasons=list(doc.get("reasons", [])),
            ),
            threshold=doc["threshold"],
            fail_on=doc["fail_on"],
            duration_s=doc.get("duration_s", 0.0),
            complete=doc["complete"],
            operations=target.get("operations", 0),
            identities=list(target.get("identities", [])),
            requests=stats.get("requests", 0),
            dynamodb_calls=stats.get("dynamodb_calls", 0),
            phases=[Phase(**p) for p in doc.get("phases", [])],
            notes=list(doc.get("notes", [])),
            access_profile=list(doc.get("access_profile", [])),
            shard=doc.get("shard"),
            baseline=doc.get("baseline"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ReportError):
            raise
        raise ReportError(f"not an authgate report: {type(exc).__name__}: {exc}") from None
