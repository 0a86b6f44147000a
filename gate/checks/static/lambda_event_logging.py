"""static.lambda-event-logged: a Lambda handler prints or logs its whole API Gateway event (CWE-532).

What it proves
  In a function with Lambda's signature (`def handler(event, context)`), the `event` parameter
  itself, not one of its fields, is handed to `print` or a logging call (directly, through
  `json.dumps(event)`, `str(event)`, an f-string or a %-argument). The event of an API Gateway
  request carries the `Authorization` header (the caller's bearer token), cookies and the raw body
  (passwords at a login): all of it lands in CloudWatch Logs, readable by everyone with log access.
  The dynamic secrets-in-logs family proves it when a probe's token shows in the functions' output.

Example finding
  MEDIUM static.lambda-event-logged src/handlers.py:40 `print(json.dumps(event))`.

Remediation
  Log the route and request id only (`event["routeKey"]`, `context.aws_request_id`), never the event.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gate.checks.static.secret_logging import _is_log_call
from gate.checks.static.source import STATIC, Hit, SourceFile
from gate.findings import Confidence, Severity

META = STATIC.check(
    "static.lambda-event-logged",
    title="Lambda handler logs the whole event",
    description="A Lambda handler prints or logs its whole event (the Authorization header, cookies, the body).",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=("CWE-532",),
    owasp=("API8:2023",),
    remediation="Log the route and request id only, never the whole event.",
)

EVENT_NAMES = ("event", "evt", "lambda_event")
CONTEXT_NAMES = ("context", "ctx", "_context", "lambda_context", "_ctx", "_")
_WRAPS = ("dumps", "str", "repr", "format", "pformat")


def _event_param(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    args = [a.arg for a in fn.args.args]
    if len(args) == 2 and args[0] in EVENT_NAMES and args[1] in CONTEXT_NAMES:
        return args[0]
    return None


def _carries(node: ast.AST, name: str) -> bool:
    """The expression hands over the bare `name` (not a field of it)."""
    if isinstance(node, ast.Name):
        return node.id == name
    if isinstance(node, ast.Call):
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        return callee in _WRAPS and any(_carries(a, name) for a in node.args)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) and _carries(v.value, name) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return any(_carries(r, name) for r in right)
    return False


def check(src: SourceFile) -> Iterator[Hit]:
    for fn in ast.walk(src.tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or (name := _event_param(fn)) is None:
            continue
        for node in ast.walk(fn):
            if not (isinstance(node, ast.Call) and _is_log_call(src, node)):
                continue
            if any(_carries(a, name) for a in [*node.args, *(k.value for k in node.keywords)]):
                yield src.hit(
                    node, f"{fn.name} logs its whole Lambda event ({name}: the Authorization header)", fn.name
                )
