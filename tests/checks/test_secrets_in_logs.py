"""secrets-in-logs: the credentials the gate used, found in the service's log and shown redacted."""

from __future__ import annotations

import re

from tests.checks.conftest import _one


def test_logged_tokens_are_shown_redacted(vulnerable_report: tuple[int, dict, str]) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "secrets-in-logs.token")
    assert f["cwe"] == ["CWE-532"] and len(f["evidence"]["log"]) == 3
    for line in f["evidence"]["log"]:
        assert re.fullmatch(r"line \d+: \w+ /\S* authorization=Bearer eyJhbGciOi…\[redacted\]", line), line


def test_passwords_in_the_log_are_found_and_redacted(timing_report: tuple[int, dict, str]) -> None:
    _, report, _ = timing_report
    f = next(f for f in report["findings"] if f["check"] == "secrets-in-logs.password")
    assert f["cwe"] == ["CWE-532"]
    assert f["evidence"]["log"] and all("…[redacted]" in line for line in f["evidence"]["log"])
    text = str(report)
    assert "Alice-pass-1" not in text and "Bob-pass-1" not in text
