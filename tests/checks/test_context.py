"""Destructive probes start from the seed: a write the service made earlier is never blamed on them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gate.checks.context import ScanContext
from gate.config import Config, parse_config
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


def _context(dynamo: local.DynamoLocal, cfg: Config, rec: Recorder) -> ScanContext:
    client = dynamodb_client(dynamo.endpoint)
    tables.create_tables(client, cfg.dynamodb.tables)
    owned = fixtures.write_fixtures(client, cfg.dynamodb.tables, cfg.fixtures)
    seeded = snapshot.take(client, cfg.dynamodb.tables)
    return ScanContext(
        cfg=cfg, root=Path("."), operations=[], identities={}, prober=Prober(["http://127.0.0.1:9"], rec),
        recorder=rec, ddb=client, tables=cfg.dynamodb.tables, owned=owned, seeded=seeded, secret=None,
    )  # fmt: skip


def _watched_context(
    dynamo: local.DynamoLocal, cfg: Config, monkeypatch: pytest.MonkeyPatch
) -> tuple[Recorder, str, ScanContext, list[list[str]]]:
    """A context behind a running recorder; `read` lists the tables of every snapshot taken."""
    rec = Recorder(dynamo.endpoint)
    (via_recorder,) = rec.start()
    ctx = _context(dynamo, cfg, rec)
    read: list[list[str]] = []
    take = snapshot.take
    monkeypatch.setattr(snapshot, "take", lambda c, ts: read.append([t.name for t in ts]) or take(c, ts))
    return rec, via_recorder, ctx, read


def test_a_block_diffs_only_what_happened_inside_it(dynamo: local.DynamoLocal) -> None:
    cfg = parse_config(CFG)
    rec = Recorder(dynamo.endpoint)
    (via_recorder,) = rec.start()
    ctx = _context(dynamo, cfg, rec)

    async def go() -> tuple[list, list, list]:
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
    assert snapshot.take(ctx.ddb, cfg.dynamodb.tables) == ctx.seeded  # and the seed is back afterwards


def test_a_block_reads_only_the_tables_that_may_have_been_written(
    dynamo: local.DynamoLocal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder names the tables the service wrote and `gate_write` the gate's own; a PartiQL
    statement (not parsed) makes every table suspect."""
    cfg = parse_config(
        {
            **CFG,
            "dynamodb": {"tables": [*CFG["dynamodb"]["tables"], {"name": "mutation_notes", "key": {"note_id": "S"}}]},
            "fixtures": [*CFG["fixtures"], {"table": "mutation_notes", "item": {"note_id": "n1", "text": "seed"}}],
        }
    )
    rec, via_recorder, ctx, read = _watched_context(dynamo, cfg, monkeypatch)
    partiql = "UPDATE mutation_notes SET text = 'partiql' WHERE note_id = 'n1'"
    note = {
        "Key": {"note_id": {"S": "n1"}},
        "UpdateExpression": "SET #t = :t",
        "ExpressionAttributeNames": {"#t": "text"},
    }

    async def go() -> list[list]:
        out = []
        try:
            async with ctx.mutation():
                pass  # the first block knows nothing yet: every table
            async with ctx.mutation() as (_, changes):
                await asyncio.to_thread(_stamp, via_recorder, "alice")
            out.append(changes)
            async with ctx.mutation() as (_, changes):
                await asyncio.to_thread(dynamodb_client(via_recorder).execute_statement, Statement=partiql)
            out.append(changes)
            async with ctx.mutation() as (_, changes):
                await ctx.gate_write(
                    "update_item", "mutation_notes", **note, ExpressionAttributeValues={":t": {"S": "gate"}}
                )
            out.append(changes)
            return out
        finally:
            await ctx.prober.aclose()

    try:
        stamped, statement, gate = asyncio.run(go())
    finally:
        rec.stop()
    both = ["mutation_accounts", "mutation_notes"]
    # the first block's start reads everything; nothing is read where nothing was written (its end, each start)
    assert read == [both, ["mutation_accounts"], both, ["mutation_notes"]]
    assert [(c["table"], c["key"]) for c in stamped] == [("mutation_accounts", {"account_id": "alice"})]
    assert [(c["table"], c["after"]) for c in statement] == [("mutation_notes", {"text": "partiql"})]
    assert [(c["table"], c["after"]) for c in gate] == [("mutation_notes", {"text": "gate"})]
    monkeypatch.undo()
    assert snapshot.take(ctx.ddb, cfg.dynamodb.tables) == ctx.seeded


def test_a_write_dynamodb_refused_needs_no_snapshot(dynamo: local.DynamoLocal, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 4xx wrote nothing (a conditional put that failed, a malformed statement): its block reads no table;
    a write that succeeded after it in the same block is still read and restored."""
    cfg = parse_config(CFG)
    rec, via_recorder, ctx, read = _watched_context(dynamo, cfg, monkeypatch)
    service = dynamodb_client(via_recorder)

    def refused() -> None:
        with pytest.raises(service.exceptions.ConditionalCheckFailedException):
            service.put_item(
                TableName="mutation_accounts",
                Item={"account_id": {"S": "alice"}, "name": {"S": "taken"}},
                ConditionExpression="attribute_not_exists(account_id)",
            )
        with pytest.raises(service.exceptions.ClientError):
            service.execute_statement(Statement="UPDATE mutation_accounts SET WHERE")  # not a statement: 400

    async def go() -> tuple[list, list]:
        try:
            async with ctx.mutation():
                pass  # the first block reads every table: it knows nothing yet
            async with ctx.mutation() as (_, nothing):
                await asyncio.to_thread(refused)
            async with ctx.mutation() as (_, something):
                await asyncio.to_thread(refused)
                await asyncio.to_thread(_stamp, via_recorder, "bob")
            return nothing, something
        finally:
            await ctx.prober.aclose()

    try:
        nothing, something = asyncio.run(go())
    finally:
        rec.stop()
    assert nothing == [] and [(c["key"], c["change"]) for c in something] == [({"account_id": "bob"}, "changed")]
    assert read == [["mutation_accounts"], ["mutation_accounts"]]  # the first block's start, the stamp's block
    monkeypatch.undo()
    assert snapshot.take(ctx.ddb, cfg.dynamodb.tables) == ctx.seeded
