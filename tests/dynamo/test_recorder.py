"""The recorder: byte-exact forwarding and exact attribution under concurrency."""

from __future__ import annotations

import asyncio

from gate.auth.identities import minted_identities
from gate.config import parse_config
from gate.dynamo import local
from gate.dynamo.client import dynamodb_client
from gate.dynamo.recorder import Recorder
from gate.target import service
from gate.target.probe import Prober
from gate.target.sandbox import Sandbox
from tests.conftest import EXAMPLES

CFG = {
    "version": 1,
    "service": {
        "command": "uvicorn app:app --host 127.0.0.1 --port {port} --log-level warning",
        "env": {"PROFILES_TABLE": "profiles", "POSTS_TABLE": "posts"},
        "instances": 2,
    },
    "dynamodb": {
        "tables": [
            {"name": "profiles", "key": {"user_id": "S"}, "indexes": [{"name": "by_email", "key": {"email": "S"}}]},
            {"name": "posts", "key": {"owner_id": "S", "post_id": "S"}},
        ]
    },
    "auth": {"jwt": {"secret_env": "JWT_SECRET"}},
    "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
    "fixtures": [
        {"table": "profiles", "owner": "alice", "item": {"user_id": "alice", "display_name": "A"}},
        {"table": "profiles", "owner": "bob", "item": {"user_id": "bob", "display_name": "B"}},
    ],
}


def test_fifty_parallel_probes_from_two_identities_are_attributed_exactly(dynamo: local.DynamoLocal) -> None:
    from gate.dynamo import fixtures, tables

    cfg = parse_config(CFG)
    client = dynamodb_client(dynamo.endpoint)
    tables.create_tables(client, cfg.dynamodb.tables)
    fixtures.write_fixtures(client, cfg.dynamodb.tables, cfg.fixtures)
    rec = Recorder(dynamo.endpoint, lanes=2)
    endpoints = rec.start()
    box = Sandbox.create(EXAMPLES / "profiles-fastapi")
    svc = service.start(cfg, EXAMPLES / "profiles-fastapi", endpoints, {"JWT_SECRET": "k" * 40}, box)
    idents = minted_identities(cfg, "k" * 40)
    try:

        async def go() -> list:
            prober = Prober([i.base_url for i in svc.instances], rec)
            try:
                tasks = [
                    prober.send("GET", f"/users/{who}/profile", idents[who])
                    for _ in range(25)
                    for who in ("alice", "bob")
                ]
                return await asyncio.gather(*tasks)
            finally:
                await prober.aclose()

        exchanges = asyncio.run(go())
    finally:
        svc.stop()
        box.close()
        rec.stop()
    assert len(exchanges) == 50
    assert {ex.lane for ex in exchanges} == {0, 1}  # both lanes carried probes
    for ex in exchanges:
        assert ex.status == 200
        assert [(c.operation, c.key) for c in ex.calls] == [("GetItem", {"user_id": ex.identity})]
    assert sum(1 for c in rec.calls if c.probe is not None) == 50


def test_recorder_forwards_bytes_unchanged(dynamo: local.DynamoLocal) -> None:
    rec = Recorder(dynamo.endpoint, lanes=1)
    [endpoint] = rec.start()
    try:
        direct = dynamodb_client(dynamo.endpoint)
        proxied = dynamodb_client(endpoint)
        direct.create_table(
            TableName="bytes",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        value = "ünïcode ✓ " + "x" * 5000
        proxied.put_item(TableName="bytes", Item={"k": {"S": "1"}, "v": {"S": value}})
        got = proxied.get_item(TableName="bytes", Key={"k": {"S": "1"}})["Item"]
        assert got["v"]["S"] == value
        assert direct.get_item(TableName="bytes", Key={"k": {"S": "1"}})["Item"] == got
        ops = [c.operation for c in rec.calls]
        assert ops == ["PutItem", "GetItem"] and all(c.probe is None for c in rec.calls)
        assert rec.calls[1].key == {"k": "1"} and rec.calls[1].count == 1
    finally:
        rec.stop()
