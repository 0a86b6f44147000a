"""static.template-open-write: a write route of the template has no authorizer (CWE-306).

What it proves
  A `POST`, `PUT`, `PATCH`, `DELETE` or `ANY` route of the template's API reaches its function
  without an authorizer: the API has no `DefaultAuthorizer`, or the route opts out with
  `Auth: Authorizer: NONE`. Anyone on the internet can then call the function that writes. Routes
  the config declares public (`checks.public`) and sign-up, login and token routes are meant to be
  anonymous: not reported. The dynamic authn family proves what such a route lets through.

Example finding
  MEDIUM static.template-open-write template.yaml:120 POST /notes `CreateNote:`.

Remediation
  Put the route behind the API's authorizer (remove `Authorizer: NONE`, or set `DefaultAuthorizer`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gate.checks.static.source import STATIC, Hit
from gate.checks.static.templates import Template, no_source_hits
from gate.findings import Confidence, Severity

META = STATIC.check(
    "static.template-open-write",
    title="Write route without an authorizer",
    description="A POST/PUT/PATCH/DELETE/ANY route of the template reaches its function without an authorizer.",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=("CWE-306",),
    owasp=("API2:2023",),
    remediation="Put the route behind the API's authorizer (no Authorizer: NONE, or a DefaultAuthorizer).",
)

check = no_source_hits
WRITES = ("POST", "PUT", "PATCH", "DELETE", "ANY")
ANONYMOUS = re.compile(r"login|log-in|signin|sign-in|signup|sign-up|register|token|oauth|webhook|health", re.I)


def check_template(tpl: Template) -> Iterator[Hit]:
    for route in tpl.app.routes:
        if route.method not in WRITES or route.authorizer is not None or ANONYMOUS.search(route.path):
            continue
        yield tpl.hit(
            route.line or 1,
            f"{route.key} ({route.function}) has no authorizer: anyone can call it",
            route.key,
            method=route.method,
            route=route.path,
        )
