"""Create the service's tables (keys and GSIs) in DynamoDB Local, from the config or a template."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from gate.config import IndexConfig, TableConfig
from gate.dynamo import template
from gate.errors import ScanError


def _key_schema(index: IndexConfig) -> list[dict[str, str]]:
    names = list(index.key)
    schema = [{"AttributeName": names[0], "KeyType": "HASH"}]
    if len(names) > 1:
        schema.append({"AttributeName": names[1], "KeyType": "RANGE"})
    return schema


def create_tables(client: Any, tables: list[TableConfig]) -> None:
    """Every table, a few at a time: DynamoDB Local takes 25 ms a table, and a service has dozens (issue 17).
    The first failure in the config's order is the one reported."""
    existing = set(client.list_tables().get("TableNames", []))
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda table: _create(client, table, existing), tables))


def _create(client: Any, table: TableConfig, existing: set[str]) -> None:
    if table.name in existing:  # an external endpoint: start from a known state
        client.delete_table(TableName=table.name)
    attrs: dict[str, str] = dict(table.key)
    for ix in table.indexes:
        attrs.update(ix.key)
    params: dict[str, Any] = {
        "TableName": table.name,
        "KeySchema": _key_schema(table),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attrs.items()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.indexes:
        params["GlobalSecondaryIndexes"] = [
            {"IndexName": ix.name, "KeySchema": _key_schema(ix), "Projection": {"ProjectionType": "ALL"}}
            for ix in table.indexes
        ]
    try:
        client.create_table(**params)
    except client.exceptions.ClientError as exc:
        raise ScanError(f"cannot create table {table.name}: {exc}") from None


def tables_from_template(
    path: Path, parameters: dict[str, Any] | None = None, what: str = "dynamodb.template"
) -> list[TableConfig]:
    """Tables declared in a CloudFormation or SAM template (AWS::DynamoDB::Table, SimpleTable), names
    resolved (`!Sub ${Project}-users` with the parameter's default or the given value)."""
    doc = template.load(path, what)
    try:
        return _template_tables(doc, template.Resolver(doc, parameters))
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        what = f"missing {exc}" if isinstance(exc, KeyError) else type(exc).__name__
        raise ScanError(
            f"dynamodb.template: {path.name}: a table resource is malformed ({what}); "
            "expected KeySchema and AttributeDefinitions as CloudFormation documents them"
        ) from None


def tables_from_doc(doc: dict[str, Any], parameters: dict[str, Any] | None, what: str) -> list[TableConfig]:
    """Tables of a template already loaded (a serverless.yml's `resources`), as tables_from_template."""
    try:
        return _template_tables(doc, template.Resolver(doc, parameters))
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise ScanError(f"{what}: a table resource is malformed ({type(exc).__name__})") from None


def _template_tables(doc: Any, resolver: template.Resolver) -> list[TableConfig]:
    out: list[TableConfig] = []
    for logical, res in ((doc or {}).get("Resources") or {}).items():
        props = resolver.resolve((res or {}).get("Properties") or {})
        kind = (res or {}).get("Type")
        raw = ((res or {}).get("Properties") or {}).get("TableName")
        name = props.get("TableName") if isinstance(props.get("TableName"), str) else logical
        if raw is not None and not isinstance(props.get("TableName"), str):
            raise ScanError(
                f"dynamodb.template: the TableName of {logical} depends on what only a deployment knows "
                "(a resource attribute or an import): declare the table in dynamodb.tables"
            )
        if kind == "AWS::DynamoDB::Table":
            types = {a["AttributeName"]: a["AttributeType"] for a in props.get("AttributeDefinitions", [])}

            def keys(schema: list[dict[str, str]], types: dict[str, str] = types) -> dict[str, Any]:
                ordered = sorted(schema, key=lambda k: k["KeyType"] != "HASH")
                return {k["AttributeName"]: types.get(k["AttributeName"], "S") for k in ordered}

            indexes = [
                IndexConfig(name=ix["IndexName"], key=keys(ix["KeySchema"]))
                for ix in props.get("GlobalSecondaryIndexes", [])
            ]
            out.append(TableConfig(name=name, key=keys(props["KeySchema"]), indexes=indexes))
        elif kind == "AWS::Serverless::SimpleTable":
            pk = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
            typ = {"String": "S", "Number": "N", "Binary": "B"}.get(pk.get("Type", "String"), "S")
            out.append(TableConfig(name=name, key={pk["Name"]: typ}))
    return out
