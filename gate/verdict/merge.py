"""The results of `--shard i/n` scans combined into one result and verdict (`authgate merge`,
which reads the JSON reports: gate/cli.py).

Shards split the operations, not the service: source-level findings (static checks, the login
route's findings) come out of every shard, so findings are combined by fingerprint. The verdict is
decided again by `scoring.decide` over the combined findings, never taken from one shard; if any
shard did not complete, the merged verdict is "error".
"""

from __future__ import annotations

from gate.findings import CheckMeta, Finding, Severity
from gate.verdict import scoring
from gate.verdict.result import ScanResult


class MergeError(ValueError):
    pass


def merge(parts: list[ScanResult]) -> ScanResult:
    if not parts:
        raise MergeError("no reports to merge")
    first = parts[0]
    for p in parts[1:]:
        if (p.threshold, p.fail_on, p.service) != (first.threshold, first.fail_on, first.service):
            raise MergeError(
                f"reports disagree: {first.service} (threshold {first.threshold}, fail_on {first.fail_on}) vs "
                f"{p.service} (threshold {p.threshold}, fail_on {p.fail_on})"
            )
    _check_shards(parts)
    findings: dict[str, Finding] = {}
    rules: dict[str, CheckMeta] = {}
    for p in parts:
        for f in p.findings:
            findings.setdefault(f.fingerprint, f)
        for m in p.rules:
            rules.setdefault(m.id, m)
    fixed = {e.fingerprint: e for p in parts for e in p.fixed if e.fingerprint not in findings}
    complete = all(p.complete for p in parts)
    errors = [r for p in parts if not p.complete for r in p.verdict.reasons]
    ordered = sorted(findings.values(), key=Finding.sort_key)
    verdict = scoring.decide(ordered, first.threshold, Severity.parse(first.fail_on), complete=complete, errors=errors)
    shards = sorted({p.shard for p in parts if p.shard})
    return ScanResult(
        service=first.service,
        config=first.config,
        findings=ordered,
        fixed=sorted(fixed.values(), key=lambda e: e.fingerprint),
        verdict=verdict,
        threshold=first.threshold,
        fail_on=first.fail_on,
        duration_s=max(p.duration_s for p in parts),  # shards run side by side
        complete=complete,
        operations=sum(p.operations for p in parts),
        identities=first.identities,
        requests=sum(p.requests for p in parts),
        dynamodb_calls=sum(p.dynamodb_calls for p in parts),
        notes=[*list(dict.fromkeys(n for p in parts for n in p.notes)), f"merged shards: {', '.join(shards)}"],
        access_profile=[e for p in parts for e in p.access_profile],
        source_files=sorted({f for p in parts for f in p.source_files}),
        coverage=sorted((e for p in parts for e in p.coverage), key=lambda e: str(e.get("operation"))),
        baseline=first.baseline,
        rules=[rules[k] for k in sorted(rules)],
    )


def _check_shards(parts: list[ScanResult]) -> None:
    """Exactly the shards 1..n of one split, each once: a missing shard would pass unscanned operations."""
    labels = [p.shard for p in parts]
    if not any(labels):
        if len(parts) > 1:
            raise MergeError("these reports are not shards (scan with --shard i/n); nothing to merge")
        return
    if not all(labels):
        raise MergeError("a report without --shard cannot be merged with shard reports")
    pairs = [tuple(int(x) for x in str(label).split("/")) for label in labels]
    totals = {n for _, n in pairs}
    if len(totals) != 1:
        raise MergeError(f"the shards come from different splits: {', '.join(sorted(map(str, labels)))}")
    (n,) = totals
    seen = sorted(i for i, _ in pairs)
    dupes = sorted({i for i in seen if seen.count(i) > 1})
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if dupes:
        raise MergeError(f"shard {', '.join(f'{i}/{n}' for i in dupes)} given more than once")
    if missing:
        raise MergeError(f"shard {', '.join(f'{i}/{n}' for i in missing)} missing: every shard of the split is needed")
