"""A login service whose only tells are time and its log: enumeration.timing, secrets-in-logs.password.

The lab (tests/apps/login_timing.py) hashes with PBKDF2 for existing accounts only and prints each
login body. Its users are seeded with its own hashing through `auth.password_hash.command`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import APPS, scan_report

TIMING_LAB = {
    "version": 1,
    "service": {
        "command": "uvicorn login_timing:app --host 127.0.0.1 --port {port} --log-level warning",
        "workdir": str(APPS),
    },
    "dynamodb": {
        "tables": [{"name": "users", "key": {"user_id": "S"}, "indexes": [{"name": "by_email", "key": {"email": "S"}}]}]
    },
    "auth": {
        "jwt": {"secret_env": "JWT_SECRET"},
        "login": {"path": "/login"},
        "password_hash": {"command": "python login_timing.py"},
        "users": {"table": "users"},
    },
    "identities": {
        "alice": {"sub": "alice", "email": "alice@example.test", "password": "Alice-pass-1"},
        "bob": {"sub": "bob", "email": "bob@example.test", "password": "Bob-pass-1"},
    },
    "fixtures": [
        {"table": "users", "owner": "alice", "item": {"user_id": "alice", "email": "alice@example.test"}},
        {"table": "users", "owner": "bob", "item": {"user_id": "bob", "email": "bob@example.test"}},
    ],
    "checks": {"exclude": ["jwt", "account-state", "rate-limit"]},
}


@pytest.fixture(scope="module")
def timing_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    root = tmp_path_factory.mktemp("timing-lab")
    (root / ".authgate.yml").write_text(yaml.safe_dump(TIMING_LAB, sort_keys=False))
    p, rep = scan_report(root, root)
    return p.returncode, rep, p.stdout + p.stderr


def test_timing_difference_is_found_with_a_named_statistical_test(timing_report: tuple[int, dict, str]) -> None:
    code, report, output = timing_report
    assert code == 1 and report["complete"], output
    found = {(f["check"], f["method"], f["route"]) for f in report["findings"] if f["family"] == "enumeration"}
    assert found == {("enumeration.timing", "POST", "/login")}
    f = next(f for f in report["findings"] if f["check"] == "enumeration.timing")
    test, medians, same = f["evidence"]["notes"]
    assert test.startswith("Mann-Whitney U test, two-sided, exact: U = ")
    assert "p = " in test and "(< 0.001)" in test
    assert "for the existing account vs" in medians and "slower in" in medians
    assert same.startswith("same status (401) and body for both")


def test_passwords_in_the_log_are_found_and_redacted(timing_report: tuple[int, dict, str]) -> None:
    _, report, _ = timing_report
    f = next(f for f in report["findings"] if f["check"] == "secrets-in-logs.password")
    assert f["cwe"] == ["CWE-532"]
    assert f["evidence"]["log"] and all("…[redacted]" in line for line in f["evidence"]["log"])
    text = str(report)
    assert "Alice-pass-1" not in text and "Bob-pass-1" not in text


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
