"""static.tls-verify-off: TLS certificate verification switched off (CWE-295).

What it proves
  The source turns off certificate checks, so anyone on the network path can read and change the
  traffic (AWS credentials, tokens, items): `verify=False` on a boto3/botocore client or session,
  requests or httpx call, a `{"verify": False}` mapping handed to a client, `session.verify =
  False`, `ssl._create_unverified_context()`, `ssl.CERT_NONE` or `check_hostname = False`, and
  the environment tricks `CURL_CA_BUNDLE=""` / `REQUESTS_CA_BUNDLE=""` / `AWS_CA_BUNDLE=""` /
  `PYTHONHTTPSVERIFY=0` set from code. (botocore's `Config` has no verify option: a boto3 or
  botocore client turns verification off through `verify=False` at creation, which is checked,
  including when the arguments come from a mapping.) `jwt.decode(..., verify=False)` is not TLS;
  static.jwt-unverified reports it.

Example finding
  HIGH static.tls-verify-off app.py:14 `ddb = boto3.resource("dynamodb", verify=False)`.

Remediation
  Remove the override: boto3, requests and httpx verify against the system CA bundle by default;
  for a private CA pass `verify="/path/to/ca.pem"` (or set AWS_CA_BUNDLE) instead of `False`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit, SourceFile
from gate.findings import Severity
from gate.target.pysource import str_const

META = STATIC.check(
    "static.tls-verify-off",
    title="TLS certificate verification disabled",
    description="The source disables certificate verification on an HTTPS or AWS client.",
    severity=Severity.HIGH,
    cwe=("CWE-295",),
    remediation="Remove verify=False (and unverified SSL contexts); pass a CA bundle path for a private CA.",
)

_VERIFY_ARGS = {"verify", "verify_ssl", "ssl_verify", "verify_certs", "ssl"}
# Environment variables that, set to these values from code, switch verification off for a whole process.
_ENV_OFF = {"CURL_CA_BUNDLE": "", "REQUESTS_CA_BUNDLE": "", "AWS_CA_BUNDLE": "", "PYTHONHTTPSVERIFY": "0"}
_JWT_DECODE = {"jwt.decode", "jose.jwt.decode"}


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call):
            yield from _call(src, node)
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and k.value in _VERIFY_ARGS and src.is_false(v):
                    message = f"a client setting maps {k.value!r} to False: certificates are not checked"
                    yield src.hit(k, message, f"dict {k.value}=False")
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Subscript) and src.qualname(t.value).endswith("environ"):
                    yield from _env_off(src, node, t.slice, node.value)
                elif (
                    isinstance(t, ast.Attribute) and t.attr in ("verify", "check_hostname") and src.is_false(node.value)
                ):
                    target = ast.unparse(t)
                    yield src.hit(node, f"`{target} = False` turns certificate checks off", f"{target}=False")
        elif isinstance(node, ast.Attribute) and src.qualname(node) == "ssl.CERT_NONE" and _set(src, node):
            yield src.hit(node, "ssl.CERT_NONE accepts any certificate", "ssl.CERT_NONE")


def _call(src: SourceFile, node: ast.Call) -> Iterator[Hit]:
    q = src.qualname(node)
    if q in _JWT_DECODE:
        return
    for kw in node.keywords:
        if kw.arg in _VERIFY_ARGS and src.is_false(kw.value):
            message = f"{q}(...) is called with {kw.arg}=False: certificates are not checked"
            yield src.hit(kw, message, f"{q} {kw.arg}=False")
    if q == "ssl._create_unverified_context":
        yield src.hit(node, "an unverified SSL context accepts any certificate", q)
    if q.endswith(("environ.setdefault", "os.putenv")) and len(node.args) >= 2:
        yield from _env_off(src, node, node.args[0], node.args[1])


def _env_off(src: SourceFile, where: ast.AST, name: ast.AST, value: ast.AST) -> Iterator[Hit]:
    var = str_const(name)
    if var in _ENV_OFF and any(v == _ENV_OFF[var] for v, _ in src.literals(value)):
        yield src.hit(where, f"{var}={_ENV_OFF[var]!r} switches certificate checks off for the process", var)


def _set(src: SourceFile, node: ast.AST) -> bool:
    """The value is assigned or passed (`ctx.verify_mode = ssl.CERT_NONE`), not compared or mapped."""
    parent = src.parents.get(node)
    return isinstance(parent, ast.keyword) or (isinstance(parent, ast.Assign) and parent.value is node)
