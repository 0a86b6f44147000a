"""Snapshots of what a user reads about the vulnerable example: the console, the full Markdown report,
the PR comment, SARIF.

The session's one `authgate scan examples/profiles-fastapi --markdown ... --sarif ...` (the
`vulnerable_scan` fixture), and the PR comment made from its report, are compared, after
normalising, with tests/snapshots/. A change of any output is then a reviewed diff of a snapshot,
not a surprise in a pull request.

Normalised, because they differ from run to run or machine to machine: durations (`2.2 s`), the
authgate and DynamoDB Local versions, the checkout's and the temporary folder's paths, ports,
timestamps, JWTs (their `exp` is the scan's time) and the random 32-hex ids the service gives the
items the probes create. Everything else, counts of requests and DynamoDB calls included, was the
same in repeated scans.

To regenerate after a deliberate change, review the diff, and commit it:

    AUTHGATE_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/report/test_snapshots.py
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from gate.report import markdown
from gate.report.json_report import parse
from gate.report.location import Links
from tests.conftest import ROOT, Scan

SNAPSHOTS = ROOT / "tests" / "snapshots"
UPDATE = os.environ.get("AUTHGATE_UPDATE_SNAPSHOTS") == "1"

# (pattern, replacement), applied in order to every output
_VOLATILE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(authgate|DynamoDB Local) \d+\.\d+\.\d+\b"), r"\1 <VERSION>"),
    (re.compile(r"\b\d+(\.\d+)? s\b"), "<N> s"),
    (re.compile(r"\b(127\.0\.0\.1|localhost):\d+"), r"\1:<PORT>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"), "<TIME>"),
    (re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]*"), "<JWT>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<ID>"),
)


def normalise(text: str, scan: Scan) -> str:
    text = text.replace(str(scan.workdir), "<TMP>").replace(str(ROOT), "<ROOT>")
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _sarif(scan: Scan) -> str:
    """SARIF as stable JSON: the tool's versions out, keys sorted, then the text normalisations."""
    doc = json.loads(scan.sarif)
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        for key in ("version", "semanticVersion"):
            if key in driver:
                driver[key] = "<VERSION>"
    return normalise(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", scan)


def _comment(scan: Scan) -> str:
    """The PR comment made from the scan's report, its links at a fixed head commit and run."""
    links = Links.make("https://github.com", "acme/svc", "0123456789abcdef0123456789abcdef01234567", "99")
    return normalise(markdown.comment(parse(scan.report), links), scan)


OUTPUTS = {
    "vulnerable.console.txt": lambda scan: normalise(scan.console, scan),
    "vulnerable.md": lambda scan: normalise(scan.markdown, scan),
    "vulnerable.comment.md": _comment,
    "vulnerable.sarif.json": _sarif,
}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_output_matches_its_snapshot(vulnerable_scan: Scan, name: str) -> None:
    got = OUTPUTS[name](vulnerable_scan)
    path = SNAPSHOTS / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: run with AUTHGATE_UPDATE_SNAPSHOTS=1 to create it"
    want = path.read_text(encoding="utf-8")
    assert got == want, (
        f"{name} changed: if deliberate, regenerate with AUTHGATE_UPDATE_SNAPSHOTS=1 and review the diff"
    )


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("   ok  DynamoDB Local 3.3.0 ready   2.2 s", "   ok  DynamoDB Local <VERSION> ready   <N> s"),
        ("cracked offline in 0.00 s; 30 logins in 12 s", "cracked offline in <N> s; 30 logins in <N> s"),
        ("http://127.0.0.1:51701/x at 2026-12-01T10:16:21Z", "http://127.0.0.1:<PORT>/x at <TIME>"),
        (
            "'post_id': '64cd409b538340e1be09209ce70d2a1b', v1:0b9a8d4bdb1f74280af80b84",
            "'post_id': '<ID>', v1:0b9a8d4bdb1f74280af80b84",
        ),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig-_x", "Bearer <JWT>"),
        ("<sub>233 requests, 6.1 s. authgate 0.1.0.</sub>", "<sub>233 requests, <N> s. authgate <VERSION>.</sub>"),
    ],
)
def test_normalise_keeps_fingerprints_and_counts(raw: str, normalised: str, tmp_path: Path) -> None:
    scan = Scan(0, {}, "", "", "", tmp_path)
    assert normalise(raw, scan) == normalised
