"""static.unscoped-scan: a request handler Scans a DynamoDB table with no owner filter (CWE-639).

What it proves
  Inside a routed handler, `table.scan(...)` (resource) or `client.scan(TableName=...)` runs
  without a FilterExpression/ScanFilter on an owner attribute (`owner_id`, `user_id`, `tenant_id`,
  `account_id`, ...), and neither the handler, its decorators, its FastAPI dependencies nor the
  helpers it calls check a role. Such a handler hands every caller everyone's items (or their
  count). An admin-only handler with a role check is fine; a Scan outside handlers (a migration
  script) is not reported. The dynamic checks prove what actually leaks (bola.list, bfla).

Example finding
  MEDIUM static.unscoped-scan app.py:71 GET /admin/users-count `items = users.scan()["Items"]`.

Remediation
  Query by the caller's owner key (the table key or a GSI on the owner) instead of Scanning; if
  the route really is for administrators, check the role before the Scan.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit, SourceFile, mentions
from gate.findings import Confidence, Severity
from gate.target.pysource import kwarg

META = STATIC.check(
    "static.unscoped-scan",
    title="Handler scans a table without owner scoping",
    description="A request handler runs a DynamoDB Scan with no owner filter and no role check.",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=("CWE-639",),
    owasp=("API1:2023",),
    remediation="Query by the caller's owner key instead of a Scan; check the role first on admin routes.",
)

OWNER = re.compile(r"owner|user_?id|tenant|account_?id|customer_?id|created_?by|author|^sub$|^uid$", re.I)
_TABLE_FACTORIES = ("Table", "resource", "client")


def _is_table(src: SourceFile, call: ast.Call, receiver: ast.AST) -> bool:
    """The receiver is a DynamoDB Table or client (made by .Table(...), boto3.client/resource, or named so)."""
    if kwarg(call, "TableName") is not None:
        return True
    value = src.resolve(receiver)
    if isinstance(receiver, ast.Name) and value is receiver:  # bound in the function, not at module level
        fn = src.enclosing(call)
        for node in ast.walk(fn) if fn is not None else []:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == receiver.id for t in node.targets
            ):
                value = node.value
    if isinstance(value, ast.Call) and src.qualname(value).split(".")[-1] in _TABLE_FACTORIES:
        return True
    name = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", "")
    return "table" in name.lower()


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "scan"):
            continue
        handler = src.handler_of(node)
        if handler is None or not _is_table(src, node, node.func.value):
            continue
        filt = kwarg(node, "FilterExpression") or kwarg(node, "ScanFilter")
        if filt is not None and mentions(filt, OWNER):
            continue
        if src.checks_role(handler):
            continue
        target = ast.unparse(node.func.value)
        yield src.hit(
            node, f"{handler.name} Scans {target} for any caller: no owner filter and no role check", f"{target}.scan"
        )
