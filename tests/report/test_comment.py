"""The pull-request comment (issue 16), rendered by cmark-gfm: short, grouped by handler, linked at
the head commit, every blocking finding named, nothing from the service turned into markup."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from gate.findings import Evidence, Severity
from gate.report import markdown
from gate.report.json_report import parse
from gate.report.location import Links, handlers
from tests.conftest import EXAMPLES
from tests.factories import HOSTILE, finding, hostile_result, result
from tests.report.test_markdown import LINK_HOSTS, MENTION, render_html

SHA = "0123456789abcdef0123456789abcdef01234567"
LINKS = Links.make("https://github.com", "acme/svc", SHA, "99")
BLOB = f"https://github.com/acme/svc/blob/{SHA}/"
RUN = "https://github.com/acme/svc/actions/runs/99"


def _links_are_ours(links: list[str]) -> None:
    assert all(link.startswith((*LINK_HOSTS, BLOB, RUN, "https://github.test/")) for link in links), links


def test_the_vulnerable_example_s_comment_fits_on_a_screen(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    r = parse(report)
    md = markdown.comment(r, LINKS)
    doc = render_html(md)
    assert len(md) < markdown.COMMENT_LIMIT
    assert md.splitlines()[0] == markdown.MARKER
    # The verdict and what blocks the merge come before any finding.
    assert md.index("**Blocks the merge:**") < md.index("#### New findings by handler")
    # One row per handler, fewer than the findings; each links the handler's line at the head commit.
    groups = handlers(r, r.new)
    (table,) = [t for t in doc.tables if t and len(t[0]) == 3]
    assert len(table) == len(groups) < len(r.findings)
    login = next(row for row in table if row[1].startswith("POST /login"))
    line = next(i for i, t in enumerate((EXAMPLES / "profiles-fastapi" / "app.py").read_text().splitlines(), 1)
                if t.startswith("def login("))  # fmt: skip
    assert login[1] == f"POST /login app.py:{line}"  # the folder is named once, in the title
    assert "files in examples/profiles-fastapi/" in doc.all_text
    assert {"jwt.weak-secret", "rate-limit.credentials", "enumeration.response"} <= set(
        re.findall(r"[\w.-]+", login[2])
    )
    blobs = [link for link in doc.links if link.startswith(BLOB)]
    assert f"{BLOB}examples/profiles-fastapi/app.py#L{line}" in blobs
    assert all(re.fullmatch(rf"{BLOB}examples/profiles-fastapi/\w+\.py#L\d+", link) for link in blobs)
    _links_are_ours(doc.links)
    # Every blocking finding is named; the evidence of the most severe ones is folded, with its curl.
    for f in r.blocking:
        assert f"`{f.check}`" in md
    assert doc.starts["details"] == doc.ends["details"] == markdown.COMMENT_EVIDENCE
    assert "curl -i -X DELETE" in doc.all_text and "$ALICE_TOKEN" in doc.all_text
    assert f"[the job summary]({RUN})" in md and f"[this run]({RUN}#artifacts)" in md


def test_the_check_run_link_is_given_once_it_exists() -> None:
    r = result([finding("bola.read", file="app.py", line=3)])
    check = "https://github.test/acme/svc/runs/5"
    md = markdown.comment(r, replace(LINKS, check_run=check))
    assert f"[the check run]({check})" in md


def test_accepted_findings_come_after_the_new_ones_and_are_folded() -> None:
    r = result(
        [
            finding("bola.read", file="app.py", line=3),
            finding("bola.list", route="/posts", status="accepted", file="app.py", line=9),
        ]
    )
    md = markdown.comment(r, LINKS)
    assert md.index("New findings by handler") < md.index("Accepted by the baseline (1)")
    assert f"[`app.py:9`]({BLOB}svc/app.py#L9)" in md


def test_a_hostile_service_cannot_inject_into_the_comment() -> None:
    md = markdown.comment(hostile_result(), LINKS)
    doc = render_html(md)
    assert len(md) <= markdown.COMMENT_LIMIT
    assert doc.starts["details"] == doc.ends["details"] and doc.starts["script"] == doc.starts["h1"] == 0
    _links_are_ours(doc.links)
    assert not MENTION.search(doc.all_text)
    for bad in ("\u202e", "\x1b", "www.evil", "://evil"):
        assert bad not in doc.all_text, repr(bad)  # (a link to a file so named percent-encodes it)
    assert not re.search(r"https?://(?!github\.com/|cwe\.|owasp\.|img\.shields\.io/)", md)
    m = re.search(r"(\d+) more handlers? left out", md)
    assert len(doc.tables[1]) + (int(m.group(1)) if m else 0) == len(HOSTILE)  # one each, no injected row


@pytest.mark.parametrize(("server", "repo", "sha"), [("javascript:x", "a/b", SHA), ("https://github.com", "a/b)", SHA)])
def test_links_are_never_made_from_values_that_are_not_github_s(server: str, repo: str, sha: str) -> None:
    r = result([finding("bola.read", file="app.py", line=3)])
    md = markdown.comment(r, Links.make(server, repo, sha, "1"))
    assert "/blob/" not in md and "javascript" not in md


def test_many_handlers_still_fit_and_say_what_was_left_out() -> None:
    big = "x" * 3000
    fs = [
        finding(
            "bola.read",
            [Severity.CRITICAL, Severity.HIGH][i % 2],
            route=f"/r/{i:04d}/{{id}}",
            file="app.py",
            line=i + 1,
            message=big,
            evidence=Evidence(request={"method": "GET", "path": "/" + big, "identity": "alice"}, notes=[big]),
        )
        for i in range(400)
    ]
    md = markdown.comment(result(fs), LINKS)
    doc = render_html(md)
    assert len(md) <= markdown.COMMENT_LIMIT
    assert doc.starts["details"] == doc.ends["details"]
    assert re.search(r"\d+ more handlers left out here: see the job summary", md)
    assert doc.tables[1][0][0] == "critical"


def test_the_full_report_links_its_locations_too(tmp_path: Path) -> None:
    r = result([finding("bola.read", file="app.py", line=3)])
    assert f"[`svc/app.py:3`]({BLOB}svc/app.py#L3)" in markdown.render(r, links=LINKS)
