"""Write the fixtures and remember which identity owns which item."""

from __future__ import annotations

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
    by_name = {t.name: t for t in tables}
    owned: list[OwnedItem] = []
    for i, fx in enumerate(fixtures):
        try:
            client.put_item(TableName=fx.table, Item=to_typed(fx.item))
        except (ClientError, ParamValidationError, TypeError, ValueError) as exc:
            reason = exc.response["Error"].get("Message", "") if isinstance(exc, ClientError) else str(exc)
            raise ScanError(f"fixtures[{i}] (table {fx.table}): DynamoDB refused the item: {reason}") from None
        table = by_name.get(fx.table)
        key = key_of(fx.item, table) if table else {}
        owned.append(OwnedItem(table=fx.table, owner=fx.owner, key=key, item=dict(fx.item)))
    return owned
