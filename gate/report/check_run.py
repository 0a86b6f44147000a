"""The check run's `output` (GitHub REST, `POST /repos/{owner}/{repo}/check-runs`): a title, a
summary and one annotation per finding.

    {"title": "D (62/100): gate failed, 3 new findings", "summary": "### ![authgate grade D]...",
     "annotations": [{"path": "app.py", "start_line": 42, "end_line": 42, "annotation_level": "failure",
                      "title": "high bola.read GET /users/{user_id}/profile (alice → bob)", ...}]}

Unlike the workflow-command annotations (gate/report/annotations.py), the check run carries every
finding, accepted ones as notices marked `[accepted]`, most severe first, each at its handler's
repository-relative file and line (the config file, line 1, when the handler was not located). The
summary is the Markdown report without its hidden marker. Texts are cut to GitHub's limits (title
255, summary 65,535, message and raw details 64 KiB; we keep 60,000 characters). `gate.publish.github`
posts it, 50 annotations per request; `authgate scan --format check-run` writes it as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from gate.findings import Finding, Severity
from gate.report import markdown
from gate.report.location import locate
from gate.verdict.result import ScanResult

LEVEL = {
    Severity.CRITICAL: "failure",
    Severity.HIGH: "failure",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}
TITLE_LIMIT = 255  # characters of a check run's output.title and of an annotation's title
TEXT_LIMIT = 65535  # characters of a check run's output.summary
DETAIL_LIMIT = 60000  # of an annotation's message and raw_details (GitHub allows 64 KiB)


def title(result: ScanResult) -> str:
    v = result.verdict
    word = {"pass": "passed", "fail": "failed"}.get(v.verdict, "could not scan")
    return f"{v.grade} ({v.score}/100): gate {word}, {len(result.new)} new findings"[:TITLE_LIMIT]


def summary(report: str) -> str:
    """The Markdown report as a check run's summary: without the marker that finds the PR comment."""
    return report.replace(markdown.MARKER, "", 1).lstrip()[:TEXT_LIMIT]


def annotations(result: ScanResult) -> list[dict[str, Any]]:
    """Every finding, most severe first, at its handler (or the config file when not located)."""
    out: list[dict[str, Any]] = []
    for f in sorted(result.findings, key=Finding.sort_key):
        loc = locate(result, f)
        line = loc.line if loc.line > 0 else 1
        proof = next(iter(f.evidence.notes), "")
        accepted = f.status != "new"
        message = f"{f.message}\n{proof}".strip() if proof and proof not in f.message else f.message
        head = f"{f.severity.label} {f.check} {f.operation} ({f.who()}){' [accepted]' if accepted else ''}"
        out.append(
            {
                "path": loc.path,
                "start_line": line,
                "end_line": line,
                "annotation_level": "notice" if accepted else LEVEL[f.severity],
                "title": head[:TITLE_LIMIT],
                "message": message[:DETAIL_LIMIT] or f.title,
                "raw_details": f"{f.remediation}\n{' '.join(f.cwe + f.owasp)}\nfingerprint {f.fingerprint}"[
                    :DETAIL_LIMIT
                ],
            }
        )
    return out


def output(result: ScanResult, report: str) -> dict[str, Any]:
    """The `output` object of the check run; `report` is the Markdown report that becomes its summary."""
    return {"title": title(result), "summary": summary(report), "annotations": annotations(result)}


def render(result: ScanResult) -> str:
    return json.dumps(output(result, markdown.render(result)), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
