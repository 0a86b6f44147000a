"""static.template-secret-parameter: a secret template parameter with a Default, or without NoEcho (CWE-798).

What it proves
  A `Parameters:` entry of the SAM/CloudFormation template whose name says it is a credential
  (`JwtSecret`, `DbPassword`, `ApiKey`, ...) has a `Default` (every stack deployed without an
  override runs with that value, written in the repository) or lacks `NoEcho: true` (the console,
  `DescribeStacks` and change sets show the value back). SSM parameter types
  (`AWS::SSM::Parameter::Value<...>`) hold a parameter's name, not the secret: not reported.

Example finding
  HIGH static.template-secret-parameter template.yaml:16 `Default: changeme`.

Remediation
  Remove the Default and set `NoEcho: true`; better, keep the secret in Secrets Manager or SSM and
  resolve it (`{{resolve:secretsmanager:...}}`).
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit, is_secret_name
from gate.checks.static.templates import Template, no_source_hits
from gate.findings import Confidence, Severity

META = STATIC.check(
    "static.template-secret-parameter",
    title="Secret template parameter with a default or shown back",
    description="A secret parameter of the template has a Default (a value in the repository) or no NoEcho.",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=("CWE-798", "CWE-200"),
    owasp=("API8:2023",),
    remediation="Remove the Default and set NoEcho: true, or resolve the secret from Secrets Manager.",
)

check = no_source_hits


def check_template(tpl: Template) -> Iterator[Hit]:
    params = (tpl.doc or {}).get("Parameters")
    for name, spec in (params if isinstance(params, dict) else {}).items():
        if not isinstance(spec, dict) or not is_secret_name(name) or str(spec.get("Type", "")).startswith("AWS::SSM"):
            continue
        default = spec.get("Default")
        no_echo = str(spec.get("NoEcho")).lower() == "true"
        if default not in (None, ""):
            shown = "" if no_echo else ", and without NoEcho it is shown back"
            line = tpl.lines.nearest("Parameters", name, "Default")
            yield tpl.hit(
                line, f"parameter {name} has a Default: stacks deployed without it use that value{shown}", name
            )
        elif not no_echo:
            line = tpl.lines.nearest("Parameters", name)
            yield tpl.hit(line, f"parameter {name} lacks NoEcho: the console and DescribeStacks show it", name)
