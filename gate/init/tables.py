"""The service's DynamoDB tables, read off its code: names, keys and GSIs.

In order of trust: boto3 `create_table(...)` calls anywhere in the service folder (a dev script
describes the tables even when nothing imports it), pynamodb `Model` classes (`Meta.table_name`,
`hash_key=True`/`range_key=True` attributes, `GlobalSecondaryIndex` classes), CloudFormation/SAM
templates (read by `gate.dynamo.tables` at scan time: init only points `dynamodb.template` at them),
and last the tables the code only names (`Table("todos")`, `TableName=...`), whose keys come from the
`Key={...}` of their reads and the `Key("owner_id")` of their queries.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gate.dynamo.tables import tables_from_template
from gate.errors import ScanError
from gate.init.code import Code, EnvRead
from gate.target.pysource import Module, assignment, call_name, kwarg, str_const

_PYNAMO_TYPES = {
    "UnicodeAttribute": "S",
    "UTCDateTimeAttribute": "S",
    "NumberAttribute": "N",
    "BinaryAttribute": "B",
    "VersionAttribute": "N",
    "TTLAttribute": "N",
}
_KEYED_CALLS = {"get_item", "delete_item", "update_item"}
_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_TEMPLATE_MARKERS = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")
_MAX_TEMPLATE_BYTES = 2_000_000
_MAX_TEMPLATE_FILES = 20_000  # files looked at in the search for templates
_SKIP = {"node_modules", ".git", ".venv", "venv", "cdk.out", ".aws-sam", "__pycache__"}


@dataclass(slots=True)
class Table:
    name: str
    key: dict[str, str] = field(default_factory=dict)  # partition key first: {attr: S|N|B}
    indexes: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    env: EnvRead | None = None  # the variable the service reads the name from
    env_value: str | None = None  # what that variable is set to (default: the name)
    source: str = ""  # where the keys were read: "scripts/create_tables.py:19 (create_table)"
    key_known: bool = True  # False: guessed from reads, or not found at all
    in_template: bool = False
    attributes: list[str] = field(default_factory=list)  # other attributes the code writes


@dataclass(slots=True)
class Tables:
    tables: list[Table]
    template: str | None  # relative to the service directory
    unresolved: str | None = None  # a template whose table names init could not resolve (`!Sub`)


def _literal(code: Code, mod: Module, node: ast.AST | None) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(code, mod, e) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {_literal(code, mod, k): _literal(code, mod, v) for k, v in zip(node.keys, node.values, strict=True)}
    return code.value(mod, node).literal


def _schema_keys(schema: Any, types: dict[str, str]) -> dict[str, str]:
    if not isinstance(schema, list):
        return {}
    rows = [k for k in schema if isinstance(k, dict) and isinstance(k.get("AttributeName"), str)]
    rows.sort(key=lambda k: k.get("KeyType") != "HASH")
    return {k["AttributeName"]: types.get(k["AttributeName"], "S") for k in rows[:2]}


def _created(code: Code) -> list[Table]:
    out: list[Table] = []
    for mod, call in code.calls():
        if call_name(call) != "create_table":
            continue
        name_node = kwarg(call, "TableName")
        value = code.value(mod, name_node)
        if value.literal is None:
            continue
        attrs = _literal(code, mod, kwarg(call, "AttributeDefinitions")) or []
        types = {
            a["AttributeName"]: a.get("AttributeType", "S")
            for a in attrs
            if isinstance(a, dict) and isinstance(a.get("AttributeName"), str)
        }
        key = _schema_keys(_literal(code, mod, kwarg(call, "KeySchema")), types)
        if not key:
            continue
        indexes = []
        for ix in _literal(code, mod, kwarg(call, "GlobalSecondaryIndexes")) or []:
            if isinstance(ix, dict) and isinstance(ix.get("IndexName"), str):
                ikey = _schema_keys(ix.get("KeySchema"), types)
                if ikey:
                    indexes.append((ix["IndexName"], ikey))
        where = f"{code.where(mod, call)} (create_table)"
        out.append(Table(value.literal, key, indexes, value.env, value.env_value, where))
    return out


def _pynamo_attrs(cls: ast.ClassDef) -> tuple[dict[str, str], list[str], list[str]]:
    """(key attributes in hash, range order; other attribute names; the classes of its index attributes)."""
    hash_, range_, others, index_refs = {}, {}, [], []
    for stmt in cls.body:
        target, value = assignment(stmt)
        if not (target and isinstance(value, ast.Call)):
            continue
        kind = call_name(value)
        name = str_const(kwarg(value, "attr_name")) or target
        if kind in _PYNAMO_TYPES or kind.endswith("Attribute"):
            typ = _PYNAMO_TYPES.get(kind, "S")
            if _true(value, "hash_key"):
                hash_[name] = typ
            elif _true(value, "range_key"):
                range_[name] = typ
            else:
                others.append(name)
        else:
            index_refs.append(kind)
    return {**hash_, **range_}, others, index_refs


def _true(call: ast.Call, name: str) -> bool:
    node = kwarg(call, name)
    return isinstance(node, ast.Constant) and node.value is True


def _meta(cls: ast.ClassDef) -> ast.ClassDef | None:
    return next((n for n in cls.body if isinstance(n, ast.ClassDef) and n.name == "Meta"), None)


def _pynamo(code: Code) -> list[Table]:
    if not code.imports_of("pynamodb"):
        return []
    indexes: dict[str, tuple[str, dict[str, str]]] = {}
    models: list[tuple[Module, ast.ClassDef]] = []
    for mod in code.modules:
        for node in ast.walk(mod.tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {call_name(b) for b in node.bases}
            meta = _meta(node)
            if bases & {"GlobalSecondaryIndex", "LocalSecondaryIndex"} and meta is not None:
                key, _, _ = _pynamo_attrs(node)
                index_name = next(
                    (code.value(mod, v).literal for s in meta.body for t, v in [assignment(s)] if t == "index_name"),
                    None,
                )
                if key and "GlobalSecondaryIndex" in bases:
                    indexes[node.name] = (index_name or node.name, key)
            elif meta is not None and any(b == "Model" or b.endswith("Model") for b in bases):
                models.append((mod, node))
    out: list[Table] = []
    for mod, cls in models:
        meta = _meta(cls)
        assert meta is not None
        name_node = next((v for s in meta.body for t, v in [assignment(s)] if t == "table_name"), None)
        value = code.value(mod, name_node)
        key, others, refs = _pynamo_attrs(cls)
        if value.literal is None or not key:
            continue
        table = Table(value.literal, key, [indexes[r] for r in refs if r in indexes], value.env, value.env_value)
        table.source, table.attributes = f"{code.where(mod, cls)} (pynamodb model {cls.name})", others
        out.append(table)
    return out


def name_from_var(var: str, known: list[str]) -> str:
    """The table an env var without a default names: `NOTES_TABLE` -> `notes` (or the known table it fits)."""
    stem = var.upper()
    for cut in ("_TABLE_NAME", "_TABLENAME", "_TABLE", "_DDB"):
        stem = stem.removesuffix(cut)
    for cut in ("DYNAMODB_", "DDB_", "TABLE_"):
        stem = stem.removeprefix(cut)
    stem = stem.lower() if stem and stem not in ("TABLE", "NAME") else ""
    if stem and not re.search(r"[a-z]{2}", stem):  # TABLE_1: the stem says nothing, the variable does
        stem = var.lower()
    forms = {stem, stem + "s", stem.removesuffix("s")} - {""}
    for name in known:  # exact first, then a known table ending in the stem (`inventory-items` for ITEMS_TABLE)
        if name.lower().replace("-", "_") in forms:
            return name
    for name in known:
        if any(re.split(r"[-_.]", name.lower())[-1] == f for f in forms):
            return name
    if not stem and len(known) == 1:
        return known[0]
    return stem or "items"


def _named(code: Code, known: list[str]) -> tuple[list[Table], dict[str, str]]:
    """Tables the code only names, and variable -> table name for the handles it keeps."""
    out: dict[str, Table] = {}
    handles: dict[str, str] = {}
    for mod in code.modules:
        for node in ast.walk(mod.tree):
            call = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else node
            if not isinstance(call, ast.Call):
                continue
            if call_name(call) == "Table" and call.args:
                expr = call.args[0]
            elif (expr := kwarg(call, "TableName", "table_name")) is None:
                continue
            value = code.value(mod, expr)
            name = value.literal or (name_from_var(value.env.var, known) if value.env else None)
            if name is None:
                continue
            table = out.setdefault(name, Table(name, env=value.env, env_value=value.env_value, key_known=False))
            if table.env is None:
                table.env, table.env_value = value.env, value.env_value
            if isinstance(node, ast.Assign) and call_name(call) == "Table":
                for t in node.targets:
                    handle = t.attr if isinstance(t, ast.Attribute) else t.id if isinstance(t, ast.Name) else None
                    if handle:
                        handles[handle] = name
    return list(out.values()), handles


def _receiver(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _type_of(node: ast.AST | None) -> str:
    if isinstance(node, ast.Dict) and node.keys and str_const(node.keys[0]) in ("S", "N", "B"):
        return str_const(node.keys[0]) or "S"
    if isinstance(node, ast.Call) and call_name(node) in ("int", "Decimal"):
        return "N"
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return "N"
    return "S"


def _local_dict(mod: Module, call: ast.Call, node: ast.AST | None) -> ast.AST | None:
    """`Key=primary_key`: the dict literal last assigned to that name before the call, in its module."""
    if not isinstance(node, ast.Name):
        return node
    found: ast.AST | None = None
    for stmt in ast.walk(mod.tree):
        target, value = assignment(stmt)
        if target != node.id or not isinstance(value, ast.Dict) or value.lineno > call.lineno:
            continue
        if found is None or value.lineno > getattr(found, "lineno", 0):
            found = value
    return found


def _query_key(node: ast.AST | None) -> str | None:
    """The partition key of `Key("owner_id").eq(x) & Key("sk")...`: the leftmost `Key(...)`."""
    while isinstance(node, ast.BinOp):
        node = node.left
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        inner = node.func.value
        if isinstance(inner, ast.Call) and call_name(inner) == "Key" and inner.args:
            return str_const(inner.args[0])
    return None


def _infer_keys(code: Code, tables: dict[str, Table], handles: dict[str, str]) -> None:
    """Keys of the named-only tables from their reads; index keys from queries with `IndexName`."""
    seen_keys: dict[str, tuple[dict[str, str], str]] = {}
    partition: dict[str, str] = {}
    for mod, call in code.calls():
        if not isinstance(call.func, ast.Attribute):
            continue
        name = handles.get(_receiver(call.func.value) or "")
        if name is None:
            name = code.value(mod, kwarg(call, "TableName")).literal
        table = tables.get(name or "")
        if table is None:
            continue
        op = call.func.attr
        key_node = _local_dict(mod, call, kwarg(call, "Key"))
        if op in _KEYED_CALLS and isinstance(key_node, ast.Dict):
            pairs = zip(map(str_const, key_node.keys), key_node.values, strict=True)
            keys = {k: _type_of(v) for k, v in pairs if k}
            if keys and len(keys) > len(seen_keys.get(table.name, ({}, ""))[0]):
                seen_keys[table.name] = keys, f"{code.where(mod, call)} ({op})"
        if op == "query":
            pk = _query_key(kwarg(call, "KeyConditionExpression"))
            index = str_const(kwarg(call, "IndexName"))
            if pk and index and all(i != index for i, _ in table.indexes):
                table.indexes.append((index, {pk: "S"}))
            elif pk and not index:
                partition.setdefault(table.name, pk)
        if op in ("put_item", "update_item") and isinstance(item := kwarg(call, "Item"), ast.Dict):
            table.attributes += [k for k in map(str_const, item.keys) if k and k not in table.attributes]
    for name, table in tables.items():
        if table.key_known:
            continue
        keys, where = seen_keys.get(name, ({}, ""))
        keys = dict(keys)
        # a get/delete/update_item names the whole primary key: that is the key, not a guess
        table.key_known, table.source = bool(keys), where
        pk = partition.get(name)
        if pk and pk not in keys:
            keys = {pk: "S", **keys}
        elif pk:
            keys = {pk: keys[pk], **{k: v for k, v in keys.items() if k != pk}}
        table.key = dict(list(keys.items())[:2])


def find_templates(directory: Path) -> list[Path]:
    """CloudFormation/SAM templates declaring tables, in the service folder and the repository above it."""
    top = directory
    for parent in [directory, *directory.parents]:
        if (parent / ".git").exists():
            top = parent
            break
    found: list[Path] = []
    budget = _MAX_TEMPLATE_FILES
    for dirpath, dirnames, filenames in os.walk(top):
        budget -= len(filenames)
        if budget < 0:  # a huge monorepo: stop looking rather than walk all of it
            break
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP and not d.startswith("."))
        for fname in sorted(filenames):
            path = Path(dirpath) / fname
            if not fname.endswith(_TEMPLATE_SUFFIXES):
                continue
            try:
                if path.stat().st_size > _MAX_TEMPLATE_BYTES:
                    continue
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if any(m in text for m in _TEMPLATE_MARKERS):
                found.append(path)
        if len(found) >= 5:
            break
    return found


def _parameter_defaults(path: Path, code: Code) -> dict[str, str]:
    """Env vars the code reads without a default, given the template parameter of the same name's default
    (`PROJECT_NAME` <- `projectName: {Default: my-project}`), so names built from them match the template."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Template)
    except (OSError, yaml.YAMLError):
        return {}
    params = doc.get("Parameters") if isinstance(doc, dict) else None
    if not isinstance(params, dict):
        return {}
    defaults = {_norm(k): str(v["Default"]) for k, v in params.items() if isinstance(v, dict) and "Default" in v}
    return {e.var: defaults[_norm(e.var)] for e in code.env_reads() if e.default is None and _norm(e.var) in defaults}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class _Template(yaml.SafeLoader):
    """CloudFormation YAML read for its Parameters only: every `!Tag` is a plain value."""


_Template.add_multi_constructor("!", lambda loader, suffix, node: None)


def find_tables(code: Code, directory: Path) -> Tables:
    tables: dict[str, Table] = {}
    for t in _created(code) + _pynamo(code):
        tables.setdefault(t.name, t)
    template: str | None = None
    unresolved: str | None = None
    for path in find_templates(directory):
        try:
            declared = tables_from_template(path)
        except ScanError:
            continue
        if not declared:
            continue
        rel = os.path.relpath(path, directory)
        code.chosen.update(_parameter_defaults(path, code))
        for t in declared:
            if t.name not in tables and "${" not in t.name:  # an unresolved !Sub: the code names it
                idx = [(i.name, dict(i.key)) for i in t.indexes]
                tables[t.name] = Table(t.name, dict(t.key), idx, source=rel, in_template=True)
                template = rel
        unresolved = None if template else rel
        break
    named, handles = _named(code, list(tables))
    for t in named:
        known = tables.setdefault(t.name, t)
        if known.env is None:
            known.env, known.env_value = t.env, t.env_value
    _infer_keys(code, tables, handles)
    return Tables(sorted(tables.values(), key=lambda t: t.name), template, unresolved)
