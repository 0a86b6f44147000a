"""static.template-wildcard-policy: a function's policy allows every DynamoDB action or every resource (CWE-250).

What it proves
  An `Allow` statement in a function's `Policies` (inline `Statement`), in an `AWS::IAM::Role`'s
  or `AWS::IAM::Policy`'s `PolicyDocument`, grants `dynamodb:*` (or `*`), or grants DynamoDB
  actions on `Resource: "*"`; or a function attaches `AmazonDynamoDBFullAccess`. One missing
  ownership check in that function then exposes every table of the account, not only its own,
  and the function can delete tables.

Example finding
  HIGH static.template-wildcard-policy template.yaml:147 `- Effect: Allow` (dynamodb:* on *).

Remediation
  Grant the actions the function uses on its own table's ARN (SAM: `DynamoDBReadPolicy` /
  `DynamoDBCrudPolicy` with `TableName`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gate.checks.static.source import STATIC, Hit
from gate.checks.static.templates import Template, no_source_hits
from gate.findings import Confidence, Severity

META = STATIC.check(
    "static.template-wildcard-policy",
    title="Function policy allows all of DynamoDB",
    description='A function\'s IAM policy grants dynamodb:* or DynamoDB actions on Resource "*" (every table).',
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=("CWE-250", "CWE-732"),
    owasp=("API5:2023",),
    remediation="Grant only the actions the function uses, on its own table's ARN.",
)

check = no_source_hits
FULL_ACCESS = "AmazonDynamoDBFullAccess"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _wide(st: Any) -> str | None:
    """What is too wide about an Allow statement, or None."""
    if not isinstance(st, dict) or str(st.get("Effect")) != "Allow":
        return None
    actions = [str(a) for a in _listed(st.get("Action"))]
    resources = _listed(st.get("Resource"))
    every = next((a for a in actions if a in ("*", "dynamodb:*")), None)
    if every is not None:
        return f"{every} on {'*' if '*' in resources else 'its resources'}"
    if any(a.lower().startswith("dynamodb:") for a in actions) and "*" in resources:
        return f'{", ".join(actions[:3])} on every table (Resource "*")'
    return None


def _statements(tpl: Template) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    for name, res in tpl.resources.items():
        if not isinstance(res, dict):
            continue
        props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
        if res.get("Type") == "AWS::Serverless::Function":
            for i, pol in enumerate(_listed(props.get("Policies"))):
                if isinstance(pol, str) and FULL_ACCESS in pol:
                    yield ("Resources", name, "Properties", "Policies", i), {"managed": pol}
                if isinstance(pol, dict) and "Statement" in pol:
                    for j, st in enumerate(_listed(pol["Statement"])):
                        yield ("Resources", name, "Properties", "Policies", i, "Statement", j), st
        docs: list[tuple[tuple[str | int, ...], Any]] = []
        if res.get("Type") == "AWS::IAM::Policy":
            docs.append((("Resources", name, "Properties", "PolicyDocument"), props.get("PolicyDocument")))
        if res.get("Type") == "AWS::IAM::Role":
            for i, pol in enumerate(_listed(props.get("Policies"))):
                if isinstance(pol, dict):
                    docs.append(
                        (("Resources", name, "Properties", "Policies", i, "PolicyDocument"), pol.get("PolicyDocument"))
                    )
            for i, arn in enumerate(_listed(props.get("ManagedPolicyArns"))):
                if FULL_ACCESS in str(arn):
                    yield ("Resources", name, "Properties", "ManagedPolicyArns", i), {"managed": str(arn)}
        for path, doc in docs:
            for j, st in enumerate(_listed((doc or {}).get("Statement") if isinstance(doc, dict) else None)):
                yield (*path, "Statement", j), st


def check_template(tpl: Template) -> Iterator[Hit]:
    for path, st in _statements(tpl):
        owner = str(path[1])
        what = f"the managed policy {FULL_ACCESS}" if isinstance(st, dict) and "managed" in st else _wide(st)
        if what is None:
            continue
        line = tpl.lines.nearest(*path)
        yield tpl.hit(line, f"{owner} may use {what}: one missing ownership check exposes every table", owner)
