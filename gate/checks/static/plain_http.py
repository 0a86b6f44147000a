"""static.plain-http-endpoint: an AWS endpoint over plain `http://` outside tests (CWE-319).

What it proves
  The service's own code (test files are never read) points an AWS client at a plain-HTTP
  endpoint, so requests, signatures and items cross the network unencrypted: an `endpoint_url`
  whose value (a literal, a module constant, or the default of an `os.environ.get`) starts with
  `http://`; an `AWS_ENDPOINT_URL*` variable set to `http://...` in code; `use_ssl=False`.
  An endpoint that comes from the environment without a plain-HTTP default is fine: that is how
  the gate itself points the service at DynamoDB Local.

Example finding
  MEDIUM static.plain-http-endpoint app.py:15 `endpoint_url=os.environ.get("DDB", "http://dynamo:8000")`.

Remediation
  Take the endpoint from the environment only (boto3 reads AWS_ENDPOINT_URL_DYNAMODB itself), and
  keep local `http://` endpoints in test and development configuration.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit, SourceFile
from gate.findings import Severity
from gate.target.pysource import str_const

META = STATIC.check(
    "static.plain-http-endpoint",
    title="AWS endpoint over plain HTTP",
    description="An AWS client endpoint in the service's code uses http://, not https://.",
    severity=Severity.MEDIUM,
    cwe=("CWE-319",),
    remediation="Read the endpoint from the environment without an http:// default; use https:// endpoints "
    "outside tests.",
)


def _plain(src: SourceFile, node: ast.AST | None) -> str | None:
    for value, _ in src.literals(node):
        if value.lower().startswith("http://"):
            return value
    return None


def _endpoint_var(name: str | None) -> bool:
    return name is not None and name.upper().startswith("AWS_ENDPOINT_URL")


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                url = _plain(src, kw.value) if kw.arg == "endpoint_url" else None
                if url:
                    yield src.hit(kw, f"endpoint_url is the plain-HTTP {url!r}", f"endpoint_url {url}")
                if kw.arg == "use_ssl" and src.is_false(kw.value):
                    yield src.hit(kw, "use_ssl=False sends AWS requests unencrypted", "use_ssl=False")
            q = src.qualname(node)
            if (
                q.endswith(("environ.setdefault", "os.putenv"))
                and len(node.args) >= 2
                and _endpoint_var(str_const(node.args[0]))
            ):
                url = _plain(src, node.args[1])
                if url:
                    yield src.hit(
                        node,
                        f"{str_const(node.args[0])} is set to the plain-HTTP {url!r}",
                        f"{str_const(node.args[0])} {url}",
                    )
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Subscript) and _endpoint_var(str_const(t.slice)):
                    url = _plain(src, node.value)
                    if url:
                        yield src.hit(
                            node,
                            f"{str_const(t.slice)} is set to the plain-HTTP {url!r}",
                            f"{str_const(t.slice)} {url}",
                        )
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                name = str_const(k)
                url = _plain(src, v) if _endpoint_var(name) else None
                if url and k is not None:
                    yield src.hit(k, f"{name} is set to the plain-HTTP {url!r}", f"{name} {url}")
