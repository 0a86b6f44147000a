"""The Markdown summary (PR comment and job summary), rendered by cmark-gfm, GitHub's own parser.

The rendering runs with raw HTML allowed (GitHub would sanitise some of it afterwards; we want
nothing from the service to reach the HTML at all), and the HTML is inspected: which tags, how many
`<details>`, table rows and cells, which links, no @mentions.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from gate.findings import Evidence, Severity
from gate.report import markdown
from gate.report.json_report import parse
from gate.verdict.result import ScanResult
from tests.factories import HOSTILE, finding, hostile_result, result

ALLOWED_TAGS = {
    "h3", "h4", "p", "img", "table", "thead", "tbody", "tr", "th", "td", "code", "strong", "a", "details",
    "summary", "pre", "ul", "li", "sub", "blockquote", "br",
}  # fmt: skip
LINK_HOSTS = ("https://cwe.mitre.org/", "https://owasp.org/API-Security/")
MENTION = re.compile(r"@[A-Za-z0-9]")


class Html(HTMLParser):
    """What a reader of the rendered comment gets: tags, links, tables, text."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: Counter[str] = Counter()
        self.ends: Counter[str] = Counter()
        self.links: list[str] = []
        self.images: list[str] = []
        self.tables: list[list[list[str]]] = []  # body rows of each table, cells as text
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._in_body = False
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts[tag] += 1
        a = dict(attrs)
        if tag == "a":
            self.links.append(a.get("href") or "")
        if tag == "img":
            self.images.append(a.get("src") or "")
        if tag == "table":
            self.tables.append([])
        if tag == "tbody":
            self._in_body = True
        if tag == "tr" and self._in_body:
            self.tables[-1].append([])
        if tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        self.ends[tag] += 1
        if tag == "tbody":
            self._in_body = False
        if tag == "td" and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def render_html(md: str) -> Html:
    return Html(cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE))


def _assert_well_formed(md: str, doc: Html) -> None:
    assert md.splitlines()[0] == markdown.MARKER and md.count(markdown.MARKER) == 1
    assert len(md) <= markdown.LIMIT
    assert set(doc.starts) <= ALLOWED_TAGS, set(doc.starts) - ALLOWED_TAGS
    for tag in ("details", "summary", "table", "code", "pre"):
        assert doc.starts[tag] == doc.ends[tag], tag
    assert doc.starts["h3"] == 1 and doc.starts["h1"] == doc.starts["h2"] == 0
    assert all(link.startswith(LINK_HOSTS) for link in doc.links), doc.links
    assert len(doc.images) == 1 and doc.images[0].startswith("https://img.shields.io/badge/authgate-")
    assert not MENTION.search(doc.all_text)


