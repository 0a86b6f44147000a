"""A serverless project read from `service.template`, and the operations the scan probes.

The definition file picks the reader: `serverless.yml`/`.yaml` (Serverless Framework),
`.chalice/config.json` or a Chalice `app.py` (Chalice), anything else a SAM/CloudFormation
template. Operations come from the routes; a route that hands every path to one function (a
greedy `/{proxy+}`, or `ANY`) is expanded into the routes the function's web framework declares
(FastAPI in Mangum, Flask in awsgi), found in its code folder. Each operation points at its
handler: the function's `def` line, or the framework route's. An API's OpenAPI `DefinitionBody`
gives the parameters and body schemas of the operations it describes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

from gate.config import Config, TableConfig
from gate.dynamo import tables as tables_mod
from gate.errors import ScanError
from gate.serverless import chalice, framework, sam
from gate.serverless.model import App, Function
from gate.target import openapi
from gate.target.openapi import PARAM_RE, Operation, Spec
from gate.target.pysource import relative
from gate.target.routes import route_map
from gate.target.shape import shape_from_source

_WRAPPERS = re.compile(r"\b(Mangum|awsgi|serverless_wsgi|apig_wsgi|make_lambda_handler|asgi_handler)\b")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def load(cfg: Config, root: Path) -> App:
    """The project `service.template` names (relative to the config's folder)."""
    assert cfg.service.template is not None
    path = (root / cfg.service.template).resolve()
    if not path.is_file():
        raise ScanError(f"service.template: no such file: {cfg.service.template}")
    if not path.is_relative_to(root.resolve()):
        raise ScanError(f"service.template: {cfg.service.template} lies outside the project")
    try:
        if path.name in ("serverless.yml", "serverless.yaml"):
            return framework.read(path, path.parent, cfg.service.parameters)
        if path.name == "config.json" and path.parent.name == ".chalice":
            return chalice.read(path.parent.parent / "app.py", path.parent.parent)
        if path.suffix == ".py":
            return chalice.read(path, path.parent)
        return sam.read(path, path.parent, cfg.service.parameters)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        what = f"missing {exc}" if isinstance(exc, KeyError) else type(exc).__name__
        raise ScanError(f"service.template: {path.name} is malformed ({what})") from None


def handler_location(app: App, fn: Function, root: Path) -> tuple[str | None, int | None]:
    """(file relative to the scan root, line) of the function's handler: its `def` or assignment."""
    base = (app.root / fn.code / Path(*fn.module.split("."))).resolve()
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            try:
                tree = ast.parse(cand.read_text(encoding="utf-8", errors="replace"))
            except SyntaxError:
                return relative(cand, root), None
            for node in tree.body:
                names = [node.name] if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else []
                if isinstance(node, ast.Assign):
                    names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if fn.attribute in names:
                    return relative(cand, root), node.lineno
            return relative(cand, root), None
    return None, None


def _sample(path: str) -> str:
    return PARAM_RE.sub("x", path)


def _framework_ops(app: App, fn: Function, root: Path) -> list[Operation]:
    """The web framework routes of a wrapped app (Mangum, awsgi) that reach this function."""
    code = (app.root / fn.code).resolve()
    file, _ = handler_location(app, fn, root)
    text = (root / file).read_text(encoding="utf-8", errors="replace") if file else ""
    if not _WRAPPERS.search(text):
        return []
    out = []
    for r in route_map(code, root.resolve()).routes:
        got = app.route_for(r.method, _sample(r.path))
        if got is not None and got[0].function == fn.name:
            out.append(r.operation())
    return out


def operations(app: App, root: Path) -> Spec:
    ops: dict[str, Operation] = {}
    notes = list(app.notes)
    for route in app.routes:
        fn = app.functions[route.function]
        if route.greedy or route.method == "ANY":
            found = _framework_ops(app, fn, root)
            for op in found:
                ops.setdefault(op.id, op)
            if found:
                continue
            if route.greedy:
                notes.append(f"{route.key} ({fn.name}): a greedy route without framework routes: probed at its base")
        file, line = handler_location(app, fn, root)
        if app.kind == "chalice":  # the view function, not the app object
            file, line = relative(app.path, root), route.line
        path = re.sub(r"/?\{[^}]+\+\}", "", route.path) or "/"
        for method in _METHODS if route.method == "ANY" and not route.greedy else (route.method,):
            method = "GET" if method == "ANY" else method
            params = tuple(PARAM_RE.findall(path))
            op = Operation(
                method=method,
                path=path,
                path_params=params,
                summary=f"{fn.name} ({fn.handler})",
                file=file,
                line=line,
                shape=shape_from_source(params, (), ()),
            )
            ops.setdefault(op.id, op)
    if not ops:
        raise ScanError(f"service.template: {app.path.name} declares no API route (Api or HttpApi events)")
    ops = _with_definitions(app, ops, notes)
    return Spec(operations=sorted(ops.values(), key=lambda o: (o.path, o.method)), source=app.path.name, notes=notes)


def _with_definitions(app: App, ops: dict[str, Operation], notes: list[str]) -> dict[str, Operation]:
    """Parameters and body schemas from an API's OpenAPI `DefinitionBody`, for the operations it describes."""
    for doc in app.definitions:
        try:
            described = openapi.parse(doc, f"{app.path.name} DefinitionBody").operations
        except ScanError as exc:
            notes.append(exc.message)
            continue
        for d in described:
            op = ops.get(d.id)
            if op is not None:
                ops[d.id] = replace(
                    op, query_params=d.query_params, body_fields=d.body_fields, body_types=d.body_types, shape=d.shape
                )
    return ops


def tables(app: App, cfg: Config) -> list[TableConfig]:
    """The project's tables: a template's DynamoDB resources (names resolved with service.parameters)."""
    if app.kind == "sam":
        return tables_mod.tables_from_template(app.path, cfg.service.parameters, "service.template")
    if app.kind == "serverless":
        doc = framework.resources(app.path, cfg.service.parameters)
        return tables_mod.tables_from_doc(doc, cfg.service.parameters, "service.template")
    return []
