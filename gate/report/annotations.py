"""GitHub annotations: one workflow command per new finding, most severe first.

    ::error file=app.py,line=42,title=bola.read::HIGH bola.read GET /users/{user_id}/profile ...

Severity picks the command: critical and high -> `error`, medium -> `warning`, low and info ->
`notice`. The runner reads a workflow command from any line of the step's output that starts with
`::` (after leading spaces), so the escaping is what keeps a hostile service from issuing its own
commands (`::add-mask::`, `::stop-commands::`, `::set-output::`) through our output:

- data (the message): `%` -> %25, CR -> %0D, LF -> %0A, so it stays on our line;
- properties (file, title): in addition `:` -> %3A and `,` -> %2C, so a value cannot end the
  property list or start the data;
- and, belt and braces, `::` and the old `##[` prefix are broken with a zero-width joiner in the
  message, so even a consumer that splits lines differently never sees a command in our text.

A finding whose handler was not located is annotated on the service's config file, line 1.
Accepted findings are not annotated (they are in the baseline); an incomplete scan is one `error`.
"""

from __future__ import annotations

from gate.findings import Finding, Severity
from gate.report.escape import ZWJ, strip_invisible
from gate.report.location import UNLOCATED, locate
from gate.verdict.result import ScanResult

COMMAND = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}
MESSAGE_LIMIT = 2000


def _defang(s: str) -> str:
    # Invisible and line-separating characters first (the joiner below is one of them).
    return strip_invisible(s).replace("::", ":" + ZWJ + ":").replace("##[", "#" + ZWJ + "#[")


def _percent(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_data(value: object) -> str:
    return _percent(_defang("" if value is None else str(value)))


def escape_property(value: object) -> str:
    # `::` needs no joiner here (`:` is escaped), so a file path reaches GitHub unchanged; only
    # invisible characters go, which no real path holds.
    return _percent(strip_invisible("" if value is None else str(value))).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: object) -> str:
    """One workflow command line (`props` with None values are left out)."""
    plist = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v is not None)
    return f"::{name}{' ' + plist if plist else ''}::{escape_data(message)}"


def _message(result: ScanResult, f: Finding, located: bool, path: str) -> str:
    lines = [f"{f.severity.label.upper()} {f.check} {f.operation or ''} ({f.who()}): {f.message}".replace("  ", " ")]
    lines += [f"proof: {n}" for n in f.evidence.notes[:3]]
    lines.append(f"fix: {f.remediation} ({', '.join([*f.cwe, *f.owasp])})")
    if not located:
        lines.append(f"({UNLOCATED} {path}.)")
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def lines(result: ScanResult) -> list[str]:
    out: list[str] = []
    if not result.complete:
        reason = "; ".join(result.verdict.reasons) or "the scan did not complete"
        out.append(command("error", f"authgate could not scan, so the gate fails: {reason}", title="authgate"))
    for f in sorted(result.new, key=Finding.sort_key):  # most severe first: the runner caps per step
        loc = locate(result, f)
        out.append(
            command(
                COMMAND[f.severity],
                _message(result, f, loc.located, loc.path),
                file=loc.path,
                line=loc.line,
                title=f.check,
            )
        )
    return out


def render(result: ScanResult) -> str:
    return "".join(line + "\n" for line in lines(result))