# -- real reports ------------------------------------------------------------------------------------
def test_vulnerable_summary(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    md = markdown.render(parse(report))
    doc = render_html(md)
    _assert_well_formed(md, doc)
    assert f"authgate: F ({report['score']}/100), gate failed" in md
    assert f"**Blocks the merge:** gate score **{report['gate_score']}** < threshold **80**" in md
    counts = Counter(f["severity"] for f in report["findings"])
    assert doc.tables[0] == [["new", *(str(counts[s]) for s in ("critical", "high", "medium", "low", "info"))]]
    rows = doc.tables[1]

    def who(f: dict) -> str:
        static = f["evidence"].get("code") and not f["evidence"].get("request")
        if f["identity"] is None and (not f["method"] or static):
            return "source"  # a static finding (in a handler, it still names the operation)
        return f"{f['identity'] or 'no credentials'}" + (f" → {f['victim']}" if f["victim"] else "")

    assert [(r[1], r[2], r[3]) for r in rows] == [
        (f["check"], f"{f['method']} {f['route']}".strip() or "—", who(f)) for f in report["findings"]
    ]
    assert all(r[4] == "CWE-639" and r[5] == "API1:2023" for r in rows if r[1].startswith("bola."))
    # one evidence fold each, unless GitHub's limit cut some: then the summary says what it left out
    folds = doc.starts["details"]
    assert folds == len(report["findings"]) or (0 < folds < len(report["findings"]) and "left out" in doc.all_text)
    assert 'GetItem profiles {"user_id": "bob"} -> 1 item' in doc.all_text
    assert "GET /users/bob/profile" in doc.all_text and "HTTP 200" in doc.all_text
    assert '"change": "deleted"' in doc.all_text  # item changes of bola.write DELETE


def test_fixed_summary_passes_with_no_findings(fixed_report: tuple[int, dict, str]) -> None:
    md = markdown.render(parse(fixed_report[1]))
    doc = render_html(md)
    _assert_well_formed(md, doc)
    assert "authgate: A (100/100), gate passed" in md and "No new findings." in md
    assert doc.starts["details"] == 0 and doc.tables == []


def test_baselined_summary_has_new_accepted_and_fixed(
    baseline_roundtrip: dict, vulnerable_report: tuple[int, dict, str]
) -> None:
    md = (baseline_roundtrip["work"] / "changed.md").read_text()  # written by `scan --markdown`
    doc = render_html(md)
    _assert_well_formed(md, doc)
    accepted = len(vulnerable_report[1]["findings"]) - 1  # all but the fixed one
    blocks = "**Blocks the merge:** gate score **75** < threshold **80**; **1 new high** finding."
    assert f"{blocks} 1 new, {accepted} accepted, 1 fixed" in md
    new_rows, fixed_rows, accepted_rows = doc.tables[1], doc.tables[2], doc.tables[3]
    assert [(r[1], r[2], r[3]) for r in new_rows] == [("bola.read", "GET /users/{user_id}/settings", "alice → bob")]
    assert [(r[1], r[2]) for r in fixed_rows] == [("bola.filter-scoped", "GET /me/posts")]
    assert len(accepted_rows) == accepted
    assert "Fixed since the baseline (1)" in doc.all_text and f"Accepted by the baseline ({accepted})" in doc.all_text
    same = (baseline_roundtrip["work"] / "same.md").read_text()
    assert "No new findings." in same and f"Accepted by the baseline ({accepted + 1})" in same


def test_error_summary_says_the_gate_fails_closed() -> None:
    r = result([], complete=False, errors=["service did not start: <b>@admin</b> exited 1"])
    md = markdown.render(r)
    doc = render_html(md)
    _assert_well_formed(md, doc)
    assert "could not scan, gate failed" in md
    assert "service did not start: <b>@\u200dadmin</b> exited 1" in doc.all_text  # shown, not rendered


# -- hostile text ------------------------------------------------------------------------------------------
def test_hostile_text_cannot_inject_anything() -> None:
    md = markdown.render(hostile_result())
    doc = render_html(md)
    _assert_well_formed(md, doc)
    n = len(HOSTILE)
    # Exactly our structure: one evidence fold per new finding, plus the fixed and accepted folds.
    assert doc.starts["details"] == n + 2 and doc.starts["summary"] == n + 2
    assert [len(t) for t in doc.tables] == [2, n, 1, 1]  # counts (new, accepted), new, fixed, accepted
    assert all(len(row) == 7 for row in doc.tables[1] + doc.tables[3]) and len(doc.tables[2][0]) == 4
    assert doc.starts["script"] == 0 and doc.starts["h1"] == 0 and doc.starts["hr"] == 0
    text = doc.all_text
    for bad in ("\u202e", "\x1b", "\x00", "\u200b", "www.evil", "://evil"):
        assert bad not in md and bad not in text, repr(bad)
    # Shown as text, not dropped: a reader sees what the service sent.
    assert "<script>alert(1)</script>" in text and "</details><details open>" in text
    assert "| injected | row |" in text


def test_hostile_text_stays_inside_its_code_blocks() -> None:
    md = markdown.render(hostile_result())
    doc = Html(cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE))
    # Every evidence fold has its request, response, DynamoDB calls, item changes, code and log blocks.
    assert doc.starts["pre"] == len(HOSTILE) * 7  # and the curl that replays the request


# -- the comment limit -----------------------------------------------------------------------------------
def test_a_huge_report_fits_the_comment_limit_and_says_what_it_left_out() -> None:
    big = "x" * 5000
    fs = [
        finding(
            "bola.read",
            [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM][i % 3],
            route=f"/r/{i:04d}/{{id}}",
            message=big,
            evidence=Evidence(
                request={"method": "GET", "path": "/" + big, "identity": "alice", "headers": {}, "body": big},
                response={"status": 200, "headers": {}, "body": big},
                notes=[big],
            ),
        )
        for i in range(600)
    ]
    fs += [finding("bola.list", route=f"/a/{i}", status="accepted") for i in range(50)]
    md = markdown.render(result(fs))
    doc = render_html(md)
    _assert_well_formed(md, doc)
    assert 60_000 < len(md) <= markdown.LIMIT
    m = re.search(r"left out (\d+) new-finding rows, (\d+) evidence sections, (\d+) accepted rows", md)
    assert m, md[-800:]
    shown_rows, shown_evidence = len(doc.tables[1]), doc.starts["details"] - 1
    assert shown_rows + int(m.group(1)) == 600 and shown_evidence + int(m.group(2)) == 600
    assert all(r[0] == "critical" for r in doc.tables[1][:100])  # most severe kept first
    assert "authgate-report.json" in md


@pytest.mark.parametrize("limit", [3000, 10_000])
def test_smaller_limits_are_honoured(limit: int) -> None:
    md = markdown.render(hostile_result(), limit=limit)
    assert len(md) <= limit
    doc = render_html(md)
    assert doc.starts["details"] == doc.ends["details"]


def test_the_summary_is_the_same_from_a_report_read_back() -> None:
    # The renderer works from a ScanResult alone (a report read back, e.g. by `authgate comment`).
    r = hostile_result()
    assert markdown.render(r) == markdown.render(parse(json.loads(json.dumps(_doc(r)))))


def _doc(r: ScanResult) -> dict:
    from gate.report.json_report import build

    return build(r)
