"""Create the service's tables (keys and GSIs) in DynamoDB Local, from the config or a template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gate.config import IndexConfig, TableConfig
from gate.errors import ScanError


def _key_schema(index: IndexConfig) -> list[dict[str, str]]:
    names = list(index.key)
    schema = [{"AttributeName": names[0], "KeyType": "HASH"}]
    if len(names) > 1:
        schema.append({"AttributeName": names[1], "KeyType": "RANGE"})
    return schema


def create_tables(client: Any, tables: list[TableConfig]) -> None:
    existing = set(client.list_tables().get("TableNames", []))
    for table in tables:
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


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML; intrinsic functions (!Ref, !Sub, ...) become plain values."""


def _any_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _any_tag)


def tables_from_template(path: Path) -> list[TableConfig]:
    """Tables declared in a CloudFormation or SAM template (AWS::DynamoDB::Table, SimpleTable)."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)
    except OSError as exc:
        raise ScanError(f"dynamodb.template: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ScanError(f"dynamodb.template: {path.name} is not valid YAML{where}") from None
    try:
        return _template_tables(doc)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        what = f"missing {exc}" if isinstance(exc, KeyError) else type(exc).__name__
        raise ScanError(
            f"dynamodb.template: {path.name}: a table resource is malformed ({what}); "
            "expected KeySchema and AttributeDefinitions as CloudFormation documents them"
        ) from None


def _template_tables(doc: Any) -> list[TableConfig]:
    out: list[TableConfig] = []
    for logical, res in ((doc or {}).get("Resources") or {}).items():
        props = (res or {}).get("Properties") or {}
        kind = (res or {}).get("Type")
        name = props.get("TableName") if isinstance(props.get("TableName"), str) else logical
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
