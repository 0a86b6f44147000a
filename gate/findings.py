"""Finding, Evidence, Severity, check metadata and stable fingerprints.

A check's metadata is declared one way: its family once (`FamilyMeta`: name, CWE/OWASP, default
confidence and remediation), then each check through `family.check(...)` (id, title, severity, a
one-line description, and whatever differs from the family). A finding is only built through
`CheckMeta.finding(...)`, which refuses one without evidence: authgate reports nothing it cannot prove.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, name: str) -> Severity:
        return cls[name.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


class Confidence(IntEnum):
    LOW = 0
    MEDIUM = 1
    HIGH = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What proves a finding. At least one part must be present."""

    request: dict[str, Any] | None = None  # method, url path, identity, headers (redacted), body excerpt
    response: dict[str, Any] | None = None  # status, headers, body excerpt
    dynamodb_calls: list[dict[str, Any]] = field(default_factory=list)  # recorder entries the probe caused
    item_changes: list[dict[str, Any]] = field(default_factory=list)  # snapshot diff entries
    code: dict[str, Any] | None = None  # static checks: file, line, excerpt
    log: list[str] = field(default_factory=list)  # service log lines (redacted)
    notes: list[str] = field(default_factory=list)  # one-line explanations ("proof: ...")

    def is_empty(self) -> bool:
        return not (self.request or self.dynamodb_calls or self.item_changes or self.code or self.log)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "response": self.response,
            "dynamodb_calls": list(self.dynamodb_calls),
            "item_changes": list(self.item_changes),
            "code": self.code,
            "log": list(self.log),
            "notes": list(self.notes),
        }


FINGERPRINT_VERSION = "v1"


def fingerprint(check: str, method: str, route: str, parameter: str, roles: str) -> str:
    """Stable id of a flaw: never ports, canaries, timestamps or line numbers."""
    raw = "\x1f".join((FINGERPRINT_VERSION, check, method.upper(), route, parameter, roles))
    return f"{FINGERPRINT_VERSION}:{hashlib.sha256(raw.encode()).hexdigest()[:24]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    check: str
    family: str
    title: str
    message: str
    severity: Severity
    confidence: Confidence
    cwe: tuple[str, ...]
    owasp: tuple[str, ...]
    remediation: str
    method: str = ""
    route: str = ""
    parameter: str = ""  # what distinguishes two findings of one check on one route (a field, a variant)
    identity: str | None = None  # who sent the probe; None for anonymous or static findings
    victim: str | None = None  # whose data was reached
    roles: str = ""  # "regular->regular", "anonymous", "regular->privileged": part of the fingerprint
    file: str | None = None
    line: int | None = None
    evidence: Evidence
    status: str = "new"  # new | accepted (set by the baseline)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.check, self.method, self.route, self.parameter, self.roles)

    @property
    def operation(self) -> str:
        return f"{self.method} {self.route}".strip()

    def who(self, arrow: str = "->") -> str:
        """Who did it, in words: `alice -> bob`, `no credentials`, `source` (a static finding: nobody sent
        anything). Every report format says it this way."""
        if self.identity is None and (not self.method or (self.evidence.code and not self.evidence.request)):
            return "source"
        name = self.identity or "no credentials"
        return f"{name} {arrow} {self.victim}" if self.victim else name

    @property
    def proof(self) -> str:
        """The first line of proof (the evidence's first note), else the message."""
        return next(iter(self.evidence.notes), "") or self.message

    def with_status(self, status: str) -> Finding:
        return replace(self, status=status)

    def sort_key(self) -> tuple[Any, ...]:
        return (-self.severity, self.check, self.route, self.method, self.parameter, self.identity or "")


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckMeta:
    """Everything about a check id that does not depend on a run (zizmor's audit_meta)."""

    id: str
    family: str
    title: str
    description: str
    severity: Severity
    confidence: Confidence
    cwe: tuple[str, ...]
    owasp: tuple[str, ...]
    remediation: str

    @property
    def anchor(self) -> str:
        """The check's anchor in the README's check catalogue (`bola.read` -> `bola-read`)."""
        return self.id.replace(".", "-")

    def finding(
        self,
        *,
        message: str,
        evidence: Evidence,
        method: str = "",
        route: str = "",
        parameter: str = "",
        identity: str | None = None,
        victim: str | None = None,
        roles: str = "",
        severity: Severity | None = None,
        title: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> Finding:
        if evidence.is_empty():
            raise ValueError(f"{self.id}: a finding needs evidence (request, DynamoDB calls, item changes or code)")
        return Finding(
            check=self.id,
            family=self.family,
            title=title or self.title,
            message=message,
            severity=severity if severity is not None else self.severity,
            confidence=self.confidence,
            cwe=self.cwe,
            owasp=self.owasp,
            remediation=self.remediation,
            method=method.upper(),
            route=route,
            parameter=parameter,
            identity=identity,
            victim=victim,
            roles=roles,
            file=file,
            line=line,
            evidence=evidence,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FamilyMeta:
    """What every check of a family shares, declared once in the family's module; `check(...)`
    declares one check of it, overriding only what differs."""

    name: str
    owasp: tuple[str, ...] = ()
    cwe: tuple[str, ...] = ()
    confidence: Confidence = Confidence.HIGH
    remediation: str = ""

    def check(
        self,
        id: str,
        *,
        title: str,
        description: str,
        severity: Severity,
        confidence: Confidence | None = None,
        cwe: tuple[str, ...] | None = None,
        owasp: tuple[str, ...] | None = None,
        remediation: str | None = None,
    ) -> CheckMeta:
        if not id.startswith(f"{self.name}."):
            raise ValueError(f"{id}: the id of a {self.name} check starts with {self.name}.")
        if description.rstrip(".") == title:  # the description says what the check proves, not its title again
            raise ValueError(f"{id}: the description repeats the title")
        meta = CheckMeta(
            id=id,
            family=self.name,
            title=title,
            description=description,
            severity=severity,
            confidence=self.confidence if confidence is None else confidence,
            cwe=self.cwe if cwe is None else cwe,
            owasp=self.owasp if owasp is None else owasp,
            remediation=remediation or self.remediation,
        )
        if not (meta.cwe and meta.owasp and meta.remediation):
            raise ValueError(f"{id}: a check needs a CWE, an OWASP id and a remediation")
        return meta
