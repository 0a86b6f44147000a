"""Fail closed: a service that cannot reach its data is an incomplete scan, never a pass."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import EXAMPLES, scan_report


def test_a_service_on_the_wrong_table_is_an_error_not_a_pass(tmp_path: Path) -> None:
    svc = tmp_path / "svc"
    shutil.copytree(EXAMPLES / "profiles-fastapi-fixed", svc)
    cfg = svc / ".authgate.yml"
    cfg.write_text(cfg.read_text().replace("POSTS_TABLE: posts", "POSTS_TABLE: posts-v2"))
    p, report = scan_report(svc, tmp_path)
    assert p.returncode == 2, p.stdout + p.stderr
    assert (report["verdict"], report["complete"]) == ("error", False)
    reasons = " ".join(report["reasons"])
    assert "ResourceNotFoundException on table posts-v2" in reasons
    assert "legitimate GET requests" in reasons and "-> 500" in reasons


def test_own_requests_whose_every_call_fails_make_the_scan_incomplete() -> None:
    from concurrent.futures import Future
    from types import SimpleNamespace

    from gate.auth.identities import Identity
    from gate.checks import coverage
    from gate.checks.util import OwnRequest
    from gate.dynamo.calls import DynamoCall
    from gate.target.probe import Exchange

    def own(method: str, status: int, error: str) -> Future:
        ex = Exchange(id=1, lane=0, method=method, path="/orders", identity="alice", request_headers={},
                      request_body=None, status=status)  # fmt: skip
        ex.calls = [DynamoCall(seq=1, lane=0, probe=1, operation="PutItem", table="orders", status=400, error=error)]
        fut: Future = Future()  # the same interface as the scan's asyncio futures
        fut.set_result(OwnRequest(Identity(name="alice", sub="alice", role=None), ex, []))
        return fut

    def problems(*futures: Future) -> list[str]:
        recorder = SimpleNamespace(calls=[c for f in futures for c in f.result().exchange.calls])
        ctx = SimpleNamespace(recorder=recorder, prober=SimpleNamespace(sent=10), own_cache=dict(enumerate(futures)))
        return coverage.problems(ctx)

    broken = problems(own("POST", 500, "ValidationException"), own("PUT", 500, "ValidationException"))
    assert any(p.startswith("every DynamoDB call on table orders in the identities' own requests failed "
                            "(ValidationException x2)")
               for p in broken), broken  # fmt: skip
    assert problems(own("POST", 409, "ConditionalCheckFailedException")) == []  # a guarded write refusing is fine
