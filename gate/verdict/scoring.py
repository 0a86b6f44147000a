"""Score, grade and verdict: the one place that decides whether the gate passes.

score = floor(100 × Π (1 − w(severity)/100)) over the findings, with w = critical 40, high 25,
medium 10, low 4, info 0. Each finding multiplies what is left by a factor ≤ 1, so adding one never
raises the score and the order of findings never matters. `score` counts every finding (the honest
grade); `gate_score` counts only findings the baseline does not accept; the threshold applies to
`gate_score`. A new finding at or above `fail_on` fails the gate whatever the score: the verdict
names those findings (`Verdict.blocking`), so no reporter has to work them out again.

Worked example (also in the README): one high and two medium findings give
100 × 0.75 × 0.90 × 0.90 = 60.75, so score 60, grade D; with the high one accepted by the
baseline the gate score is 100 × 0.90 × 0.90 = 81, which passes a threshold of 80.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gate.findings import Finding, Severity

WEIGHTS: dict[Severity, int] = {
    Severity.CRITICAL: 40,
    Severity.HIGH: 25,
    Severity.MEDIUM: 10,
    Severity.LOW: 4,
    Severity.INFO: 0,
}
GRADES = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))


def score(severities: Iterable[Severity]) -> int:
    """floor(100 × Π (100 − w)/100): exact integer arithmetic, so the result never depends on order."""
    num, den = 100, 1
    for sev in severities:
        num *= 100 - WEIGHTS[sev]
        den *= 100
    return num // den


def grade(value: int) -> str:
    for floor_, letter in GRADES:
        if value >= floor_:
            return letter
    return "F"


@dataclass(frozen=True, slots=True)
class Verdict:
    score: int
    gate_score: int
    grade: str
    verdict: str  # pass | fail | error
    reasons: list[str] = field(default_factory=list)
    blocking: tuple[str, ...] = ()  # fingerprints of the new findings at or above fail_on, most severe first

    @property
    def exit_code(self) -> int:
        return {"pass": 0, "fail": 1}.get(self.verdict, 2)


def blocking(findings: Iterable[Finding], fail_on: Severity) -> list[Finding]:
    """The new findings at or above `fail_on`, most severe first: each one fails the gate on its own."""
    return sorted((f for f in findings if f.status == "new" and f.severity >= fail_on), key=Finding.sort_key)


def decide(
    findings: list[Finding], threshold: int, fail_on: Severity, complete: bool = True, errors: list[str] | None = None
) -> Verdict:
    total = score(f.severity for f in findings)
    new = [f for f in findings if f.status == "new"]
    gate_total = score(f.severity for f in new)
    # Named even when the scan did not complete: a report read back gets the same list (json_report.parse).
    block = blocking(new, fail_on)
    fingerprints = tuple(f.fingerprint for f in block)
    reasons: list[str] = []
    if not complete:
        reasons.extend(errors or ["the scan did not complete"])
        return Verdict(total, gate_total, grade(total), "error", reasons, fingerprints)
    if gate_total < threshold:
        reasons.append(f"gate score {gate_total} < threshold {threshold}")
    reasons += [f"new {f.severity.label} finding {f.check} {f.operation}".rstrip() for f in block]
    if not reasons:
        accepted = len(findings) - len(new)
        reasons.append(
            f"gate score {gate_total} >= threshold {threshold}; no new finding at or above "
            f"{fail_on.label}" + (f" ({accepted} accepted)" if accepted else "")
        )
        return Verdict(total, gate_total, grade(total), "pass", reasons, fingerprints)
    return Verdict(total, gate_total, grade(total), "fail", reasons, fingerprints)
