"""Item snapshots of the fixture tables, their diff, and restoring the seeded state.

A snapshot is `{table: {key: plain item}}` where key is a tuple of the key attribute values.
"""

from __future__ import annotations

import json
from typing import Any

from gate.config import TableConfig
from gate.dynamo.types import from_typed, to_typed

Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def _key(item: dict[str, Any], table: TableConfig) -> tuple[Any, ...]:
    return tuple(item.get(k) for k in table.key)


def take(client: Any, tables: list[TableConfig]) -> Snapshot:
    snap: Snapshot = {}
    for table in tables:
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        kwargs: dict[str, Any] = {"TableName": table.name, "ConsistentRead": True}
        while True:
            page = client.scan(**kwargs)
            for raw in page.get("Items", []):
                item = from_typed(raw)
                rows[_key(item, table)] = item
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        snap[table.name] = rows
    return snap


def diff(before: Snapshot, after: Snapshot, tables: list[TableConfig]) -> list[dict[str, Any]]:
    """Item changes: created, changed (with the attributes and their before/after values), deleted."""
    changes: list[dict[str, Any]] = []
    for table in tables:
        a, b = before.get(table.name, {}), after.get(table.name, {})
        names = list(table.key)
        for key in sorted(set(a) | set(b), key=lambda k: json.dumps(k, default=str)):
            keyd = dict(zip(names, key, strict=False))
            if key not in a:
                changes.append({"table": table.name, "key": keyd, "change": "created", "after": b[key]})
            elif key not in b:
                changes.append({"table": table.name, "key": keyd, "change": "deleted", "before": a[key]})
            elif a[key] != b[key]:
                attrs = sorted(k for k in set(a[key]) | set(b[key]) if a[key].get(k) != b[key].get(k))
                changes.append(
                    {
                        "table": table.name,
                        "key": keyd,
                        "change": "changed",
                        "attributes": attrs,
                        "before": {k: a[key].get(k) for k in attrs},
                        "after": {k: b[key].get(k) for k in attrs},
                    }
                )
    return changes


def restore(client: Any, tables: list[TableConfig], baseline: Snapshot, current: Snapshot | None = None) -> None:
    """Bring the tables back to `baseline`: delete extra items, rewrite changed or missing ones."""
    current = current if current is not None else take(client, tables)
    for table in tables:
        want, have = baseline.get(table.name, {}), current.get(table.name, {})
        names = list(table.key)
        requests: list[dict[str, Any]] = []
        for key in have:
            if key not in want:
                requests.append({"DeleteRequest": {"Key": to_typed(dict(zip(names, key, strict=False)))}})
        for key, item in want.items():
            if have.get(key) != item:
                requests.append({"PutRequest": {"Item": to_typed(item)}})
        for i in range(0, len(requests), 25):
            pending: dict[str, Any] = {table.name: requests[i : i + 25]}
            for _ in range(10):
                left = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not left:
                    break
                pending = left
