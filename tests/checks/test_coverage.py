"""Fail closed: a service that cannot reach its data is an incomplete scan, never a pass."""

from __future__ import annotations

import asyncio
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from botocore.exceptions import ClientError

from gate.auth.identities import Identity
from gate.checks import coverage
from gate.checks.context import ScanContext
from gate.checks.util import own_request
from gate.config import parse_config
from gate.dynamo import fixtures, local, snapshot, tables
from gate.dynamo.client import dynamodb_client
from gate.dynamo.recorder import Recorder
from gate.target.openapi import Operation
from gate.target.probe import Prober
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


# A service on the real DynamoDB Local behind the real recorder: POST and PUT /orders write an item without
# its key (DynamoDB answers ValidationException, the service 500); POST /orders/guarded writes one that
# exists under a condition (ConditionalCheckFailedException, the service 409, as a guarded write should).
COVERAGE_CFG = {
    "version": 1,
    "service": {"command": "true {port}"},
    "dynamodb": {"tables": [{"name": "coverage_orders", "key": {"order_id": "S"}}]},
    "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
    "fixtures": [{"table": "coverage_orders", "owner": "alice", "item": {"order_id": "o-alice", "sku": "A"}}],
}


def _orders_service(dynamodb_endpoint: str) -> ThreadingHTTPServer:
    client = dynamodb_client(dynamodb_endpoint)

    class Handler(BaseHTTPRequestHandler):
        def _write(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            guarded = self.path == "/orders/guarded"
            item = {"order_id": {"S": "o-alice"}} if guarded else {"sku": {"S": "B"}}
            condition = {"ConditionExpression": "attribute_not_exists(order_id)"} if guarded else {}
            try:
                client.put_item(TableName="coverage_orders", Item=item, **condition)
                status = 201
            except ClientError as exc:
                status = 409 if exc.response["Error"]["Code"] == "ConditionalCheckFailedException" else 500
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT = _write

        def log_message(self, format: str, *args: object) -> None:  # no request log in the test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_own_requests_whose_every_call_fails_make_the_scan_incomplete(dynamo: local.DynamoLocal) -> None:
    cfg = parse_config(COVERAGE_CFG)
    client = dynamodb_client(dynamo.endpoint)
    tables.create_tables(client, cfg.dynamodb.tables)
    owned = fixtures.write_fixtures(client, cfg.dynamodb.tables, cfg.fixtures)
    seeded = snapshot.take(client, cfg.dynamodb.tables)
    alice = Identity(name="alice", sub="alice", role=None)

    def problems(*routes: str) -> tuple[list[tuple[int | None, list[str | None]]], list[str]]:
        """Each route sent once by alice as intended (the scan's own requests), then coverage's judgement."""
        ops = [Operation(method=r.split()[0], path=r.split()[1]) for r in routes]
        rec = Recorder(dynamo.endpoint)  # a scan's recorder and prober: probe ids count from 1 in each
        (via_recorder,) = rec.start()
        service = _orders_service(via_recorder)

        async def go() -> tuple[list[tuple[int | None, list[str | None]]], list[str]]:
            prober = Prober([f"http://127.0.0.1:{service.server_address[1]}"], rec)
            ctx = ScanContext(
                cfg=cfg, root=Path("."), operations=ops, identities={"alice": alice}, prober=prober, recorder=rec,
                ddb=client, tables=cfg.dynamodb.tables, owned=owned, seeded=seeded, secret=None,
            )  # fmt: skip
            try:
                sent = [await own_request(ctx, op, alice) for op in ops]
            finally:
                await prober.aclose()
            seen = [(r.exchange.status, [c.error for c in r.exchange.calls]) for r in sent if r is not None]
            return seen, coverage.problems(ctx)

        try:
            return asyncio.run(go())
        finally:
            service.shutdown()
            rec.stop()

    seen, broken = problems("POST /orders", "PUT /orders")
    seen_guarded, guarded = problems("POST /orders/guarded")
    # the recorder attributed each real call to the request that caused it, with DynamoDB's own error name
    assert seen == [(500, ["ValidationException"]), (500, ["ValidationException"])]
    assert seen_guarded == [(409, ["ConditionalCheckFailedException"])]
    assert any(p.startswith("every DynamoDB call on table coverage_orders in the identities' own requests failed "
                            "(ValidationException x2)")
               for p in broken), broken  # fmt: skip
    assert guarded == []  # a guarded write refusing is fine
