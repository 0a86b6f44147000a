"""Chalice apps: `app.py` with `Chalice(...)` read for its routes and their `authorizer=` arguments.

A Chalice app is one Lambda function behind a REST API (payload 1.0, stage `api`): the `app`
object itself is the handler (`app.app`), and it dispatches on the event's `resourcePath` and
method. Read without running it: every `@app.route(path, methods=[...], authorizer=...)`;
`CognitoUserPoolAuthorizer(name, provider_arns=[...])` is played by the gate (the pool's id from
the ARN makes the issuer); a `@app.authorizer()` function is a Lambda (TOKEN) authorizer whose
handler is `app.<function>`; `IAMAuthorizer` is not played (noted). `.chalice/config.json`'s
`environment_variables` (top level, then `stages.dev`) and `lambda_timeout` are the function's.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from gate.dynamo.template import PSEUDO
from gate.errors import ScanError
from gate.serverless.model import App, Authorizer, Function, Route
from gate.target.pysource import call_name, kwarg, str_const

STAGE = "api"


def _config(root: Path) -> dict[str, Any]:
    path = root / ".chalice" / "config.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        raise ScanError(f"service.template: {path} is not valid JSON") from None
    return doc if isinstance(doc, dict) else {}


def _dotted(call: ast.Call) -> str:
    """The callee as written (`app.route`)."""
    return ast.unparse(call.func)


def _strings(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.List | ast.Tuple):
        return [s for e in node.elts if (s := str_const(e)) is not None]
    one = str_const(node) if node is not None else None
    return [one] if one is not None else []


def _authorizers(tree: ast.Module) -> dict[str, Authorizer]:
    """Module-level `name = CognitoUserPoolAuthorizer(...)` and `@app.authorizer()` functions, by name."""
    out: dict[str, Authorizer] = {}
    region = PSEUDO["AWS::Region"]
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            kind = call_name(node.value).rsplit(".", 1)[-1]
            for target in (t for t in node.targets if isinstance(t, ast.Name)):
                if kind == "CognitoUserPoolAuthorizer":
                    arns = _strings(kwarg(node.value, "provider_arns") or (node.value.args[1:2] or [None])[0])
                    pool = arns[0].rsplit("/", 1)[-1] if arns else f"{region}_{target.id}"
                    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
                    header = str_const(kwarg(node.value, "header")) or "Authorization"
                    out[target.id] = Authorizer(name=target.id, kind="cognito", issuer=issuer, header=header)
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and _dotted(dec).endswith(".authorizer"):
                    out[node.name] = Authorizer(name=node.name, kind="lambda", function=node.name, payload="TOKEN")
    return out


def read(path: Path, root: Path) -> App:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        raise ScanError(f"service.template: {path.name} cannot be parsed as Python") from None
    apps = [
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and call_name(n.value).endswith("Chalice")
        for t in n.targets
        if isinstance(t, ast.Name)
    ]
    if not apps:
        raise ScanError(f"service.template: {path.name} makes no Chalice(...) app")
    cfg = _config(root)
    stage = (cfg.get("stages") or {}).get("dev") or {}
    env = {**(cfg.get("environment_variables") or {}), **(stage.get("environment_variables") or {})}
    module = path.relative_to(root).with_suffix("").as_posix()
    timeout = float(stage.get("lambda_timeout") or cfg.get("lambda_timeout") or 60)
    app = App(kind="chalice", path=path, root=root)
    app.functions["APIHandler"] = Function(
        name="APIHandler",
        handler=f"{module}.{apps[0]}",
        code=".",
        timeout=timeout,
        env={k: str(v) for k, v in env.items()},
    )
    auths = _authorizers(tree)
    for a in auths.values():
        if a.kind == "lambda" and a.function:
            app.functions[a.function] = Function(name=a.function, handler=f"{module}.{a.function}", code=".")
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for dec in node.decorator_list:
            if not (isinstance(dec, ast.Call) and _dotted(dec) == f"{apps[0]}.route" and dec.args):
                continue
            route_path = str_const(dec.args[0])
            if route_path is None:
                continue
            ref = kwarg(dec, "authorizer")
            authorizer = auths.get(ref.id) if isinstance(ref, ast.Name) else None
            if isinstance(ref, ast.Name) and authorizer is None:
                app.notes.append(f"{node.name}: authorizer {ref.id} is not played (IAM or unknown): served without it")
            for method in _strings(kwarg(dec, "methods")) or ["GET"]:
                app.routes.append(
                    Route(
                        method=method.upper(),
                        path=route_path,
                        function="APIHandler",
                        api="rest",
                        payload="1.0",
                        authorizer=authorizer,
                        stage=STAGE,
                        line=node.lineno,
                    )
                )
    return app
