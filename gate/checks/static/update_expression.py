"""static.update-from-request: item attributes taken from the request's keys without an allow-list (CWE-915).

What it proves
  In a request handler, an `UpdateExpression` is built (not a fixed string) while the handler
  iterates over the raw request body's keys (`for k, v in body.items()`, a comprehension over
  `request.get_json()`) with no membership test against an allow-list; or `put_item(Item=...)`
  writes the request body itself (`Item=body`, `Item={**body, ...}`). A caller then sets any
  attribute: `role`, `owner_id`, `is_admin`, `password_hash`. The dynamic mass-assignment check
  proves it when the service runs.

Example finding
  MEDIUM static.update-from-request app.py:88 PUT /api/profile `for k, v in data.items():`.

Remediation
  Iterate over an allow-list (`for k in ALLOWED if k in data`) or validate the body with a model
  that forbids unknown fields (pydantic `extra="forbid"`), and build the expression from that.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Func, Hit, SourceFile
from gate.findings import Confidence, Severity
from gate.target.pysource import call_name, kwarg

META = STATIC.check(
    "static.update-from-request",
    title="Item attributes written from request keys",
    description="A handler writes whatever keys the request body holds into the item (no allow-list).",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=("CWE-915",),
    owasp=("API3:2023",),
    remediation="Write only allow-listed attributes: iterate over an allow-list or validate the body with a "
    "model that forbids unknown fields.",
)


_WRAPPERS = ("enumerate", "sorted", "list", "tuple", "reversed")


def _iterates(src: SourceFile, it: ast.AST, bodies: set[str]) -> bool:
    """`it` walks the request body's keys: `body`, `body.items()`, `body.keys()`, `request.json.items()`."""
    while isinstance(it, ast.Call) and call_name(it) in _WRAPPERS and it.args:
        it = it.args[0]
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "keys"):
        it = it.func.value
    return src.is_request_body(it, bodies)


def _key_names(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _membership_tested(scope: list[ast.AST], keys: set[str]) -> bool:
    """Some `k in ALLOWED` / `k not in ALLOWED` test on the loop key inside the loop or comprehension."""
    for part in scope:
        for node in ast.walk(part):
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Name)
                and node.left.id in keys
                and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
            ):
                return True
    return False


def _unfiltered_loops(src: SourceFile, fn: Func, bodies: set[str]) -> list[ast.AST]:
    out: list[ast.AST] = []
    for node in ast.walk(fn):
        if isinstance(node, ast.For | ast.AsyncFor) and _iterates(src, node.iter, bodies):
            if not _membership_tested(node.body, _key_names(node.target)):
                out.append(node)
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            for gen in node.generators:
                if _iterates(src, gen.iter, bodies) and not _membership_tested(gen.ifs, _key_names(gen.target)):
                    out.append(node)
    return out


def _whole_body_item(src: SourceFile, item: ast.AST | None, bodies: set[str]) -> bool:
    if item is None:
        return False
    if src.is_request_body(item, bodies):
        return True
    return isinstance(item, ast.Dict) and any(
        k is None and src.is_request_body(v, bodies) for k, v in zip(item.keys, item.values, strict=True)
    )


def check(src: SourceFile) -> Iterator[Hit]:
    seen: set[int] = set()
    for node in ast.walk(src.tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        fn = src.handler_of(node)
        if fn is None:
            continue
        bodies = src.request_bodies(fn)
        if node.func.attr == "update_item":
            expr = kwarg(node, "UpdateExpression")
            if expr is None or isinstance(src.resolve(expr), ast.Constant):
                continue
            for loop in _unfiltered_loops(src, fn, bodies):
                if id(loop) not in seen:
                    seen.add(id(loop))
                    yield src.hit(
                        loop,
                        f"the UpdateExpression (line {node.lineno}) is built from every key of "
                        "the request body, with no allow-list",
                        "UpdateExpression from request keys",
                    )
        elif node.func.attr == "put_item" and _whole_body_item(src, kwarg(node, "Item"), bodies):
            yield src.hit(node, "put_item writes the request body itself as the item", "put_item request body")
