"""Builders of real Finding and ScanResult objects for the renderer and scoring tests.

They go through `CheckMeta.finding`, the one constructor the checks use, so a test finding is held
to the same rules (evidence required) as a real one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gate.findings import CheckMeta, Confidence, Evidence, Finding, Severity
from gate.verdict import scoring
from gate.verdict.baseline import Entry
from gate.verdict.result import ScanResult

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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


HOSTILE = [
    "</details><details open><summary>pwned</summary>",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "@octocat please look, cc @github/security-team",
    "| injected | row |\n| --- | --- |\n| a | b |",
    "```\n</details>\n# Heading\n```",
    "` code break `` ``` ````",
    "[click](https://evil.example/x) ![img](https://evil.example/i.png) <https://evil.example>",
    "www.evil.example and http://evil.example/path",
    "<!-- authgate:summary -->",
    "\u202eevil\u202c \x1b[31mred\x00 \u200bhidden",
    "$$\\begin{x}$$ :shipit: **bold** _it_ ~~s~~ <sub>x</sub>",
    "line1\r\nline2\n\n---\n# H1\n## H2\n> quote",
    "&lt;script&gt; &#64;octocat &#x3C;b&#x3E;",
    "[ref]: https://evil.example\n[ref]",
    "done\n::add-mask::s3cr3t\n::stop-commands::tok\r\n::error file=x::pwned",
    "%0A::set-output name=x::y %0D%25 ##[error]old-style ::warning::w",
    "a,b:c=d %3A%2C",
    "sep\u2028::error::a\x85::error::b\u2029\x0b\x0c\x1c::error::c",
]


def hostile_result() -> ScanResult:
    fs = []
    for i, h in enumerate(HOSTILE):
        fs.append(
            finding(
                "bola.read",
                Severity.HIGH,
                route=f"/users/{{id}}/{i}/{h}",
                message=f"message {h}",
                identity=f"alice{h}",
                victim=f"bob{h}",
                file=f"app{h}.py",
                line=i + 1,
                remediation=f"fix {h}",
                evidence=Evidence(
                    request={"method": "GET", "path": f"/p/{h}", "identity": h, "headers": {"X-Evil": h}, "body": h},
                    response={"status": 200, "headers": {"content-type": h}, "body": h},
                    dynamodb_calls=[{"operation": "GetItem", "summary": f"GetItem {h}"}],
                    item_changes=[{"table": "t", "key": {"k": h}, "change": "changed", "after": {"v": h}}],
                    code={"file": f"x{h}.py", "line": 3, "excerpt": h},
                    log=[h],
                    notes=[f"proof {h}"],
                ),
            )
        )
    fs.append(finding("bola.list", route=f"/acc/{HOSTILE[0]}", status="accepted", message=HOSTILE[1]))
    fixed = [Entry("v1:" + "0" * 24, "bola.write", "PUT", f"/gone/{HOSTILE[3]}", "critical", HOSTILE[2])]
    return result(fs, fixed=fixed, notes=[f"note {h}" for h in HOSTILE], service=HOSTILE[0])


def error_target(tmp_path: Path) -> Path:
    """A service whose config names an unknown check: the scan stops before anything starts."""
    svc = tmp_path / "bad"
    svc.mkdir(exist_ok=True)
    cfg = yaml.safe_load((EXAMPLES / "profiles-fastapi" / ".authgate.yml").read_text())
    cfg["checks"]["exclude"] = ["no-such-check"]
    (svc / ".authgate.yml").write_text(yaml.safe_dump(cfg))
    return svc
