"""The JSON report, written and read back: the versioned contract every other output is made from.

The type is `report.schema.json` beside this module (`urn:authgate:report:v1`, printed by `authgate
schema --report`), which documents every field; `REPORT_VERSION` is its version. `build` writes a
ScanResult field by field, never a dump of internal objects, with keys and findings sorted so two
runs diff cleanly; `parse` is its inverse, and `load` reads a report from another job (a shard, the
scan workflow of a fork) as untrusted data: it must validate against the schema, and each
finding's fingerprint must match its fields.

`rules` holds the metadata of every check the scanning build registered, so SARIF made from a
report read back (merged shards, `authgate comment`) lists the rules of the build that scanned.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gate import __version__
from gate.findings import CheckMeta, Confidence, Evidence, Finding, Severity
from gate.report.curl import reproduce
from gate.verdict import scoring
from gate.verdict.baseline import Entry
from gate.verdict.result import Phase, ScanResult
from gate.verdict.scoring import Verdict

REPORT_VERSION = 1
SCHEMA_PATH = Path(__file__).parent / "schemas" / "report.schema.json"


class ReportError(ValueError):
    """A JSON report that cannot be read back (wrong version, invalid, a forged fingerprint)."""


# ---- write ------------------------------------------------------------------------------------------


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "fingerprint": f.fingerprint,
        "check": f.check,
        "family": f.family,
        "severity": f.severity.label,
        "confidence": f.confidence.label,
        "title": f.title,
        "message": f.message,
        "method": f.method,
        "route": f.route,
        "parameter": f.parameter,
        "identity": f.identity,
        "victim": f.victim,
        "roles": f.roles,
        "cwe": list(f.cwe),
        "owasp": list(f.owasp),
        "file": f.file,
        "line": f.line,
        "status": f.status,
        "evidence": f.evidence.to_dict(),
        "remediation": f.remediation,
        "reproduce": reproduce(f),
    }


def rule_dict(m: CheckMeta) -> dict[str, Any]:
    return {
        "id": m.id,
        "family": m.family,
        "title": m.title,
        "description": m.description,
        "severity": m.severity.label,
        "confidence": m.confidence.label,
        "cwe": list(m.cwe),
        "owasp": list(m.owasp),
        "remediation": m.remediation,
    }


def build(result: ScanResult) -> dict[str, Any]:
    v = result.verdict
    return {
        "report_version": REPORT_VERSION,
        "tool": {"name": "authgate", "version": __version__},
        "target": {
            "service": result.service,
            "config": result.config,
            "operations": result.operations,
            "identities": list(result.identities),
        },
        "score": v.score,
        "gate_score": v.gate_score,
        "grade": v.grade,
        "threshold": result.threshold,
        "fail_on": result.fail_on,
        "verdict": v.verdict,
        "reasons": list(v.reasons),
        "duration_s": round(result.duration_s, 2),
        "complete": result.complete,
        "shard": result.shard,
        "baseline": result.baseline,
        "stats": {
            "requests": result.requests,
            "dynamodb_calls": result.dynamodb_calls,
            "operations_reached": result.operations_reached,
            "new": len(result.new),
            "accepted": len(result.accepted),
            "fixed": len(result.fixed),
        },
        "phases": [
            {"name": p.name, "seconds": round(p.seconds, 2), "detail": p.detail, "ok": p.ok} for p in result.phases
        ],
        "notes": list(result.notes),
        "findings": [finding_dict(f) for f in sorted(result.findings, key=Finding.sort_key)],
        "fixed": [e.to_dict() for e in result.fixed],
        "access_profile": list(result.access_profile),
        "coverage": list(result.coverage),
        "source": {"files": list(result.source_files)},
        "rules": [rule_dict(m) for m in sorted(result.rules, key=lambda m: m.id)],
    }


def render(result: ScanResult) -> str:
    return json.dumps(build(result), indent=2, sort_keys=True, default=str) + "\n"


# ---- read -------------------------------------------------------------------------------------------


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


def _rule(d: dict[str, Any]) -> CheckMeta:
    return CheckMeta(
        id=d["id"],
        family=d["family"],
        title=d["title"],
        description=d["description"],
        severity=Severity.parse(d["severity"]),
        confidence=Confidence[d["confidence"].upper()],
        cwe=tuple(d["cwe"]),
        owasp=tuple(d["owasp"]),
        remediation=d["remediation"],
    )


def parse(doc: dict[str, Any]) -> ScanResult:
    """The ScanResult a JSON report was built from (the inverse of `build`)."""
    if doc.get("report_version") != REPORT_VERSION:
        raise ReportError(f"unsupported report_version {doc.get('report_version')!r} (expected {REPORT_VERSION})")
    try:
        target = doc["target"]
        stats = doc.get("stats", {})
        findings = [_finding(f) for f in doc["findings"]]
        fail_on = Severity.parse(doc["fail_on"])
        return ScanResult(
            service=target["service"],
            config=target.get("config", ".authgate.yml"),
            findings=findings,
            fixed=[Entry(**e) for e in doc.get("fixed", [])],
            verdict=Verdict(
                score=doc["score"],
                gate_score=doc["gate_score"],
                grade=doc["grade"],
                verdict=doc["verdict"],
                reasons=list(doc.get("reasons", [])),
                # Not stored: it follows from the findings and fail_on, as `scoring.decide` found it.
                blocking=tuple(f.fingerprint for f in scoring.blocking(findings, fail_on)),
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
            coverage=list(doc.get("coverage", [])),
            source_files=list((doc.get("source") or {}).get("files", [])),
            shard=doc.get("shard"),
            baseline=doc.get("baseline"),
            rules=[_rule(r) for r in doc.get("rules", [])],
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ReportError):
            raise
        raise ReportError(f"not an authgate report: {type(exc).__name__}: {exc}") from None


def load(path: Path) -> ScanResult:
    """A JSON report from another job, as untrusted data: it must validate against the report schema."""
    import jsonschema

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read the report: {exc}") from None
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise ReportError(f"{path}: not a valid authgate report at {where}: {error.message[:200]}")
    return parse(doc)
