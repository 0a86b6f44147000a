"""rate-limit: failed logins against a throwaway account, counted as refused only when the service refuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.checks.conftest import TIMING_LAB, _one
from tests.conftest import scan_report


def test_rate_limit_sends_the_configured_attempts_to_a_throwaway_account(
    vulnerable_report: tuple[int, dict, str],
) -> None:
    _, report, _ = vulnerable_report
    f = _one(report, "rate-limit.credentials")
    sent, after = f["evidence"]["notes"]
    assert re.match(r"30 failed logins for authgate-ratelimit@example.test in \d+\.\d s: 30x 401; no 429", sent)
    assert after == "then the correct password still logged in (200): no lockout"
    assert f["evidence"]["request"]["body"] == '{"email": "authgate-ratelimit@example.test", "password": "…[redacted]"}'


@pytest.mark.parametrize(
    ("rate_limit", "expected", "note"),
    [
        ({}, {("rate-limit.credentials", "POST", "/auth/token")}, None),  # auth.login.path, not /login
        ({"attempts": 5}, {("rate-limit.credentials", "POST", "/auth/token")}, None),  # fewer than 10 allowed
        ({"path": "/nowhere"}, set(), "rate-limit: /nowhere answered [404] to failed logins, not a refusal"),
    ],
)
def test_rate_limit_attacks_the_login_path_and_counts_only_refusals(
    tmp_path: Path, rate_limit: dict, expected: set, note: str | None
) -> None:
    cfg = {
        **TIMING_LAB,
        "auth": {**TIMING_LAB["auth"], "login": {"path": "/auth/token"}},
        "checks": {"exclude": ["jwt", "account-state", "enumeration", "secrets-in-logs"], "rate_limit": rate_limit},
    }
    (tmp_path / ".authgate.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    p, report = scan_report(tmp_path, tmp_path)
    assert report["complete"], p.stdout + p.stderr
    assert {
        (f["check"], f["method"], f["route"]) for f in report["findings"] if f["family"] == "rate-limit"
    } == expected
    assert note is None or any(n.startswith(note) for n in report["notes"]), report["notes"]
