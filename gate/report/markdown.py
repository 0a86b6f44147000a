"""The Markdown reports: the short pull-request comment (`comment`) and the full report (`render`:
the job summary `$GITHUB_STEP_SUMMARY`, the check run's summary, `authgate scan --markdown`).

The comment (issue 16) fits on a screen: the verdict and what blocks the merge first, then the new
findings grouped by handler (one row per root cause: the operation, a link to its line at the pull
request's head commit, its check ids, the blocking ones in bold), the accepted ones folded below,
the evidence of the top findings folded, and links to the rest (the job summary, the check run, the
report artifact). It stays under `COMMENT_LIMIT` (12,000 characters) and names every blocking finding.

The full report's layout: the hidden marker `<!-- authgate:summary -->` on the first line (the Action finds
its comment again by it and edits it in place); a heading with the grade badge and the verdict; the
gate score against the threshold and the new findings that fail the gate (the verdict names them);
counts by severity; a table of the new findings (check, operation, identity, CWE, OWASP,
`file:line`); the evidence of each new finding folded in `<details>` (request, response excerpt,
DynamoDB calls, item changes, remediation); then the fixed and the accepted findings, folded.

Every string that the service or the pull request can influence goes through `gate.report.escape`.
The text never exceeds GitHub's 65,536-character comment limit: when it would, rows and evidence
sections are left out (most severe kept) and a note says how many and where the full list is.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePosixPath
from urllib.parse import quote

from gate import __version__
from gate.findings import Finding, Severity
from gate.report.curl import reproduce
from gate.report.escape import code, fence, html, text
from gate.report.location import Handler, Links, handlers, locate
from gate.verdict.baseline import Entry
from gate.verdict.result import ScanResult

MARKER = "<!-- authgate:summary -->"
LIMIT = 65_536  # GitHub's maximum comment body, in characters
COMMENT_LIMIT = 12_000  # the PR comment: what a reviewer reads on one screen (issue 16)
COMMENT_EVIDENCE = 3  # findings whose evidence the comment shows (the most severe)
REPORT_NAME = "authgate-report.json"
_BADGE_COLOR = {"A": "brightgreen", "B": "green", "C": "yellow", "D": "orange", "F": "red"}
_SEVERITIES = sorted(Severity, reverse=True)
_CWE = re.compile(r"^CWE-(\d+)$")
_OWASP = re.compile(r"^API(\d+):2023$")
_OWASP_SLUG = {
    1: "0xa1-broken-object-level-authorization",
    2: "0xa2-broken-authentication",
    3: "0xa3-broken-object-property-level-authorization",
    4: "0xa4-unrestricted-resource-consumption",
    5: "0xa5-broken-function-level-authorization",
    6: "0xa6-unrestricted-access-to-sensitive-business-flows",
    7: "0xa7-server-side-request-forgery",
    8: "0xa8-security-misconfiguration",
    9: "0xa9-improper-inventory-management",
    10: "0xaa-unsafe-consumption-of-apis",
}
# Bounds of one evidence section, so that one finding can never eat the whole comment.
_BODY = 1200
_CALLS = 8
_CHANGES = 1500


# -- small pieces -------------------------------------------------------------------------------
def _badge(result: ScanResult) -> str:
    v = result.verdict
    if v.verdict == "error":
        return "![authgate: error](https://img.shields.io/badge/authgate-error-lightgrey)"
    label = quote(f"{v.grade} {v.score}/100", safe="")
    return f"![authgate grade {v.grade}](https://img.shields.io/badge/authgate-{label}-{_BADGE_COLOR[v.grade]})"


def _cwe(ids: Iterable[str]) -> str:
    out = []
    for c in ids:
        m = _CWE.match(c)
        out.append(f"[{c}](https://cwe.mitre.org/data/definitions/{m.group(1)}.html)" if m else text(c, 20))
    return ", ".join(out) or "—"


def _owasp(ids: Iterable[str]) -> str:
    out = []
    for o in ids:
        m = _OWASP.match(o)
        slug = _OWASP_SLUG.get(int(m.group(1))) if m else None
        out.append(f"[{o}](https://owasp.org/API-Security/editions/2023/en/{slug}/)" if slug else text(o, 20))
    return ", ".join(out) or "—"


def who(f: Finding) -> str:
    """The identity column, in words: `alice → bob`, `no credentials`, `source` (a static finding)."""
    return f.who("→")


def where(result: ScanResult, f: Finding, links: Links | None = None) -> str:
    """`path:line` relative to the repository, linked at the head commit when the links are known."""
    if not f.file:
        return "—"
    loc = locate(result, f)
    return _place(loc.path, loc.line, links.blob(loc) if links else None)


def _place(path: str, line: int, url: str | None, label: str | None = None) -> str:
    shown = code(label or f"{path}:{line}", 100)
    return f"[{shown}]({url})" if url else shown


def _operation(method: str, route: str) -> str:
    op = f"{method} {route}".strip()
    return code(op, 100) if op else "—"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# -- sections ---------------------------------------------------------------------------------------
def _head(result: ScanResult) -> list[str]:
    v = result.verdict
    new, accepted = result.new, result.accepted
    if v.verdict == "error":
        lines = [
            f"### {_badge(result)} authgate: could not scan, gate failed",
            "",
            "The scan did not complete, so the gate fails closed. What stopped it:",
            "",
        ]
        lines += [f"- {text(r, 500)}" for r in v.reasons[:10]]
        return [*lines, ""]
    word = "passed" if v.verdict == "pass" else "failed"
    cmp_ = "≥" if v.gate_score >= result.threshold else "<"
    lines = [f"### {_badge(result)} authgate: {v.grade} ({v.score}/100), gate {word}", ""]
    blocking = Counter(f.severity for f in result.blocking)
    summary = f"Gate score **{v.gate_score}** {cmp_} threshold **{result.threshold}**"
    if blocking:
        n = sum(blocking.values())
        each = ", ".join(f"{blocking[s]} new {s.label}" for s in _SEVERITIES if blocking[s])
        summary += f"; **{each}** finding" + ("s" if n != 1 else "")
    if v.verdict == "fail":
        summary = "**Blocks the merge:** " + summary[0].lower() + summary[1:]
    summary += (
        f". {len(new)} new, {len(accepted)} accepted, {len(result.fixed)} fixed since the baseline."
        if result.baseline
        else f". {_plural(len(new), 'finding')}, no baseline."
    )
    lines += [summary, ""]
    if result.findings:
        lines += [
            "| | " + " | ".join(s.label for s in _SEVERITIES) + " |",
            "|---|" + "---:|" * len(_SEVERITIES),
        ]
        for label, group in (("new", new), ("accepted", accepted)):
            if label == "accepted" and not group:
                continue
            c = Counter(f.severity for f in group)
            lines.append(f"| {label} | " + " | ".join(str(c[s]) for s in _SEVERITIES) + " |")
        lines.append("")
    return lines


_TABLE_HEAD = ["| severity | check | operation | identity | CWE | OWASP | where |", "|---|---|---|---|---|---|---|"]


def _row(result: ScanResult, f: Finding, links: Links | None) -> str:
    cells = [
        f"**{f.severity.label}**",
        code(f.check, 60),
        _operation(f.method, f.route),
        text(who(f), 60),
        _cwe(f.cwe),
        _owasp(f.owasp),
        where(result, f, links),
    ]
    return "| " + " | ".join(cells) + " |"


def _fixed_row(e: Entry) -> str:
    return f"| {text(e.severity, 12)} | {code(e.check, 60)} | {_operation(e.method, e.route)} | {code(e.fingerprint)} |"


def _http_request(req: dict) -> str:
    lines = [f"{req.get('method', '')} {req.get('path', '')}"]
    lines += [f"{k}: {v}" for k, v in (req.get("headers") or {}).items()]
    if req.get("body"):
        lines += ["", str(req["body"])]
    return fence("\n".join(lines), "http", _BODY)


def _http_response(resp: dict) -> str:
    lines = [f"HTTP {resp.get('status', '?')}"]
    lines += [f"{k}: {v}" for k, v in (resp.get("headers") or {}).items()]
    if resp.get("body"):
        lines += ["", str(resp["body"])]
    return fence("\n".join(lines), "http", _BODY)


def _evidence(f: Finding) -> str:
    """One finding's evidence, folded: what it proves, the request and answer, the DynamoDB calls and
    item changes, the code, the log, the `curl` that replays it, the fix."""
    ev = f.evidence
    summary = f"Evidence: {f.severity.label} {f.check} {f.operation or f.file or ''} ({who(f)})"
    out = [f"<details><summary>{html(summary, 240)}</summary>", "", text(f.message, 400), ""]
    if ev.notes:
        out += ["Proof:", ""] + [f"- {text(n, 400)}" for n in ev.notes[:6]] + [""]
    if ev.request:
        ident = ev.request.get("identity") or "anonymous"
        out += [f"Request, as {text(ident, 40)}:", "", _http_request(ev.request), ""]
    if ev.response:
        out += ["Response (excerpt):", "", _http_response(ev.response), ""]
    if ev.dynamodb_calls:
        calls = [str(c.get("summary") or c.get("operation", "?")) for c in ev.dynamodb_calls[:_CALLS]]
        if len(ev.dynamodb_calls) > _CALLS:
            calls.append(f"... and {len(ev.dynamodb_calls) - _CALLS} more")
        out += ["DynamoDB calls this request caused:", "", fence("\n".join(calls), "", _BODY), ""]
    if ev.item_changes:
        dump = "\n".join(json.dumps(c, sort_keys=True, default=str, ensure_ascii=False) for c in ev.item_changes)
        out += ["Item changes it made (the gate restored them):", "", fence(dump, "json", _CHANGES), ""]
    if ev.code:
        loc = f"{ev.code.get('file', '')}:{ev.code.get('line', '')}".rstrip(":")
        out += [f"Code at {code(loc, 100, in_table=False)}:", "", fence(ev.code.get("excerpt", ""), "", _BODY), ""]
    if ev.log:
        out += ["Service log:", "", fence("\n".join(ev.log[:10]), "", _BODY), ""]
    curl = reproduce(f)
    if curl:
        out += [
            "Replay it against a local run (`AUTHGATE_URL`, and the credentials as variables):",
            "",
            fence(curl, "sh", _BODY * 2),
            "",
        ]
    refs = " · ".join(x for x in (_cwe(f.cwe), _owasp(f.owasp)) if x != "—")
    out += [f"**Fix:** {text(f.remediation, 600)} ({refs})", "", "</details>", ""]
    return "\n".join(out)


def _folded(title: str, head: list[str], rows: list[str], total: int) -> str:
    lines = [f"<details><summary>{html(title)} ({total})</summary>", "", *head, *rows]
    if len(rows) < total:
        lines.append(f"\n{total - len(rows)} more left out to fit the comment limit.")
    return "\n".join([*lines, "", "</details>", ""])


def _footer(result: ScanResult) -> list[str]:
    if result.verdict.verdict == "error":
        return [f"<sub>authgate {__version__}, {result.duration_s:.1f} s.</sub>", ""]
    bits = [
        _plural(result.operations, "operation"),
        _plural(len(result.identities), "identity").replace("identitys", "identities"),
        _plural(result.requests, "request"),
        _plural(result.dynamodb_calls, "DynamoDB call"),
        f"{result.duration_s:.1f} s",
    ]
    if result.shard:
        bits.append(f"shard {text(result.shard, 12)}")
    lines = [f"<sub>{', '.join(bits)}. authgate {__version__}.</sub>", ""]
    lines += _coverage(result)
    if result.notes:
        lines += ["Notes:", ""] + [f"- {text(n, 300)}" for n in result.notes[:10]] + [""]
    return lines


def _coverage(result: ScanResult) -> list[str]:
    """One line: how many operations a legitimate request reached, and the first of those it did not."""
    counted = [e for e in result.coverage if not e.get("skipped")]
    if not counted:
        return []
    missed = [str(e.get("operation")) for e in counted if not e.get("reached")]
    line = f"Coverage: {result.operations_reached}/{len(counted)} operations reached by a legitimate request"
    if missed:
        shown = ", ".join(code(m, 80) for m in missed[:3]) + (f" and {len(missed) - 3} more" if len(missed) > 3 else "")
        line += f"; not tested: {shown}"
    return [line + ".", ""]


# -- assembly -----------------------------------------------------------------------------------
def render(result: ScanResult, limit: int = LIMIT, links: Links | None = None) -> str:
    """The whole report, at most `limit` characters (GitHub's comment limit by default)."""
    new = sorted(result.new, key=Finding.sort_key)
    accepted = sorted(result.accepted, key=Finding.sort_key)
    fixed = list(result.fixed)
    head = "\n".join([MARKER, *_head(result)])
    foot = "\n".join(_footer(result))
    rows = [_row(result, f, links) for f in new]
    evidence = [_evidence(f) for f in new]
    acc_rows = [_row(result, f, links) for f in accepted]
    fix_head = ["| severity | check | operation | fingerprint |", "|---|---|---|---|"]
    fix_rows = [_fixed_row(e) for e in fixed]

    # Spend the budget in order of importance: new rows, their evidence, fixed, accepted.
    reserve = 400  # the truncation note
    budget = limit - len(head) - len(foot) - reserve - 600  # section titles and folds
    kept: dict[str, list[str]] = {}
    for name, items in (("rows", rows), ("evidence", evidence), ("fixed", fix_rows), ("accepted", acc_rows)):
        kept[name] = []
        for item in items:
            if len(item) + 1 > budget:
                break
            kept[name].append(item)
            budget -= len(item) + 1
    left = {k: n - len(kept[k]) for k, n in (("rows", len(rows)), ("evidence", len(evidence)))}
    left["fixed"], left["accepted"] = len(fix_rows) - len(kept["fixed"]), len(acc_rows) - len(kept["accepted"])

    parts = [head]
    if new:
        parts.append("\n".join([f"#### New findings ({len(new)})", "", *_TABLE_HEAD, *kept["rows"], ""]))
        parts.extend(kept["evidence"])
    elif result.verdict.verdict != "error":
        parts.append("No new findings.\n")
    if fixed:
        parts.append(_folded("Fixed since the baseline", fix_head, kept["fixed"], len(fixed)))
    if accepted:
        parts.append(_folded("Accepted by the baseline", _TABLE_HEAD, kept["accepted"], len(accepted)))
    if any(left.values()):
        what = ", ".join(
            _plural(n, label)
            for n, label in (
                (left["rows"], "new-finding row"),
                (left["evidence"], "evidence section"),
                (left["fixed"], "fixed row"),
                (left["accepted"], "accepted row"),
            )
            if n
        )
        parts.append(
            f"> [!NOTE]\n> Shortened to fit GitHub's {limit:,}-character limit: left out {what}. "
            f"The JSON report (`{REPORT_NAME}`) has every finding with its evidence.\n"
        )
    parts.append(foot)
    out = "\n".join(parts)
    if len(out) > limit:  # cannot happen with the reserve above; never post an over-long comment
        out = out[: limit - 80] + "\n\n(cut to fit the comment limit; see the JSON report)\n"
    return out


# -- the pull-request comment -------------------------------------------------------------------------
_GROUP_HEAD = ["| | handler | findings |", "|---|---|---|"]


def _folder(result: ScanResult, findings: list[Finding]) -> str:
    """The folder every handler's file is in (`services/api/`), said once above the table so that
    each row shows `app.py:50` (its link keeps the whole repository-relative path); "" for none."""
    dirs = {str(PurePosixPath(h.location.path).parent) for h in handlers(result, findings)}
    if len(dirs) != 1 or PurePosixPath(next(iter(dirs))).is_absolute():
        return ""
    d = next(iter(dirs))
    return "" if d == "." else d + "/"


def _group_row(result: ScanResult, h: Handler, links: Links | None, folder: str = "") -> str:
    """One handler: its most severe finding's severity, the operation and a link to its line, then
    its check ids (repeated ones counted, blocking ones in bold, a static one at another line with
    its own link)."""
    blocking = set(result.verdict.blocking)
    label = f"{h.location.path.removeprefix(folder)}:{h.location.line}"
    where_ = _place(h.location.path, h.location.line, links.blob(h.location) if links else None, label)
    head = f"{code(h.operation, 100)} {where_}" if h.operation else where_
    checks: dict[tuple[str, int], list[Finding]] = {}  # (check, its own line or 0) -> findings, in order
    for f in h.findings:
        loc = locate(result, f)
        own = loc.line if (loc.path, loc.line) != (h.location.path, h.location.line) else 0
        checks.setdefault((f.check, own), []).append(f)
    names = []
    for (check, own), fs in checks.items():
        name = code(check, 60)
        if any(f.fingerprint in blocking for f in fs):
            name = f"**{name}**"
        if len(fs) > 1:
            name += f" ×{len(fs)}"
        if own:
            loc = locate(result, fs[0])
            url = links.blob(loc) if links else None
            label = f"L{own}" if loc.path == h.location.path else f"{loc.path.removeprefix(folder)}:{own}"
            name += f" ({_place(loc.path, own, url, label)})"
        names.append(name)
    return f"| {h.severity.label} | {head} | {', '.join(names)} |"


def _fit(rows: list[str], budget: int) -> list[str]:
    """The first rows that fit in `budget` characters."""
    out: list[str] = []
    for row in rows:
        budget -= len(row) + 1
        if budget < 0:
            break
        out.append(row)
    return out


def _group_table(
    result: ScanResult, findings: list[Finding], links: Links | None, budget: int = LIMIT, folder: str = ""
) -> list[str]:
    """The handlers' table, most severe first, in at most `budget` characters (a line says how many
    handlers it left out)."""
    groups = handlers(result, findings)
    rows = _fit([_group_row(result, h, links, folder) for h in groups], budget - 200)
    out = [*_GROUP_HEAD, *rows]
    if len(rows) < len(groups):
        out += ["", f"{_plural(len(groups) - len(rows), 'more handler')} left out here: see the job summary."]
    return out


def _elsewhere(result: ScanResult, links: Links | None, shown: int) -> str:
    """Where the evidence the comment leaves out is: the job summary, the check run, the artifact."""
    total = len(result.findings)
    run = links.run if links else ""
    check = links.check_run if links else ""
    places = [f"[the job summary]({run})" if run else "the job summary"]
    places.append(f"[the check run]({check})" if check else "the check run")
    artifact = f"the `{REPORT_NAME}` artifact of [this run]({run}#artifacts)" if run else f"`{REPORT_NAME}`"
    places.append(artifact)
    what = f"The evidence of all {_plural(total, 'finding')}" if shown < total else "All the evidence"
    return f"{what}, each with the `curl` that replays it: {', '.join(places[:-1])} and {places[-1]}."


def comment(result: ScanResult, links: Links | None = None, limit: int = COMMENT_LIMIT) -> str:
    """The pull-request comment: at most `limit` characters, every blocking finding named."""
    new = sorted(result.new, key=Finding.sort_key)
    accepted = sorted(result.accepted, key=Finding.sort_key)
    parts = ["\n".join([MARKER, *_head(result)])]
    foot = "\n".join(_footer(result))
    tables = limit - len(parts[0]) - len(foot) - 1200  # the titles, folds and the "elsewhere" line
    folder = _folder(result, result.findings)
    if new:
        places = len(handlers(result, new))
        title = f"#### New findings by handler: {len(new)} in {_plural(places, 'place')}"
        if folder:
            title += f", files in {code(folder, 100, in_table=False)}"
        legend = "**Bold**: blocks the merge." if result.verdict.blocking else ""
        table = _group_table(result, new, links, tables * 3 // 4 if accepted else tables, folder)
        parts.append("\n".join([title, "", *table, "", legend, ""]))
        tables -= len(parts[-1])
    elif result.verdict.verdict != "error":
        parts.append("No new findings.\n")
    if accepted:
        rows = _group_table(result, accepted, links, max(tables // 2, 0), folder)[2:]
        parts.append(_folded("Accepted by the baseline", _GROUP_HEAD, rows, len(accepted)))
        tables -= len(parts[-1])
    if result.fixed:
        fix_head = ["| severity | check | operation | fingerprint |", "|---|---|---|---|"]
        rows = _fit([_fixed_row(e) for e in result.fixed], tables)
        parts.append(_folded("Fixed since the baseline", fix_head, rows, len(result.fixed)))
    budget = limit - sum(len(p) + 1 for p in parts) - len(foot) - 400  # the "elsewhere" line
    shown = 0
    for f in new[:COMMENT_EVIDENCE]:
        ev = _evidence(f)
        if len(ev) + 1 > budget:
            break
        if not shown:
            parts.append("#### Evidence of the most severe findings\n")
        parts.append(ev)
        budget -= len(ev) + 1
        shown += 1
    if result.findings:
        parts.append(_elsewhere(result, links, shown) + "\n")
    parts.append(foot)
    out = "\n".join(parts)
    if len(out) > limit:  # a report with thousands of handlers: cut, never post an over-long comment
        out = out[: limit - 120] + f"\n\n(cut to {limit:,} characters; {_elsewhere(result, links, 0)})\n"
    return out
