"""Builders of real Finding and ScanResult objects for the renderer and scoring tests.

They go through `CheckMeta.finding`, the one constructor the checks use, so a test finding is held
to the same rules (evidence required) as a real one.
"""

from __future__ import annotations

from typing import Any

from gate import scoring
from gate.baseline import Entry
from gate.findings import CheckMeta, Confidence, Evidence, Finding, Severity
from gate.result import ScanResult


def meta(check: str = "bola.read", severity: Severity = Severity.HIGH, **kw: Any) -> CheckMeta:
    return CheckMeta(
        id=check,
        family=check.split(".")[0],
        title=kw.pop("title", "Reads another identity's item"),
        description=kw.pop("description", "Identity A read identity B's item."),
        severity=severity,
        confidence=kw.pop("confidence", Confidence.HIGH),
        cwe=kw.pop("cwe", ("CWE-639",)),
        owasp=kw.pop("owasp", ("API1:2023",)),
        remediation=kw.pop("remediation", "Take the owner from the verified token."),
    )


def finding(
    check: str = "bola.read",
    severity: Severity = Severity.HIGH,
    method: str = "GET",
    route: str = "/users/{user_id}/profile",
    *,
    status: str = "new",
    evidence: Evidence | None = None,
    message: str = "alice read bob's item",
    **kw: Any,
) -> Finding:
    m = meta(check, severity, **{k: kw.pop(k) for k in list(kw) if k in ("title", "remediation", "cwe", "owasp")})
    ev = evidence or Evidence(
        request={"method": method, "path": "/users/bob/profile", "identity": "alice", "label": "", "headers": {}},
        response={"status": 200, "headers": {}, "body": "{}", "elapsed_ms": 1.0},
        notes=["GetItem profiles during alice's request"],
    )
    kw.setdefault("identity", "alice")
    kw.setdefault("victim", "bob")
    kw.setdefault("roles", "regular->regular")
    return m.finding(message=message, evidence=ev, method=method, route=route, **kw).with_status(status)


def result(
    findings: list[Finding],
    *,
    fixed: list[Entry] | None = None,
    threshold: int = 80,
    fail_on: Severity = Severity.HIGH,
    complete: bool = True,
    errors: list[str] | None = None,
    service: str = "svc",
    **kw: Any,
) -> ScanResult:
    verdict = scoring.decide(findings, threshold, fail_on, complete=complete, errors=errors)
    return ScanResult(
        service=service,
        findings=sorted(findings, key=Finding.sort_key),
        fixed=fixed or [],
        verdict=verdict,
        threshold=threshold,
        fail_on=fail_on.label,
        duration_s=1.5,
        complete=complete,
        operations=kw.pop("operations", 3),
        identities=kw.pop("identities", ["alice", "bob"]),
        requests=kw.pop("requests", 10),
        dynamodb_calls=kw.pop("dynamodb_calls", 5),
        baseline=kw.pop(
            "baseline", ".authgate-baseline.json" if fixed or any(f.status == "accepted" for f in findings) else None
        ),
        **kw,
    )
