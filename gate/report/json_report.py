"""The JSON report (schema: gate/report/schemas/report.schema.json, `authgate schema --report`).

This is the versioned contract every other output is made from; it is built field by field, never
a dump of internal objects. Keys and findings are sorted so two runs diff cleanly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gate import __version__
from gate.findings import Finding
from gate.verdict.result import ReportError, ScanResult, from_report

REPORT_VERSION = 1
SCHEMA_PATH = Path(__file__).parent / "schemas" / "report.schema.json"


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
    }


def render(result: ScanResult) -> str:
    return json.dumps(build(result), indent=2, sort_keys=True, default=str) + "\n"


def load_report(path: Path) -> ScanResult:
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
    return from_report(doc)
