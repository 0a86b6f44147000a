"""A DynamoDB call as the recorder saw it: operation, table, key, expressions, values, items.

`parse_call` reads a copy of the request and response bodies of one call (DynamoDB's JSON
protocol); checks, the probe engine and the coverage and access-profile analyses read the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gate.dynamo.types import from_typed, plain

_MAX_ITEMS = 50  # items kept per call: enough to prove whose data came back


@dataclass(slots=True, kw_only=True)
class DynamoCall:
    seq: int
    lane: int
    probe: int | None
    operation: str
    table: str | None = None
    index: str | None = None
    key: dict[str, Any] | None = None
    key_condition: str | None = None
    filter: str | None = None
    condition: str | None = None
    update: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)  # items returned (plain), at most _MAX_ITEMS
    writes: list[dict[str, Any]] = field(default_factory=list)  # keys/items written by batch/transact calls
    count: int = 0
    scanned: int | None = None  # ScannedCount: items DynamoDB read before the filter
    status: int = 0
    error: str | None = None
    ms: float = 0.0

    def summary(self) -> str:
        """One line a reviewer reads: `GetItem profiles {user_id: "bob"} -> 1 item` (long values clipped)."""
        parts = [self.operation, self.table or "?"]
        if self.index:
            parts.append(f"index {self.index}")
        if self.key:
            parts.append(json.dumps(_clipped(self.key), sort_keys=True, default=str, ensure_ascii=False))
        if self.key_condition:
            parts.append(f"key: {self.key_condition}")
        if self.filter:
            parts.append(f"filter: {self.filter}")
        if self.values:
            parts.append(json.dumps(_clipped(self.values), sort_keys=True, default=str, ensure_ascii=False))
        if self.error:
            tail = f"-> {self.error}"
        elif self.operation in WRITES:
            tail = "-> written" if self.operation != "DeleteItem" else "-> deleted"
        else:
            tail = f"-> {self.count} item{'s' if self.count != 1 else ''}"
        if self.scanned is not None and self.scanned != self.count and not self.error:
            tail += f" (read {self.scanned})"
        return " ".join(parts) + " " + tail

    def to_dict(self) -> dict[str, Any]:
        d = {
            "operation": self.operation,
            "table": self.table,
            "index": self.index,
            "key": self.key,
            "key_condition": self.key_condition,
            "filter": self.filter,
            "condition": self.condition,
            "update": self.update,
            "values": self.values,
            "count": self.count,
            "scanned": self.scanned,
            "status": self.status,
            "error": self.error,
            "summary": self.summary(),
        }
        return {k: v for k, v in d.items() if v not in (None, {}, [])}


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
# PartiQL: the statement is not parsed, so any of these may write
MAY_WRITE = WRITES | {"ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"}
_CLIP = 48


def _clipped(values: dict[str, Any]) -> dict[str, Any]:
    """Long strings shortened for the one-line summary (a 2 KB provocation key stays readable)."""
    return {
        k: f"{v[:_CLIP]}…({len(v)} chars)" if isinstance(v, str) and len(v) > _CLIP else v for k, v in values.items()
    }


def _plain_values(values: dict[str, Any] | None) -> dict[str, Any]:
    return from_typed(values) if values else {}


def parse_call(
    seq: int, lane: int, probe: int | None, target: str, body: bytes, status: int, rbody: bytes, ms: float
) -> DynamoCall:
    op = target.rsplit(".", 1)[-1] if target else "?"
    call = DynamoCall(seq=seq, lane=lane, probe=probe, operation=op, status=status, ms=ms)
    try:
        req = json.loads(body or b"{}")
    except ValueError:
        req = {}
    try:
        resp = json.loads(rbody or b"{}")
    except ValueError:
        resp = {}
    call.table = req.get("TableName")
    call.index = req.get("IndexName")
    if isinstance(req.get("Key"), dict):
        call.key = from_typed(req["Key"])
    call.key_condition = req.get("KeyConditionExpression")
    call.filter = req.get("FilterExpression")
    call.condition = req.get("ConditionExpression")
    call.update = req.get("UpdateExpression")
    call.values = _plain_values(req.get("ExpressionAttributeValues"))
    call.names = dict(req.get("ExpressionAttributeNames") or {})
    if op == "PutItem" and isinstance(req.get("Item"), dict):
        call.writes = [from_typed(req["Item"])]
    items: list[dict[str, Any]] = []
    if isinstance(resp.get("Item"), dict):
        items.append(resp["Item"])
    if isinstance(resp.get("Items"), list):
        items.extend(resp["Items"])
    if isinstance(resp.get("Responses"), dict):  # BatchGetItem
        for rows in resp["Responses"].values():
            items.extend(rows)
        call.table = call.table or ",".join(sorted(resp["Responses"]))
    if isinstance(resp.get("Responses"), list):  # TransactGetItems
        items.extend(r["Item"] for r in resp["Responses"] if isinstance(r, dict) and "Item" in r)
    if isinstance(req.get("RequestItems"), dict):  # BatchGetItem / BatchWriteItem
        call.table = call.table or ",".join(sorted(req["RequestItems"]))
        for rows in req["RequestItems"].values():
            if isinstance(rows, dict):
                call.writes.extend(from_typed(k) for k in rows.get("Keys", []))
            else:
                for r in rows:
                    w = r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key")
                    if w:
                        call.writes.append(from_typed(w))
    if isinstance(req.get("TransactItems"), list):
        tables = set()
        for t in req["TransactItems"]:
            for inner in t.values():
                if isinstance(inner, dict):
                    tables.add(inner.get("TableName", "?"))
                    w = inner.get("Key") or inner.get("Item")
                    if w:
                        call.writes.append(from_typed(w))
        call.table = ",".join(sorted(tables))
    call.count = int(resp["Count"]) if isinstance(resp.get("Count"), int) else len(items)
    if isinstance(resp.get("ScannedCount"), int):
        call.scanned = int(resp["ScannedCount"])
    call.items = [from_typed(i) for i in items[:_MAX_ITEMS]]
    if status >= 400:
        call.error = str(resp.get("__type", f"HTTP {status}")).rsplit("#", 1)[-1]
    return call


def owner_scoped_values(call: DynamoCall) -> list[Any]:
    """Values a call used to select data (key and expression values), for 'whose data' questions."""
    vals: list[Any] = list((call.key or {}).values())
    vals.extend(plain(v) for v in call.values.values())
    return vals
