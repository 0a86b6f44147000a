"""The serverless template the template checks read, their hits as findings, and jwt-unverified on authorized routes.

A template check is a rule module of RULES with `check(src)` for Python files (it yields nothing)
and `check_template(tpl)` for the project's definition file (`service.template`): the SAM /
CloudFormation document, its routes and authorizers, and the line of any key path. Findings
point at the template's file and line with the line as the excerpt.

A `jwt.decode` without verification (static.jwt-unverified) inside a Lambda function whose every
route has an authorizer is a note, not a finding: API Gateway verified the token before the
function ran, and decoding it again for its claims is harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from gate.checks.static.source import Hit, SourceFile
from gate.dynamo import template
from gate.errors import ScanError
from gate.findings import Evidence, Finding
from gate.serverless import project
from gate.serverless.model import App
from gate.serverless.yamllines import Lines
from gate.target.pysource import relative

if TYPE_CHECKING:
    from gate.checks.context import ScanContext

EXCERPT_CHARS = 200


@dataclass(slots=True)
class Template:
    app: App
    rel: str  # the definition file, relative to the scan root
    root: Path
    lines: Lines
    text: list[str]
    doc: dict[str, Any] | None  # the CloudFormation document (SAM), long-form intrinsics
    resolver: template.Resolver | None

    @property
    def resources(self) -> dict[str, Any]:
        res = (self.doc or {}).get("Resources")
        return res if isinstance(res, dict) else {}

    def hit(self, line: int, message: str, key: str, method: str = "", route: str = "") -> Hit:
        return Hit(line=line, message=message, key=key, scope=self.rel, method=method, route=route)

    def excerpt(self, line: int) -> str:
        text = self.text[line - 1].strip() if 0 < line <= len(self.text) else ""
        text = "".join(ch if ch.isprintable() else " " for ch in text)
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def no_source_hits(src: SourceFile) -> Iterator[Hit]:
    """`check(src)` of a template check: Python files hold nothing it looks for."""
    return iter(())


def read(ctx: ScanContext) -> Template | None:
    """The scan's serverless project, or None for a server (no service.template)."""
    if not ctx.cfg.service.template:
        return None
    app = project.load(ctx.cfg, ctx.root)
    doc = resolver = None
    if app.kind == "sam":
        doc = template.load(app.path, "service.template")
        resolver = template.Resolver(doc, ctx.cfg.service.parameters, stand_ins=True)
    text = app.path.read_text(encoding="utf-8", errors="replace").splitlines()
    return Template(app, relative(app.path, ctx.root), ctx.root, Lines(app.path), text, doc, resolver)


def findings(ctx: ScanContext, rules: tuple[ModuleType, ...]) -> list[Finding]:
    try:
        tpl = read(ctx)
    except ScanError as exc:
        ctx.notes.append(f"static: {exc.message}")
        return []
    if tpl is None:
        return []
    out = []
    for rule in rules:
        if not hasattr(rule, "check_template") or rule.META.id in ctx.excluded:
            continue
        for h in rule.check_template(tpl):
            out.append(
                rule.META.finding(
                    message=h.message,
                    evidence=Evidence(
                        code={"file": tpl.rel, "line": h.line, "excerpt": tpl.excerpt(h.line)}, notes=[h.message]
                    ),
                    method=h.method,
                    route=h.route,
                    parameter=f"{tpl.rel}:{h.key}",
                    file=tpl.rel,
                    line=h.line,
                )
            )
    return out


def authorized_files(ctx: ScanContext) -> set[str]:
    """Handler files (relative to the scan root) whose every function's routes have an authorizer."""
    tpl = read(ctx) if ctx.cfg.service.template else None
    if tpl is None:
        return set()
    verdict: dict[str, bool] = {}
    for route in tpl.app.routes:
        file, _ = project.handler_location(tpl.app, tpl.app.functions[route.function], ctx.root)
        if file is not None:
            verdict[file] = verdict.get(file, True) and route.authorizer is not None
    return {f for f, ok in verdict.items() if ok}
