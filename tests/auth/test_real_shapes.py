"""Shapes of real services the gate met (issue 14), scanned for real (tests/apps/real_shapes.py).

An endpoint read from the service's own variable ("{dynamodb_url}"), a token answered with its
scheme (`bearer <jwt>`), UUID user ids, an inverse `disabled` flag, and a session id the login
writes into the user record (part of the seed, so restoring the tables never logs anyone out)."""

from __future__ import annotations

import shutil
import uuid

import pytest

from gate.auth.users import sub_like
from tests.conftest import APPS, scan_report

ALICE, BOB = "3f1c1a9e-8a63-4c7e-9d4b-6a1f0c2b7d11", "b5e2d7c4-1f0a-4e8b-a3c9-2d6e8f1b0a72"
CONFIG = f"""version: 1
service:
  command: "uvicorn real_shapes:app --host 127.0.0.1 --port {{port}} --log-level warning"
  env: {{DYNAMO_URL: "{{dynamodb_url}}"}}
  ready: /health
openapi: /openapi.json
dynamodb:
  tables:
    - {{name: users, key: {{user_id: S}}, indexes: [{{name: by_email, key: {{email: S}}}}]}}
auth:
  jwt: {{secret_env: JWT_SECRET, algorithm: HS256}}
  login: {{path: /auth/login, token: access_token}}
  password_hash: {{callable: "real_shapes:hash_password"}}
  users: {{table: users, enabled: null, disabled: disabled, email_confirmed: null}}
identities:
  alice: {{sub: "{ALICE}", email: alice@example.com, password: "Alice-pass-1"}}
  bob:   {{sub: "{BOB}",   email: bob@example.com,   password: "Bob-pass-1"}}
fixtures:
  - {{table: users, owner: alice, item: {{user_id: "{ALICE}", email: alice@example.com, disabled: false}}}}
  - {{table: users, owner: bob,   item: {{user_id: "{BOB}",   email: bob@example.com,   disabled: false}}}}
checks:
  public: ["GET /health", "POST /auth/login"]
  exclude: [rate-limit, static, jwt.weak-secret]
"""


@pytest.fixture(scope="module")
def shapes_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    svc = tmp_path_factory.mktemp("real-shapes") / "svc"
    svc.mkdir()
    shutil.copy(APPS / "real_shapes.py", svc / "real_shapes.py")
    (svc / ".authgate.yml").write_text(CONFIG)
    p, report = scan_report(svc, svc.parent)
    return p.returncode, report, p.stdout + p.stderr


def test_the_identities_log_in_and_stay_logged_in(shapes_report: tuple[int, dict, str]) -> None:
    _, report, output = shapes_report
    assert report["complete"] is True, output  # {dynamodb_url} reached the service; every identity logged in
    cov = {e["operation"]: e for e in report["coverage"]}
    # PUT /me runs after a restore of the seed: the session the login wrote survived it
    assert all(e["reached"] for e in cov.values()) and cov["PUT /me"]["status"] == 200, cov
    assert report["stats"]["dynamodb_calls"] > 0


def test_a_disabled_account_by_its_inverse_flag_is_found(shapes_report: tuple[int, dict, str]) -> None:
    code, report, output = shapes_report
    found = [f for f in report["findings"] if f["check"] == "account-state.disabled"]
    assert code == 1 and found, output
    assert "disabled" in found[0]["evidence"]["notes"][0]


def test_the_jwt_family_takes_the_token_without_its_scheme(shapes_report: tuple[int, dict, str]) -> None:
    _, report, output = shapes_report
    assert not any("no identity holds a JWT" in n for n in report["notes"]), report["notes"]
    assert not any(f["family"] == "jwt" for f in report["findings"]), output  # a well-verified token


def test_throwaway_accounts_have_subjects_of_the_template_s_shape() -> None:
    assert uuid.UUID(sub_like(ALICE, "control", "authgate-control@example.com"))
    assert sub_like(ALICE, "control", "x@y") == sub_like(ALICE, "control", "x@y")  # stable
    assert sub_like("alice@example.com", "enum", "authgate-enum@example.com") == "authgate-enum@example.com"
    assert sub_like("1042", "enum", "e@x").isdigit() and len(sub_like("1042", "enum", "e@x")) == 6
    assert sub_like("alice", "enum", "e@x") == "authgate-enum"
