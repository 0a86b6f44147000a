"""static.tls-verify-off: TLS certificate verification switched off (CWE-295).

What it proves
  The source turns off certificate checks, so anyone on the network path can read and change the
  traffic (AWS credentials, tokens, items): `verify=False` on a boto3/botocore client or session,
  requests or httpx call, a `{"verify": False}` mapping handed to a client, `session.verify =
  False`, `ssl._create_unverified_context()`, `ssl.CERT_NONE` or `check_hostname = False`.
  `jwt.decode(..., verify=False)` is not TLS; static.jwt-unverified reports it.

Example finding
  HIGH static.tls-verify-off app.py:14 `ddb = boto3.resource("dynamodb", verify=False)`.

Remediation
  Remove the override: boto3, requests and httpx verify against the system CA bundle by default;
  for a private CA pass `verify="/path/to/ca.pem"` (or set AWS_CA_BUNDLE) instead of `False`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gate.findings import CheckMeta, Confidence, Severity
from gate.static.source import Hit, SourceFile

META = CheckMeta(
    id="static.tls-verify-off",
    family="static",
    title="TLS certificate verification disabled",
    description="The source disables certificate verification on an HTTPS or AWS client.",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=("CWE-295",),
    owasp=("API8:2023",),
    remediation="Remove verify=False (and unverified SSL contexts); pass a CA bundle path for a private CA.",
)

_VERIFY_ARGS = {"verify", "verify_ssl", "ssl_verify", "verify_certs", "ssl"}
_JWT_DECODE = {"jwt.decode", "jose.jwt.decode"}


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call):
            q = src.qualname(node)
            if q in _JWT_DECODE:
                continue
            for kw in node.keywords:
                if kw.arg in _VERIFY_ARGS and src.is_false(kw.value):
                    yield src.hit(
                        kw,
                        f"{q}(...) is called with {kw.arg}=False: certificates are not checked",
                        f"{q} {kw.arg}=False",
                    )
            if q == "ssl._create_unverified_context":
                yield src.hit(node, "an unverified SSL context accepts any certificate", q)
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if k is not None and isinstance(k, ast.Constant) and k.value in _VERIFY_ARGS and src.is_false(v):
                    yield src.hit(
                        k,
                        f"a client setting maps {k.value!r} to False: certificates are not checked",
                        f"dict {k.value}=False",
                    )
        elif isinstance(node, ast.Assign) and src.is_false(node.value):
            for t in node.targets:
                if isinstance(t, ast.Attribute) and t.attr in ("verify", "check_hostname"):
                    yield src.hit(
                        node, f"`{ast.unparse(t)} = False` turns certificate checks off", f"{ast.unparse(t)}=False"
                    )
        elif isinstance(node, ast.Attribute) and src.qualname(node) == "ssl.CERT_NONE" and _set(src, node):
            yield src.hit(node, "ssl.CERT_NONE accepts any certificate", "ssl.CERT_NONE")


def _set(src: SourceFile, node: ast.AST) -> bool:
    """The value is assigned or passed (`ctx.verify_mode = ssl.CERT_NONE`), not compared or mapped."""
    parent = src.parents.get(node)
    return isinstance(parent, ast.keyword) or (isinstance(parent, ast.Assign) and parent.value is node)
