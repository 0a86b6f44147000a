"""static.error-leak: a handler sends the exception's text back to the client (CWE-209).

What it proves
  Inside a request handler (or an error handler), an `except ... as e:` block returns or raises
  something made from `e` (`{"error": str(e)}`, `f"failed: {e}"`, `HTTPException(500, detail=str(e))`,
  `abort(500, e)`), or a response carries `traceback.format_exc()`. botocore's messages name
  tables, key schemas and expressions; tracebacks name files and code. An error handler for
  `Exception` that returns `str(e)` is reported the same way. Logging `e` is fine.

Example finding
  LOW static.error-leak app.py:60 GET /user `return {"error": str(e)}, 500`.

Remediation
  Log the exception on the server and answer a generic message (`{"error": "internal error"}`)
  with the status code; map expected errors (ConditionalCheckFailed -> 404/409) explicitly.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Func, Hit, SourceFile
from gate.findings import Severity
from gate.target.pysource import call_name

META = STATIC.check(
    "static.error-leak",
    title="Exception text returned to the client",
    description="A handler returns the text of an exception (or a traceback) in its response.",
    severity=Severity.LOW,
    cwe=("CWE-209",),
    remediation="Log the exception server-side and answer a generic error message.",
)

_RESPONDERS = {"abort", "HTTPException", "JSONResponse", "jsonify", "make_response", "Response", "PlainTextResponse"}
_CLIENT_ERRORS = ("HTTP", "NotFound", "Validation", "BadRequest", "Unauthorized", "Forbidden", "MethodNotAllowed")


def _uses(node: ast.AST, name: str) -> bool:
    """`name` (the exception) reaches the value: anywhere but inside type(e) / isinstance(e, ...)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and call_name(sub) in ("type", "isinstance"):
            continue
        if name and isinstance(sub, ast.Name) and sub.id == name and not _inside_type(node, sub):
            return True
        if isinstance(sub, ast.Call) and call_name(sub) in ("format_exc", "format_exception"):
            return True
    return False


def _inside_type(root: ast.AST, target: ast.AST) -> bool:
    for sub in ast.walk(root):
        if (
            isinstance(sub, ast.Call)
            and call_name(sub) in ("type", "isinstance", "getattr")
            and sub.args
            and any(n is target for n in ast.walk(sub.args[0]))
        ):
            return True
    return False


def _outputs(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Returned values, raised exceptions and responder calls in a block (not in nested functions)."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            yield node
            continue
        if isinstance(node, ast.Raise) and node.exc is not None:
            yield node
            continue
        if isinstance(node, ast.Call) and call_name(node) in _RESPONDERS:
            yield node
            continue
        stack.extend(ast.iter_child_nodes(node))


def _server_error_handler(fn: Func) -> str | None:
    """The exception parameter of an error handler registered for server errors (not 404/validation)."""
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call) and call_name(dec) in ("errorhandler", "exception_handler") and dec.args:
            what = dec.args[0]
            if isinstance(what, ast.Constant) and isinstance(what.value, int) and what.value < 500:
                return None
            if isinstance(what, ast.Name | ast.Attribute) and call_name(what).endswith(_CLIENT_ERRORS):
                return None
            params = [a.arg for a in fn.args.args]
            return params[-1] if params else None
    return None


def check(src: SourceFile) -> Iterator[Hit]:
    seen: set[int] = set()
    for node in ast.walk(src.tree):
        blocks: list[tuple[str, list[ast.stmt]]] = []
        if isinstance(node, ast.ExceptHandler) and src.handler_of(node) is not None:
            blocks.append((node.name or "", node.body))  # unnamed: only a traceback can leak
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            param = _server_error_handler(node)
            if param:
                blocks.append((param, node.body))
        for name, body in blocks:
            for out in _outputs(body):
                if id(out) not in seen and _uses(out, name):
                    seen.add(id(out))
                    what = f"the text of exception `{name}`" if name else "a traceback"
                    yield src.hit(out, f"{what} goes back to the client", ast.unparse(out)[:80])
