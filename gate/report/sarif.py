"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).

One rule per check id the result carries (`ScanResult.rules`: every check the scanning build
registered; a check it does not describe gets a rule made from its findings): id, name, short and
full description, help, a default level, `properties.tags` with `security`, `external/cwe/cwe-N`
and the OWASP API ids, `security-severity` as a string, `precision`. One result per finding at the
handler's file and line (a path relative to the repository root under `%SRCROOT%`; a finding
without a located handler points at the service's config file, line 1, and its message says so);
`partialFingerprints` from the finding's stable fingerprint, so code scanning follows one alert
across runs; findings accepted by the baseline carry an external, accepted `suppression`. Text from
the service is plain text with embedded-link brackets escaped (SARIF §3.11.6), so it cannot turn
into links.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from gate import __version__
from gate.findings import CheckMeta, Confidence, Finding, Severity
from gate.report.escape import one_line
from gate.report.location import UNLOCATED, locate
from gate.verdict.result import ScanResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "authgateFingerprint/v1"
# The settled severity table: SARIF level and GitHub's security-severity (critical > 9.0,
# high 7.0-8.9, medium 4.0-6.9, low below 4.0).
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}
_CWE = re.compile(r"^CWE-(\d+)$")


def plain(value: object, limit: int = 1000) -> str:
    """Plain SARIF message text: one line, and `[`/`]` escaped so nothing becomes an embedded link."""
    return re.sub(r"([\\\[\]])", r"\\\1", one_line(value, limit))


def _name(check_id: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[.\-_]", check_id) if p)


def _tags(cwe: tuple[str, ...], owasp: tuple[str, ...], family: str) -> list[str]:
    tags = ["security", family]
    tags += [f"external/cwe/cwe-{m.group(1)}" for c in cwe if (m := _CWE.match(c))]
    tags += [f"external/owasp/{o.lower()}" for o in owasp]
    return sorted(set(tags), key=tags.index)


def _meta_of(f: Finding) -> CheckMeta:
    """A rule for a check the result does not describe (a report written without `rules`)."""
    return CheckMeta(
        id=f.check,
        family=f.family,
        title=f.title,
        description=f.title,
        severity=f.severity,
        confidence=f.confidence,
        cwe=f.cwe,
        owasp=f.owasp,
        remediation=f.remediation,
    )


def _rule(meta: CheckMeta) -> dict[str, Any]:
    refs = ", ".join([*meta.cwe, *meta.owasp])
    help_text = f"{meta.description}\n\nRemediation: {meta.remediation}\n\n{refs}"
    cwe_links = ", ".join(
        f"[{c}](https://cwe.mitre.org/data/definitions/{m.group(1)}.html)" if (m := _CWE.match(c)) else c
        for c in meta.cwe
    )
    help_md = (
        f"**{meta.title}**\n\n{meta.description}\n\n**Remediation:** {meta.remediation}\n\n"
        f"{cwe_links}; OWASP {', '.join(meta.owasp)}"
    )
    return {
        "id": meta.id,
        "name": _name(meta.id),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.description},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "properties": {
            "tags": _tags(meta.cwe, meta.owasp, meta.family),
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "precision": PRECISION[meta.confidence],
            "confidence": meta.confidence.label,
            "severity": meta.severity.label,
            "problem.severity": LEVEL[meta.severity] if LEVEL[meta.severity] != "note" else "recommendation",
        },
    }


def _rules(result: ScanResult) -> list[CheckMeta]:
    known = {m.id: m for m in result.rules}
    for f in result.findings:
        known.setdefault(f.check, _meta_of(f))
    return [known[k] for k in sorted(known)]


def _uri(path: str) -> str:
    return quote(path, safe="/")


def _result(result: ScanResult, f: Finding, index: int) -> dict[str, Any]:
    loc = locate(result, f)
    text = f"{f.title}: {f.message} ({f.operation or 'source'}, {f.who()})."
    proof = next(iter(f.evidence.notes), "")
    if proof:
        text += f" Proof: {proof}."
    if not loc.located:
        text += f" ({UNLOCATED} {loc.path}, line 1.)"
    artifact: dict[str, Any] = {"uri": _uri(loc.path)}
    if loc.relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    else:
        artifact["uri"] = "file://" + _uri(loc.path)
    out: dict[str, Any] = {
        "ruleId": f.check,
        "ruleIndex": index,
        "kind": "fail",
        "level": LEVEL[f.severity],
        "message": {"text": plain(text, 2000)},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": artifact, "region": {"startLine": loc.line}},
                "logicalLocations": [{"name": plain(f.operation or f.check, 300), "kind": "function"}],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "authgate/fingerprint": f.fingerprint,
            "authgate/status": f.status,
            "authgate/severity": f.severity.label,
            "authgate/confidence": f.confidence.label,
            "authgate/identity": f.identity,
            "authgate/victim": f.victim,
            "authgate/located": loc.located,
        },
    }
    if f.status == "accepted":
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": "accepted in the authgate baseline (.authgate-baseline.json)",
            }
        ]
    return out


def build(result: ScanResult) -> dict[str, Any]:
    rules = _rules(result)
    index = {m.id: i for i, m in enumerate(rules)}
    findings = sorted(result.findings, key=Finding.sort_key)
    invocation: dict[str, Any] = {"executionSuccessful": result.complete}
    if not result.complete:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": plain(r, 1000)}} for r in result.verdict.reasons
        ]
    v = result.verdict
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "authgate",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(m) for m in rules],
                    }
                },
                "invocations": [invocation],
                "columnKind": "utf16CodeUnits",
                "results": [_result(result, f, index[f.check]) for f in findings],
                "properties": {
                    "authgate/score": v.score,
                    "authgate/gate_score": v.gate_score,
                    "authgate/grade": v.grade,
                    "authgate/threshold": result.threshold,
                    "authgate/verdict": v.verdict,
                },
            }
        ],
    }


def render(result: ScanResult) -> str:
    return json.dumps(build(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
