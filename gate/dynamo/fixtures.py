"""Write the fixtures and remember which identity owns which item."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from gate.config import FixtureConfig, TableConfig
from gate.dynamo.types import to_typed
from gate.errors import ScanError


@dataclass(frozen=True, slots=True)
class OwnedItem:
    table: str
    owner: str | None
    key: dict[str, Any]  # plain key attributes
    item: dict[str, Any]  # the whole plain item as seeded

    def values(self) -> list[str]:
        """String values that identify this item in a response body (long enough not to match by chance)."""
        out = []
        for v in self.item.values():
            if isinstance(v, str) and len(v) >= 4:
                out.append(v)
        return out


def key_of(item: dict[str, Any], table: TableConfig) -> dict[str, Any]:
    return {k: item[k] for k in table.key if k in item}


def write_fixtures(client: Any, tables: list[TableConfig], fixtures: list[FixtureConfig]) -> list[OwnedItem]:
    """Write the fixtures, the tables side by side and each table's in the config's order (a later fixture
    with the same key wins, as it would one by one). The first refusal in the config's order is reported."""
    by_name = {t.name: t for t in tables}
    per_table: dict[str, list[int]] = {}
    for i, fx in enumerate(fixtures):
        per_table.setdefault(fx.table, []).append(i)

    def write(indices: list[int]) -> tuple[int, ScanError] | None:
        for i in indices:
            fx = fixtures[i]
            try:
                client.put_item(TableName=fx.table, Item=to_typed(fx.item))
            except (ClientError, ParamValidationError, TypeError, ValueError) as exc:
                reason = exc.response["Error"].get("Message", "") if isinstance(exc, ClientError) else str(exc)
                return i, ScanError(f"fixtures[{i}] (table {fx.table}): DynamoDB refused the item: {reason}")
        return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        refused = [e for e in pool.map(write, per_table.values()) if e is not None]
    if refused:
        raise min(refused, key=lambda r: r[0])[1]
    owned: list[OwnedItem] = []
    for fx in fixtures:
        table = by_name.get(fx.table)
        key = key_of(fx.item, table) if table else {}
        owned.append(OwnedItem(table=fx.table, owner=fx.owner, key=key, item=dict(fx.item)))
    return owned
