"""Reach every handler (issue 13): requests built from the schema, sign-ups, coverage that fails closed.

One real scan per case of tests/apps/reach_lab/app.py: an e-mail pattern, an IntEnum, a date and a
required query parameter on `POST /notes`; identities with no record, created by `auth.register`;
a `POST /webhook` that only a holder of WEBHOOK_SECRET can call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import APPS, scan_report

CONFIG = """version: 1
service:
  command: "uvicorn app:app --host 127.0.0.1 --port {{port}} --log-level warning"
  env: {{WEBHOOK_SECRET: "{webhook_secret}"}}
  ready: /health
openapi: /openapi.json
dynamodb:
  tables:
    - {{name: users, key: {{email: S}}}}
    - {{name: notes, key: {{owner: S, note_id: S}}}}
auth:
  jwt: {{secret_env: JWT_SECRET, algorithm: HS256}}
  register: {{path: /signup, body: {{email: "{{email}}", password: "{{password}}"}}}}
  login: {{path: /login, body: {{email: "{{email}}", password: "{{password}}"}}, token: access_token}}
identities:
  alice: {{sub: alice@example.com, email: alice@example.com, password: "Alice-pass-1"}}
  bob:   {{sub: bob@example.com,   email: bob@example.com,   password: "Bob-pass-1"}}
fixtures:
  - {{table: notes, owner: alice, item: {{owner: alice@example.com, note_id: n-alice, title: "alice's"}}}}
  - {{table: notes, owner: bob,   item: {{owner: bob@example.com,   note_id: n-bob,   title: "bob's"}}}}
checks:
  public: ["GET /health", "POST /signup", "POST /webhook"]
  exclude: [static, rate-limit]  # the lab hashes with sha256 and never throttles: not what is tested here
{checks}{extra}"""
OPS = ["GET /health", "GET /notes", "POST /login", "POST /notes", "POST /signup", "POST /webhook"]


def _scan(
    tmp_path: Path, extra: str = "", checks: str = "", webhook_secret: str = "k-webhook"
) -> tuple[int, dict, str]:
    svc = tmp_path / "svc"
    svc.mkdir()
    shutil.copy(APPS / "reach_lab" / "app.py", svc / "app.py")
    (svc / ".authgate.yml").write_text(CONFIG.format(extra=extra, checks=checks, webhook_secret=webhook_secret))
    p, report = scan_report(svc, tmp_path)
    return p.returncode, report, p.stdout + p.stderr


def _coverage(report: dict) -> dict[str, dict]:
    return {e["operation"]: e for e in report["coverage"]}


def test_an_operation_no_legitimate_request_reaches_makes_the_scan_incomplete(tmp_path: Path) -> None:
    code, report, output = _scan(tmp_path)
    assert code == 2 and report["verdict"] == "error", output
    cov = _coverage(report)
    assert sorted(cov) == OPS
    assert [op for op, e in cov.items() if not e["reached"]] == ["POST /webhook"], cov
    assert cov["POST /webhook"]["status"] == 401 and "bad signature" in cov["POST /webhook"]["reason"]
    # built from the schema: an e-mail, an IntEnum, a date and the required `folder` query, first time
    assert cov["POST /notes"] == {**cov["POST /notes"], "reached": True, "status": 201, "attempts": 1}
    assert cov["POST /notes"]["dynamodb_calls"] >= 1
    assert cov["POST /login"]["reached"] and cov["POST /signup"]["reached"]
    assert report["stats"]["operations_reached"] == 5
    reason = next(r for r in report["reasons"] if r.startswith("POST /webhook was not reached"))
    assert "operations:" in reason and "checks.skip" in reason
    assert "coverage 5/6 operations" in output and "not reached: POST /webhook" in output


def test_min_coverage_accepts_what_the_config_allows(tmp_path: Path) -> None:
    code, report, output = _scan(tmp_path, "gate:\n  min_coverage: 0.8\n")
    assert code == 0 and report["verdict"] == "pass", output
    assert report["stats"]["operations_reached"] == 5 and report["findings"] == []


def test_values_from_the_config_reach_the_operation(tmp_path: Path) -> None:
    body = {"note_id": "n-alice", "done": True}
    signature = hmac.new(b"k-webhook", json.dumps(body).encode(), hashlib.sha256).hexdigest()
    extra = f'operations:\n  "POST /webhook": {{headers: {{X-Signature: "{signature}"}}, body: {json.dumps(body)}}}\n'
    code, report, output = _scan(tmp_path, extra)
    assert code == 0, output
    assert _coverage(report)["POST /webhook"]["reached"] is True
    assert report["stats"]["operations_reached"] == 6


def test_a_skipped_operation_is_listed_with_its_reason_and_not_counted(tmp_path: Path) -> None:
    code, report, output = _scan(tmp_path, checks='  skip: {"POST /webhook": "signed by the queue"}\n')
    assert code == 0, output
    entry = _coverage(report)["POST /webhook"]
    assert entry["skipped"] is True and entry["reached"] is False and "signed by the queue" in entry["reason"]
    assert "coverage 5/5 operations" in output
    assert not any(e.get("route") == "/webhook" for e in report["findings"])


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (
            'operations:\n  "POST /notes": {body: {priority: 9}}\n',
            "operations.POST /notes: the values given do not fit",
        ),
        ('operations:\n  "POST /nowhere": {body: {a: 1}}\n', "operations: 'POST /nowhere' names no operation"),
    ],
)
def test_config_values_that_cannot_fit_are_one_clear_error(tmp_path: Path, extra: str, said: str) -> None:
    code, _, output = _scan(tmp_path, extra)
    assert code == 2, output
    assert said in output
    assert "Traceback" not in output
