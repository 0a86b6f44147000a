"""Destructive probes start from the seed: a write the service made earlier is never blamed on them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gate.checks.context import ScanContext
from gate.config import parse_config
from gate.dynamo import fixtures, local, snapshot, tables
from gate.dynamo.client import dynamodb_client
from gate.dynamo.recorder import Recorder
from gate.target.probe import Prober

CFG = {
    "version": 1,
    "service": {"command": "true {port}"},
    "dynamodb": {"tables": [{"name": "mutation_accounts", "key": {"account_id": "S"}}]},
    "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
    "fixtures": [
        {"table": "mutation_accounts", "owner": "alice", "item": {"account_id": "alice", "name": "A"}},
        {"table": "mutation_accounts", "owner": "bob", "item": {"account_id": "bob", "name": "B"}},
    ],
}


def _stamp(endpoint: str, who: str) -> None:
    """What a service does outside any destructive probe: stamps a last-seen attribute."""
    dynamodb_client(endpoint).update_item(
        TableName="mutation_accounts",
        Key={"account_id": {"S": who}},
        UpdateExpression="SET last_seen = :t",
        ExpressionAttributeValues={":t": {"S": "2026-11-30"}},
    )


def test_a_block_diffs_only_what_happened_inside_it(dynamo: local.DynamoLocal) -> None:
    cfg = parse_config(CFG)
    client = dynamodb_client(dynamo.endpoint)
    tables.create_tables(client, cfg.dynamodb.tables)
    owned = fixtures.write_fixtures(client, cfg.dynamodb.tables, cfg.fixtures)
    seeded = snapshot.take(client, cfg.dynamodb.tables)
    rec = Recorder(dynamo.endpoint)
    (via_recorder,) = rec.start()

    async def go() -> tuple[list, list, list]:
        ctx = ScanContext(
            cfg=cfg, root=Path("."), operations=[], identities={}, prober=Prober(["http://127.0.0.1:9"], rec),
            recorder=rec, ddb=client, tables=cfg.dynamodb.tables, owned=owned, seeded=seeded, secret=None,
        )  # fmt: skip
        try:
            async with ctx.mutation() as (_, first):
                pass
            await asyncio.to_thread(_stamp, via_recorder, "bob")  # the service, between two blocks
            async with ctx.mutation() as (_, quiet):
                pass  # this block's probe wrote nothing
            async with ctx.mutation() as (_, inside):
                await asyncio.to_thread(_stamp, via_recorder, "alice")
            return first, quiet, inside
        finally:
            await ctx.prober.aclose()

    try:
        first, quiet, inside = asyncio.run(go())
    finally:
        rec.stop()
    assert first == [] and quiet == []  # bob's stamp came before the block: restored, not blamed
    assert [(c["key"], c["change"], c["attributes"]) for c in inside] == [
        ({"account_id": "alice"}, "changed", ["last_seen"])
    ]
    assert snapshot.take(client, cfg.dynamodb.tables) == seeded  # and the seed is back afterwards
