"""static.jwt-unverified: `jwt.decode` told not to verify the signature or expiry, or to accept "none" (CWE-347).

What it proves
  A token is decoded with `options={"verify_signature": False}` (or `verify=False`, PyJWT 1.x),
  with `"verify_exp": False`, or with "none" among the accepted algorithms. The claims of such a
  token are whatever the caller wrote: `sub` and `role` can be forged, and (for verify_exp)
  expired or stolen tokens keep working.

Example finding
  HIGH static.jwt-unverified auth.py:12 `jwt.decode(token, options={"verify_signature": False})`.

Remediation
  Decode with the key, `algorithms=["HS256"]` (the one you issue) and the default options; read
  unverified claims only with `jwt.get_unverified_header` for routing, never for decisions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit, SourceFile
from gate.findings import Severity
from gate.target.pysource import kwarg, str_const

META = STATIC.check(
    "static.jwt-unverified",
    title="JWT decoded without verification",
    description="jwt.decode is told to skip the signature or expiry check, or accepts alg none.",
    severity=Severity.HIGH,
    cwe=("CWE-347",),
    owasp=("API2:2023",),
    remediation="Verify every token: pass the key and algorithms=[<the algorithm you issue>], keep the default "
    "options (signature and exp verified).",
)

JWT_DECODE = {"jwt.decode", "jose.jwt.decode"}
_OFF = {"verify_signature": "the signature is not verified", "verify_exp": "the expiry is not verified"}


def _options(src: SourceFile, node: ast.AST | None) -> ast.Dict | None:
    node = src.resolve(node)
    if isinstance(node, ast.Name):  # a dict built in the same function
        fn = src.enclosing(node)
        for sub in ast.walk(fn) if fn is not None else []:
            if isinstance(sub, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in sub.targets):
                node = sub.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return ast.Dict(keys=[ast.Constant(k.arg) for k in node.keywords], values=[k.value for k in node.keywords])
    return node if isinstance(node, ast.Dict) else None


def disabled(src: SourceFile, call: ast.Call) -> list[str]:
    """What verification this decode call switches off (empty: none)."""
    out: list[str] = []
    opts = _options(src, kwarg(call, "options"))
    if opts is not None:
        for k, v in zip(opts.keys, opts.values, strict=True):
            name = str_const(k)
            if name is not None and name in _OFF and src.is_false(v):
                out.append(name)
    if src.is_false(kwarg(call, "verify")):
        out.append("verify")
    return out


def check(src: SourceFile) -> Iterator[Hit]:
    for node in ast.walk(src.tree):
        if not (isinstance(node, ast.Call) and src.qualname(node) in JWT_DECODE):
            continue
        for what in disabled(src, node):
            why = _OFF.get(what, "the signature is not verified")
            yield src.hit(node, f"jwt.decode with {what}=False: {why}", f"{what}=False")
        algs = src.resolve(kwarg(node, "algorithms"))
        if isinstance(algs, ast.List | ast.Tuple | ast.Set) and any(
            (str_const(e) or "").lower() == "none" for e in algs.elts
        ):
            yield src.hit(node, 'jwt.decode accepts the "none" algorithm: unsigned tokens pass', "alg none")
