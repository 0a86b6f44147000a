"""Tables and fixtures are written side by side (issue 17) with the results of writing them one by one."""

from __future__ import annotations

import pytest

from gate.config import parse_config
from gate.dynamo import fixtures, local, snapshot, tables
from gate.dynamo.client import dynamodb_client
from gate.errors import ScanError

N = 12  # more tables than the pool has threads


def _cfg(fixture_list: list[dict]) -> object:
    return parse_config(
        {
            "version": 1,
            "service": {"command": "true {port}"},
            "dynamodb": {
                "tables": [
                    {
                        "name": f"seed_t{i}",
                        "key": {"pk": "S", "sk": "N"},
                        "indexes": [{"name": "by_x", "key": {"x": "S"}}],
                    }
                    for i in range(N)
                ]
            },
            "identities": {"alice": {"sub": "alice"}, "bob": {"sub": "bob"}},
            "fixtures": fixture_list,
        }
    )


def test_every_table_and_fixture_as_if_one_by_one(dynamo: local.DynamoLocal) -> None:
    client = dynamodb_client(dynamo.endpoint)
    fx = [
        {"table": f"seed_t{i % N}", "owner": "alice", "item": {"pk": "a", "sk": i // N, "x": f"v{i}"}}
        for i in range(3 * N)
    ]
    fx.append({"table": "seed_t0", "item": {"pk": "a", "sk": 0, "x": "later wins"}})  # the same key as fixture 0
    cfg = _cfg(fx)
    tables.create_tables(client, cfg.dynamodb.tables)
    desc = client.describe_table(TableName=f"seed_t{N - 1}")["Table"]
    assert [k["AttributeName"] for k in desc["KeySchema"]] == ["pk", "sk"]
    assert desc["GlobalSecondaryIndexes"][0]["IndexName"] == "by_x"
    owned = fixtures.write_fixtures(client, cfg.dynamodb.tables, cfg.fixtures)
    assert [o.item for o in owned] == [f.item for f in cfg.fixtures]  # the config's order
    snap = snapshot.take(client, cfg.dynamodb.tables)
    assert snap["seed_t0"][("a", 0)]["x"] == "later wins"
    assert sum(len(rows) for rows in snap.values()) == 3 * N


def test_the_first_refused_fixture_in_the_configs_order_is_reported(dynamo: local.DynamoLocal) -> None:
    client = dynamodb_client(dynamo.endpoint)
    fx = [{"table": f"seed_t{i}", "item": {"pk": "a", "sk": 1}} for i in range(N)]
    fx[3] = {"table": "seed_t3", "item": {"pk": "a", "sk": 1, "n": float("nan")}}  # DynamoDB has no NaN
    fx[9] = {"table": "seed_t9", "item": {"pk": "a", "sk": 1, "n": float("nan")}}
    cfg = _cfg(fx)
    tables.create_tables(client, cfg.dynamodb.tables)  # an existing table is deleted and made again
    with pytest.raises(ScanError, match=r"^fixtures\[3\] \(table seed_t3\): DynamoDB refused the item"):
        fixtures.write_fixtures(client, cfg.dynamodb.tables, cfg.fixtures)
